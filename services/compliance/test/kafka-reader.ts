import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { testTopic, uniqueSuffix } from '@foodxchange/service-kit/testing';

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
  const kafka = new Kafka({
    clientId: 'compliance-test-reader',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();

  const records: ReadRecord[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `test.compliance-reader.${uniqueSuffix()}` });
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
