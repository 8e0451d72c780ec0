import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { buildEvent, sampleEventData, toKafkaMessage, TOPICS, type FoodXchangeEvent } from '@foodxchange/contracts';
import { quarantineNotice } from '@foodxchange/service-kit';
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

export { readTopicFromNow, type ReadRecord } from '@foodxchange/service-kit/testing';

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

/**
 * What a producer's outbox relay leaves on <topic>.dlq when the broker refuses an entry for good
 * (here: the notification service's, too large), with the broker's error.
 */
export function quarantineNoticeOf(eventId: string, error: string): ReturnType<typeof quarantineNotice> {
  return quarantineNotice(
    {
      _id: eventId,
      collectionName: 'notifications',
      aggregateId: 'ntf-1',
      topic: TEST_TOPIC,
      key: 'ntf-1',
      value: '{}',
      headers: '{}',
      stagedAt: new Date(),
      sizeBytes: 1_400_000,
      error,
      errorType: 'MESSAGE_TOO_LARGE',
      attempts: 5,
      quarantinedAt: new Date(),
    },
    'notification',
  );
}
