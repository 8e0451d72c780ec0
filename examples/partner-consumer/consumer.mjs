// @ts-check
/**
 * A partner's consumer of FoodXchange's `order.confirmed`, written the way an ERP team would from
 * the published documentation alone: plain kafkajs, the JSON Schemas the platform publishes
 * (packages/contracts/schemas, also inside /asyncapi.json), no FoodXchange code.
 *
 * - Every record is a CloudEvents 1.0 structured JSON event. It is checked against the envelope
 *   schema, then its `data` against the schema its `dataschema` names; one that fails is reported
 *   on stderr and skipped (a partner must not stop on one bad record).
 * - Delivery is at-least-once, so events are deduplicated by their `id`. This example keeps the
 *   ids it has seen in a file (SEEN_FILE), as an ERP would keep them in its own database.
 * - Each new valid event is printed as one JSON line on stdout.
 *
 * Settings (environment): KAFKA_BROKERS (127.0.0.1:9092), TOPIC (order.confirmed), TOPIC_PREFIX
 * (''; the platform's tests use one), GROUP_ID (partner-erp), FROM_BEGINNING (false),
 * SCHEMAS_DIR (the repository's packages/contracts/schemas), SEEN_FILE (none: in memory only).
 */
import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
/** @type {(ajv: Ajv) => Ajv} */
const addFormats = /** @type {any} */ (addFormatsModule);

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim()).filter(Boolean);
const topic = `${env.TOPIC_PREFIX ?? ''}${env.TOPIC ?? 'order.confirmed'}`;
const groupId = env.GROUP_ID ?? 'partner-erp';
const fromBeginning = env.FROM_BEGINNING === 'true';
const schemasDir = env.SCHEMAS_DIR ?? join(here, '..', '..', 'packages', 'contracts', 'schemas');
const seenFile = env.SEEN_FILE;

// The envelope schema and every event's data schema, by their `$id` (what `dataschema` names).
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const dataSchemas = new Map();
for (const file of readdirSync(schemasDir).filter((name) => name.endsWith('.json') && name !== 'asyncapi.json')) {
  const schema = JSON.parse(readFileSync(join(schemasDir, file), 'utf8'));
  if (typeof schema.$id === 'string') dataSchemas.set(schema.$id, ajv.compile(schema));
}
const envelope = dataSchemas.get('urn:foodxchange:events:envelope:v1');
if (!envelope) throw new Error(`no envelope schema (urn:foodxchange:events:envelope:v1) in ${schemasDir}`);

/** @type {Set<string>} */
const seen = new Set(seenFile && existsSync(seenFile) ? readFileSync(seenFile, 'utf8').split('\n').filter(Boolean) : []);

/** @param {import('ajv').ErrorObject[] | null | undefined} errors */
const describe = (errors) => (errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`).join('; ');

/**
 * What to do with one record: print it, or say why not.
 * @param {Buffer | null} value
 * @returns {{ kind: 'event', event: any } | { kind: 'duplicate', id: string } | { kind: 'invalid', reason: string }}
 */
function examine(value) {
  let event;
  try {
    event = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (!envelope(event)) return { kind: 'invalid', reason: `envelope: ${describe(envelope.errors)}` };
  const validateData = dataSchemas.get(event.dataschema);
  if (!validateData) return { kind: 'invalid', reason: `unknown dataschema ${event.dataschema}` };
  if (!validateData(event.data)) return { kind: 'invalid', reason: `data: ${describe(validateData.errors)}` };
  if (seen.has(event.id)) return { kind: 'duplicate', id: event.id };
  return { kind: 'event', event };
}

const kafka = new Kafka({ clientId: 'partner-erp-example', brokers, logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId });
consumer.on(consumer.events.GROUP_JOIN, () => console.error(`listening on ${topic} as ${groupId}`));

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    const outcome = examine(message.value);
    if (outcome.kind === 'invalid') {
      console.error(`skipped ${topic}[${partition}]@${message.offset}: ${outcome.reason}`);
      return;
    }
    if (outcome.kind === 'duplicate') {
      console.error(`duplicate ${outcome.id} (already handled)`);
      return;
    }
    const { event } = outcome;
    // Handle first, then remember: a crash in between handles the event again (at-least-once),
    // which is why the id is checked before handling.
    console.log(JSON.stringify({ id: event.id, type: event.type, subject: event.subject, time: event.time, correlationid: event.correlationid, data: event.data }));
    seen.add(event.id);
    if (seenFile) appendFileSync(seenFile, `${event.id}\n`);
  },
});

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    void consumer.disconnect().finally(() => process.exit(0));
  });
}
