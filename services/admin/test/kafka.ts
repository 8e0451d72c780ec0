import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { buildEvent, sampleEventData, toKafkaMessage, TOPICS, type FoodXchangeEvent } from '@foodxchange/contracts';
import { testTopic, uniqueSuffix } from '@foodxchange/service-kit/testing';

export const kafka = new Kafka({
  clientId: 'admin-test',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.NOTHING,
});

export async function connectProducer(): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/**
 * Tests publish on notification.sent: a topic only notification produces and (for now) only admin
 * consumes, so other services' tests running against the same broker are not disturbed.
 */
export const TEST_TOPIC = TOPICS.notificationSent;

export function notificationEvent(options: { correlationId?: string; time?: string; id?: string } = {}): FoodXchangeEvent<typeof TEST_TOPIC> {
  const notificationId = `ntf-${randomUUID()}`;
  return buildEvent(TEST_TOPIC, {
    source: '/foodxchange/admin-test',
    subject: notificationId,
    data: { ...sampleEventData[TEST_TOPIC], notificationId },
    correlationId: options.correlationId ?? `corr-${uniqueSuffix()}`,
    ...(options.time ? { time: options.time } : {}),
    ...(options.id ? { id: options.id } : {}),
  });
}

export async function produceEvent(producer: Producer, event: FoodXchangeEvent): Promise<void> {
  const message = toKafkaMessage(event);
  await producer.send({ topic: testTopic(TEST_TOPIC), messages: [message] });
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * Reads a topic from its current end: the high watermarks are taken first and the consumer seeks
 * to them, so every record produced after this resolves is seen and nothing earlier is.
 */
export async function readTopicFromNow(contractTopic: string): Promise<{ records: ReadRecord[]; stop: () => Promise<void> }> {
  // Test apps publish under the test namespace (isolatedEnv): read the broker topic they use.
  const topic = testTopic(contractTopic);
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();

  const records: ReadRecord[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `test.admin-reader.${uniqueSuffix()}` });
  let joined!: () => void;
  const whenJoined = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      records.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)])),
      });
    },
  });
  for (const { partition, high } of offsets) consumer.seek({ topic, partition, offset: high });
  await Promise.race([
    whenJoined,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`reader of ${topic} did not join in 30 s`)), 30_000)),
  ]);
  return { records, stop: () => consumer.disconnect() };
}

/**
 * A fresh consumer group starts at the end of each topic once it has fetched offsets, a moment
 * after it joined. Produce probes until one is seen, so later records can't slip past it.
 */
export async function untilSeen(produce: () => Promise<void>, seen: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await produce();
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      if (await seen()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`Timed out waiting for ${what}`);
}
