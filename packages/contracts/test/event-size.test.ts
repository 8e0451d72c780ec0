import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  ALL_TOPICS,
  CERTIFICATION_TYPES,
  ComplianceViolation,
  CountryCode,
  Id,
  MAX_EVENT_BYTES,
  UnboundedSchemaError,
  eventBytes,
  eventDataSchemas,
  jsonBytes,
  largestEvent,
  largestEventBytes,
  largestInstance,
  parseEvent,
  toKafkaMessage,
  validateAgainst,
  validateEventData,
  type Topic,
} from '../src/index.js';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');

function unbounded(schema: object): UnboundedSchemaError {
  try {
    largestInstance(schema);
  } catch (error) {
    expect(error).toBeInstanceOf(UnboundedSchemaError);
    return error as UnboundedSchemaError;
  }
  throw new Error('expected an UnboundedSchemaError, the schema was accepted as bounded');
}

describe('largestInstance finds what a schema leaves unbounded', () => {
  it('an array without maxItems, naming its path', () => {
    const error = unbounded(Type.Object({ order: Type.Object({ lines: Type.Array(Type.String({ maxLength: 10 })) }) }));
    expect(error.message).toBe('unbounded array at /order/lines: add maxItems');
    expect(error.kind).toBe('array');
    expect(error.path).toBe('/order/lines');
  });

  it('a string without maxLength, also inside array items and optional properties', () => {
    expect(unbounded(Type.Object({ note: Type.Optional(Type.String()) })).message).toBe('unbounded string at /note: add maxLength');
    expect(unbounded(Type.Array(Type.Object({ name: Type.String({ minLength: 1 }) }), { maxItems: 3 })).path).toBe('/*/name');
    // a format alone is no bound: RFC 3339 allows any number of fraction digits
    expect(unbounded(Type.Object({ at: Type.String({ format: 'date-time' }) })).path).toBe('/at');
    // nor is a pattern with an open repetition
    expect(unbounded(Type.Object({ code: Type.String({ pattern: '^[A-Z]+$' }) })).path).toBe('/code');
  });

  it('a map of arbitrary keys', () => {
    const error = unbounded(Type.Object({ counts: Type.Record(Type.String(), Type.Integer()) }));
    expect(error.kind).toBe('record');
    expect(error.path).toBe('/counts');
  });

  it('accepts the bound a fixed-length pattern sets by itself', () => {
    expect(largestInstance(CountryCode)).toMatch(/^[A-Z]{2}$/);
  });
});

describe('largestInstance builds the largest valid value', () => {
  it('every optional property present, arrays at maxItems, strings at maxLength of 6-byte JSON characters', () => {
    const schema = Type.Object({
      tags: Type.Optional(Type.Array(Type.String({ maxLength: 4 }), { maxItems: 3 })),
      note: Type.String({ maxLength: 10 }),
    });
    const value = largestInstance(schema) as { tags: string[]; note: string };
    expect(value.tags).toHaveLength(3);
    expect(value.note).toHaveLength(10);
    // a control character is written as \uXXXX: 6 bytes for 1 character of maxLength
    expect(jsonBytes(value.note)).toBe(2 + 6 * 10);
    expect(validateAgainst(schema, value)).toEqual({ valid: true });
  });

  it('respects patterns, formats and enums, and makes uniqueItems items distinct', () => {
    const id = largestInstance(Id) as string;
    expect(id).toHaveLength(128);
    expect(validateAgainst(Id, id)).toEqual({ valid: true });
    const list = Type.Array(Type.String({ maxLength: 5, pattern: '^[a-z]+$' }), { uniqueItems: true, maxItems: 40 });
    const values = largestInstance(list) as string[];
    expect(new Set(values).size).toBe(40);
    expect(values.every((v) => v.length === 5)).toBe(true);
    const certifications = largestInstance(Type.Array(Type.Unsafe({ type: 'string', enum: [...CERTIFICATION_TYPES] }), { uniqueItems: true, maxItems: 20 }));
    expect(certifications).toHaveLength(CERTIFICATION_TYPES.length);
    expect(largestInstance(Type.String({ format: 'date-time', maxLength: 35 }))).toHaveLength(35);
  });

  it('picks the longest JSON number a schema allows', () => {
    expect(largestInstance(Type.Integer({ minimum: 0, maximum: 99 }))).toBe(99);
    expect(String(largestInstance(Type.Number({ exclusiveMinimum: 0 })))).toHaveLength(23);
    expect(largestInstance(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('gives a finding every field at its bound', () => {
    const finding = largestInstance(ComplianceViolation) as Record<string, unknown[]>;
    expect(Object.keys(finding).sort()).toEqual(Object.keys(ComplianceViolation.properties).sort());
    expect(finding.allergens).toHaveLength(32);
  });
});

describe(`every topic's largest valid event fits in ${MAX_EVENT_BYTES} bytes`, () => {
  const sizes: Array<{ topic: Topic; bytes: number }> = [];

  it.each(ALL_TOPICS)('%s', (topic) => {
    const event = largestEvent(topic);
    // it is a valid event: its data against the schema, the whole record as a consumer parses it
    expect(validateEventData(topic, event.data)).toEqual({ valid: true });
    const value = toKafkaMessage(event).value;
    expect(parseEvent(value, topic)).toEqual(event);
    const bytes = eventBytes(event);
    expect(bytes).toBe(Buffer.byteLength(value, 'utf8'));
    sizes.push({ topic, bytes });
    expect(bytes, `${topic}: largest valid event is ${bytes} bytes`).toBeLessThanOrEqual(MAX_EVENT_BYTES);
  });

  it('prints the largest size of every topic', () => {
    const table = sizes.map(({ topic, bytes }) => `${topic.padEnd(28)} ${String(bytes).padStart(7)} B  ${((100 * bytes) / MAX_EVENT_BYTES).toFixed(1).padStart(5)} %`);
    console.log(`largest valid event per topic (limit ${MAX_EVENT_BYTES} B):\n${table.join('\n')}`);
    expect(sizes).toHaveLength(ALL_TOPICS.length);
  });

  it('is really the largest: every list of compliance.checked at its maximum', () => {
    const data = largestEvent('compliance.checked').data;
    expect(data.passed).toBe(false);
    expect(data.violations).toHaveLength(50);
    expect(data.warnings).toHaveLength(50);
    expect(data.violationsByCode).toHaveLength(32);
    // one more finding than the sample allows is refused
    expect(validateEventData('compliance.checked', { ...data, violations: [...data.violations, data.violations[0]!] }).valid).toBe(false);
  });

  it('README states each largest size (run this test and copy the printed numbers)', () => {
    for (const topic of ALL_TOPICS) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${topic}\` | `) && line.includes(' B |'));
      expect(row, `no size row for ${topic} in README`).toBeDefined();
      expect(row).toContain(`| ${largestEventBytes(topic).toLocaleString('en-US')} B |`);
    }
    expect(readme).toContain(`MAX_EVENT_BYTES\` = ${MAX_EVENT_BYTES.toLocaleString('en-US')} bytes`);
  });

  it('the data schemas are the ones measured', () => {
    expect(Object.keys(eventDataSchemas).sort()).toEqual([...ALL_TOPICS].sort());
  });
});
