import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  ALL_TOPICS,
  EVENT_CATALOG,
  asyncApiDocument,
  dlqTopic,
  sampleEvent,
  toKafkaMessage,
  type Topic,
} from '../src/index.js';
import { schemaFiles } from '../src/schema-files.js';
import { sampleEventData } from './samples.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const here = dirname(fileURLToPath(import.meta.url));
const schemasDir = join(here, '..', 'schemas');

type Doc = {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  operations: Record<string, { action: string; channel: { $ref: string }; messages: { $ref: string }[] }>;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    messages: Record<string, { payload: unknown; examples?: { payload: unknown }[]; correlationId: { $ref: string } }>;
  };
};

/** Resolves a local JSON pointer reference inside the document. */
function resolve(doc: unknown, ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc);
}

describe('AsyncAPI document', () => {
  const doc = asyncApiDocument() as unknown as Doc;

  it('is a valid AsyncAPI 3.0.0 document (official JSON Schema of the specification)', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const specPath = join(here, '..', 'node_modules', '@asyncapi', 'specs', 'schemas', '3.0.0-without-$id.json');
    const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
    const validate = ajv.compile(JSON.parse(readFileSync(specPath, 'utf8')) as object);
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    // and the check can fail: AsyncAPI 3 has no 'publish' action
    const broken = structuredClone(doc);
    Object.values(broken.operations)[0]!.action = 'publish';
    expect(validate(broken)).toBe(false);
  });

  it('lists every topic and its dead-letter topic as channels', () => {
    const addresses = Object.values(doc.channels).map((channel) => channel.address);
    for (const topic of ALL_TOPICS) {
      expect(addresses, topic).toContain(topic);
      expect(addresses, topic).toContain(dlqTopic(topic));
    }
    expect(addresses).toHaveLength(ALL_TOPICS.length * 2);
  });

  it('has a publish operation per topic and a dead-letter operation per DLQ, all references resolving', () => {
    const byChannel = new Map<string, string[]>();
    for (const operation of Object.values(doc.operations)) {
      expect(operation.action).toBe('send');
      const channel = resolve(doc, operation.channel.$ref) as { address: string };
      expect(channel, operation.channel.$ref).toBeDefined();
      byChannel.set(channel.address, [...(byChannel.get(channel.address) ?? []), ...operation.messages.map((m) => m.$ref)]);
      for (const message of operation.messages) expect(resolve(doc, message.$ref), message.$ref).toBeDefined();
    }
    for (const topic of ALL_TOPICS) {
      expect(byChannel.get(topic), topic).toHaveLength(1);
      expect(byChannel.get(dlqTopic(topic)), topic).toHaveLength(1);
    }
    for (const channel of Object.values(doc.channels)) {
      for (const message of Object.values(channel.messages)) expect(resolve(doc, message.$ref), message.$ref).toBeDefined();
    }
  });

  it('carries the envelope and every data schema with its dataschema as $id', () => {
    expect(doc.components.schemas.CloudEventEnvelope).toBeDefined();
    const ids = Object.values(doc.components.schemas).map((schema) => schema.$id);
    for (const topic of ALL_TOPICS) expect(ids, topic).toContain(EVENT_CATALOG[topic].dataschema);
  });

  it('has an example per event that validates against its own message payload schema', () => {
    const ajv = addFormats(new Ajv({ allErrors: true, strictTypes: false }));
    for (const [id, schema] of Object.entries(doc.components.schemas)) ajv.addSchema({ ...schema, $id: `#/components/schemas/${id}` } as object);
    let checked = 0;
    for (const topic of ALL_TOPICS) {
      const message = Object.values(doc.channels[topic]!.messages)[0]!;
      const definition = resolve(doc, message.$ref) as Doc['components']['messages'][string];
      expect(resolve(doc, definition.correlationId.$ref), topic).toBeDefined();
      const payload = JSON.parse(JSON.stringify(definition.payload).replace(/"#\/components\/schemas\/([A-Za-z]+)"/g, '"$1"')) as {
        allOf: object[];
      };
      const schemas = doc.components.schemas;
      const inline = {
        allOf: [schemas.CloudEventEnvelope, { ...payload.allOf[1], properties: { ...(payload.allOf[1] as { properties: object }).properties, data: schemas[`${message.$ref.split('/').pop()}Data`] } }].map((s) => {
          const { $id: _id, ...rest } = s as Record<string, unknown>;
          return rest;
        }),
      };
      const validate = ajv.compile(inline);
      for (const example of definition.examples ?? []) {
        expect(validate(example.payload), `${topic}: ${JSON.stringify(validate.errors)}`).toBe(true);
        checked += 1;
      }
      // the example is a real event of the topic, the other topic's example is not
      const other = ALL_TOPICS[(ALL_TOPICS.indexOf(topic) + 1) % ALL_TOPICS.length]!;
      expect(validate(sampleEvent(other)), `${other} passed as ${topic}`).toBe(false);
    }
    expect(checked).toBe(ALL_TOPICS.length);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(asyncApiDocument())).toBe(JSON.stringify(asyncApiDocument()));
  });
});

describe('generated files in schemas/', () => {
  const expected = schemaFiles();

  it('are exactly the generated set (run `pnpm --filter @foodxchange/contracts generate`)', () => {
    const present = readdirSync(schemasDir).filter((name) => name.endsWith('.json')).sort();
    expect(present).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.keys(schemaFiles()))('%s is up to date', (name) => {
    expect(readFileSync(join(schemasDir, name), 'utf8'), `${name} is stale: run pnpm generate`).toBe(expected[name]);
  });

  it('has one <topic>.v1.json per topic whose $id is the dataschema', () => {
    for (const topic of ALL_TOPICS) {
      const file = JSON.parse(readFileSync(join(schemasDir, `${topic}.v1.json`), 'utf8')) as { $id: string; $schema: string };
      expect(file.$id).toBe(`urn:foodxchange:events:${topic}:v1`);
      expect(file.$schema).toBe('http://json-schema.org/draft-07/schema#');
    }
  });

  it('lets a partner validate events with nothing but the files and a standard validator', () => {
    const ajv = addFormats(new Ajv({ allErrors: true, strictTypes: false }));
    for (const name of readdirSync(schemasDir)) {
      if (name !== 'asyncapi.json') ajv.addSchema(JSON.parse(readFileSync(join(schemasDir, name), 'utf8')) as object);
    }
    const envelope = ajv.getSchema('urn:foodxchange:events:envelope:v1')!;
    for (const topic of ALL_TOPICS) {
      const event = JSON.parse(toKafkaMessage(sampleEvent(topic)).value) as { dataschema: string; data: unknown };
      expect(envelope(event), topic).toBe(true);
      const dataSchema = ajv.getSchema(event.dataschema)!;
      expect(dataSchema, event.dataschema).toBeDefined();
      expect(dataSchema(event.data), `${topic}: ${JSON.stringify(dataSchema.errors)}`).toBe(true);
      expect(dataSchema({ ...(sampleEventData[topic] as object), [EVENT_CATALOG[topic as Topic].key]: 42 }), topic).toBe(false);
    }
    expect(envelope({ specversion: '1.0' })).toBe(false);
  });
});
