/**
 * The largest instance a JSON Schema allows, for proving that every valid event fits in one Kafka
 * message ({@link MAX_EVENT_BYTES}). Every optional property is present, every array is at its
 * `maxItems`, every string at its `maxLength` made of the character that costs the most bytes in
 * JSON, every number the longest JSON number the schema accepts.
 *
 * A schema with no such bound (an array without `maxItems`, a string without `maxLength`, a map
 * of arbitrary keys) has no largest instance: that throws {@link UnboundedSchemaError}, which is
 * the signal to bound it. Every candidate value is checked with the package's own validator, so
 * `pattern`, `format`, `enum` and conditionals are respected, not guessed.
 */
import type { TSchema } from '@sinclair/typebox';
import { validatorFor } from './validation.js';

/**
 * The whole CloudEvents JSON of one event, as sent as the Kafka record value (key and headers
 * aside), may not be larger than this. Kafka refuses records over 1 MB by default
 * (`message.max.bytes`, `max.request.size`): the contract leaves at least half of that free, so a
 * broker with default settings, batching overhead and the record's key and headers never come
 * close. The largest valid event of every topic is measured against it by a test.
 */
export const MAX_EVENT_BYTES = 512 * 1024;

/** A part of a schema that allows instances of any size. */
export class UnboundedSchemaError extends Error {
  constructor(
    readonly kind: 'array' | 'string' | 'record' | 'unsupported',
    readonly path: string,
    detail?: string,
  ) {
    super(`${kind === 'unsupported' ? 'unsupported schema' : `unbounded ${kind}`} at ${path || '/'}${detail ? `: ${detail}` : ''}`);
    this.name = 'UnboundedSchemaError';
  }
}

type JsonSchema = Record<string, unknown>;

/** Bytes of a value as JSON (UTF-8). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Characters that each count 1 towards `maxLength` (ajv counts code points), most JSON bytes
 * first: a control character or a lone surrogate is written as a 6-byte `\uXXXX` escape, a
 * quote or backslash as 2 bytes, an astral code point as 4 UTF-8 bytes, then 3-, 2- and 1-byte
 * characters. The lone surrogates give 1024 distinct worst-case characters for arrays whose items
 * must differ.
 */
const WORST_CHARS = Array.from({ length: 1024 }, (_, i) => String.fromCharCode(0xdc00 + i));
const CANDIDATE_CHARS: readonly string[] = [...new Set([
  '\u0001',
  '"',
  '\\',
  '\u{10ffff}',
  '\uffff',
  '\u07ff',
  // printable ASCII (1 byte), letters and digits first: what patterns for codes usually allow
  ...'AZaz09',
  ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
])];

/** Worst cases for the formats the contract uses, for a given maximum length. */
function formatCandidates(format: string, maxLength: number): string[] {
  switch (format) {
    case 'date':
      return ['2025-12-31'];
    case 'date-time': {
      // fractional seconds are unbounded in RFC 3339: fill them up to maxLength
      const digits = Math.max(0, maxLength - '2025-12-31T23:59:59.+23:59'.length);
      return [`2025-12-31T23:59:59.${'9'.repeat(digits)}+23:59`, '2025-12-31T23:59:59+23:59', '2025-12-31T23:59:59Z'];
    }
    case 'email': {
      const domain = '@a.bc';
      return [`${'a'.repeat(Math.max(1, maxLength - domain.length))}${domain}`, 'a@a.bc'];
    }
    case 'uri-reference':
      return [`/${'a'.repeat(Math.max(0, maxLength - 1))}`, '/'];
    default:
      return [];
  }
}

function isValid(schema: JsonSchema, value: unknown): boolean {
  return validatorFor(schema)(value) === true;
}

function longest<T>(values: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestBytes = -1;
  for (const value of values) {
    const bytes = jsonBytes(value);
    if (bytes > bestBytes) {
      best = value;
      bestBytes = bytes;
    }
  }
  return best;
}

function typesOf(schema: JsonSchema): string[] {
  const type = schema.type;
  return Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
}

/** The float just below / above a number (for bounds that a long fraction can sit right next to). */
function nextFloat(value: number, direction: 1 | -1): number {
  if (!Number.isFinite(value)) return value;
  if (value === 0) return direction * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  let bits = view.getBigUint64(0);
  bits += (value > 0) === (direction > 0) ? 1n : -1n;
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

function largestNumber(schema: JsonSchema, path: string): number {
  const bounds = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']
    .map((key) => schema[key])
    .filter((value): value is number => typeof value === 'number');
  const candidates = [
    -Number.MAX_VALUE,
    Number.MAX_VALUE,
    -2.2250738585072014e-308,
    2.2250738585072014e-308,
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
    ...bounds.flatMap((bound) => [bound, nextFloat(bound, 1), nextFloat(bound, -1), Math.floor(bound), Math.ceil(bound), Math.floor(bound) - 1, Math.ceil(bound) + 1]),
    1,
    0,
  ];
  const best = longest(candidates.filter((value) => Number.isFinite(value) && isValid(schema, value)));
  if (best === undefined) throw new UnboundedSchemaError('unsupported', path, 'no number satisfies the schema');
  return best;
}

/**
 * The length bound a pattern sets by itself, for the simple shape `^<one character or class>{n}$`
 * or `{m,n}$` (country, currency and market codes), so those need no redundant `maxLength`.
 */
function patternMaxLength(pattern: unknown): number | undefined {
  if (typeof pattern !== 'string') return undefined;
  const match = /^\^(?:\[(?:[^\]\\]|\\.)+\]|\\.|[A-Za-z0-9])\{(\d+)(?:,(\d+))?\}\$$/.exec(pattern);
  if (!match) return undefined;
  return Number(match[2] ?? match[1]);
}

/** The worst-case strings of a string schema at its maximum length, most bytes first. */
function largestStrings(schema: JsonSchema, path: string, count: number): string[] {
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : patternMaxLength(schema.pattern);
  if (maxLength === undefined) throw new UnboundedSchemaError('string', path, 'add maxLength');
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  if (typeof schema.format === 'string') {
    const found = formatCandidates(schema.format, maxLength).filter((value) => isValid(schema, value));
    if (found.length === 0) throw new UnboundedSchemaError('unsupported', path, `no worst case for format ${schema.format}`);
    if (count > 1) throw new UnboundedSchemaError('unsupported', path, `distinct values of format ${schema.format}`);
    return [longest(found)!];
  }
  if (schema.pattern === undefined) {
    // any character is allowed: the most expensive one, made distinct by the leading characters
    return Array.from({ length: count }, (_, index) => {
      let prefix = '';
      for (let rest = index; prefix.length === 0 || rest > 0; rest = Math.floor(rest / WORST_CHARS.length)) {
        prefix += WORST_CHARS[rest % WORST_CHARS.length];
      }
      if (prefix.length > maxLength) throw new UnboundedSchemaError('unsupported', path, `${count} distinct strings of ${maxLength}`);
      return prefix + '\u0001'.repeat(maxLength - prefix.length);
    });
  }
  // a pattern: the longest string of the most expensive single character it accepts
  for (let length = maxLength; length >= Math.max(minLength, 1); length -= 1) {
    const char = CANDIDATE_CHARS.find((candidate) => isValid(schema, candidate.repeat(length)));
    if (char === undefined) continue;
    const base = char.repeat(length);
    if (count === 1) return [base];
    // distinct values: vary the trailing characters over the characters the pattern accepts there
    const alphabet = CANDIDATE_CHARS.filter((candidate) => jsonBytes(candidate) === jsonBytes(char) && isValid(schema, base.slice(0, -1) + candidate));
    const values: string[] = [];
    for (let index = 0; index < count; index += 1) {
      let suffix = '';
      for (let rest = index; suffix.length === 0 || rest > 0; rest = Math.floor(rest / alphabet.length)) suffix = alphabet[rest % alphabet.length] + suffix;
      const value = base.slice(0, length - suffix.length) + suffix;
      if (suffix.length > length || !isValid(schema, value)) {
        throw new UnboundedSchemaError('unsupported', path, `cannot make ${count} distinct values of pattern ${String(schema.pattern)}`);
      }
      values.push(value);
    }
    return values;
  }
  throw new UnboundedSchemaError('unsupported', path, `no worst case for pattern ${String(schema.pattern)}: extend CANDIDATE_CHARS`);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `count` largest values of a schema, pairwise distinct when `distinct` is set. */
function largestValues(schema: JsonSchema, path: string, count: number, distinct: boolean): unknown[] {
  if (!distinct || count <= 1) {
    const value = largestValue(schema, path);
    return Array.from({ length: count }, () => structuredClone(value));
  }
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) {
    return [...schema.enum].sort((a, b) => jsonBytes(b) - jsonBytes(a)).slice(0, count);
  }
  if (typesOf(schema).length === 1 && typesOf(schema)[0] === 'string' && schema.anyOf === undefined) {
    return largestStrings(schema, path, count);
  }
  throw new UnboundedSchemaError('unsupported', path, 'uniqueItems over items that are not strings or enums');
}

function largestValue(schema: JsonSchema, path: string): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return longest(schema.enum);
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (branches) {
    const values = branches.map((branch) => largestValue(branch, path)).filter((value) => isValid(schema, value));
    if (values.length === 0) throw new UnboundedSchemaError('unsupported', path, 'no branch of the union gives a valid value');
    return longest(values);
  }
  if (schema.allOf !== undefined || schema.not !== undefined) throw new UnboundedSchemaError('unsupported', path, 'allOf / not');

  const types = typesOf(schema);
  if (types.length !== 1) throw new UnboundedSchemaError('unsupported', path, `type ${JSON.stringify(schema.type)}`);
  switch (types[0]) {
    case 'null':
      return null;
    case 'boolean':
      // false is the longer one; conditionals keyed on a boolean are checked by the final validation
      return false;
    case 'integer':
    case 'number':
      return largestNumber(schema, path);
    case 'string':
      return largestStrings(schema, path, 1)[0];
    case 'array': {
      if (typeof schema.maxItems !== 'number') throw new UnboundedSchemaError('array', path, 'add maxItems');
      const items = schema.items;
      if (typeof items !== 'object' || items === null || Array.isArray(items)) {
        throw new UnboundedSchemaError('unsupported', path, 'arrays need a single items schema');
      }
      return largestValues(items as JsonSchema, `${path}/*`, schema.maxItems, schema.uniqueItems === true);
    }
    case 'object': {
      const extra = schema.additionalProperties;
      if (schema.patternProperties !== undefined || (typeof extra === 'object' && extra !== null)) {
        throw new UnboundedSchemaError('record', path, 'a map of arbitrary keys: use named properties');
      }
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const result: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(properties)) result[key] = largestValue(property, `${path}/${escapePointer(key)}`);
      return result;
    }
    default:
      throw new UnboundedSchemaError('unsupported', path, `type ${types[0]}`);
  }
}

/**
 * The largest instance of a schema (see the module comment). Throws {@link UnboundedSchemaError}
 * naming the first unbounded part, or when the result does not validate against the schema.
 */
export function largestInstance(schema: TSchema | object, path = ''): unknown {
  const plain = JSON.parse(JSON.stringify(schema)) as JsonSchema;
  const value = largestValue(plain, path);
  const validate = validatorFor(schema);
  if (!validate(value)) {
    throw new UnboundedSchemaError('unsupported', path, `the generated instance does not validate: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  }
  return value;
}
