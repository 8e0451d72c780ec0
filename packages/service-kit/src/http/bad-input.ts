import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from './errors.js';
import { CORRELATION_ID_HEADER, IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER } from './headers.js';

/**
 * Deepest JSON a request body may nest. No payload of the platform comes close; deeper input
 * only ever is an attack on recursive code further on (serializers, the BSON encoder, whose own
 * limit is 100).
 */
export const MAX_JSON_DEPTH = 32;

export const NUL_MESSAGE = 'must not contain the NUL character';

/** Headers whose values the platform stores or passes on to other services. */
export const STORED_HEADERS = [REQUEST_ID_HEADER, CORRELATION_ID_HEADER, IDEMPOTENCY_KEY_HEADER] as const;

/** At most this many offending paths are named in one answer: the answer stays small. */
const MAX_REPORTED_PATHS = 50;

/**
 * JSON can carry U+0000 only as the escape `\u0000` (a raw control character is invalid JSON),
 * so looking for that text is enough to know whether a parsed body needs to be searched at all.
 */
const ESCAPED_NUL = '\\u0000';

/** A key as it can be shown in a field path: its NUL characters written as `\u0000`. */
function printableKey(key: string): string {
  return key.includes('\0') ? key.replaceAll('\0', ESCAPED_NUL) : key;
}

/**
 * Every path under `part` holding a string (value or object key) with a NUL character, e.g.
 * `body.products.0.name`. Iterative, so no input can overflow the stack; stops after
 * MAX_REPORTED_PATHS findings.
 */
export function nulFields(root: unknown, part: string): Record<string, string[]> | undefined {
  let fields: Record<string, string[]> | undefined;
  let found = 0;
  const report = (path: string, message: string) => {
    fields ??= {};
    (fields[path] ??= []).push(message);
    found += 1;
  };
  const values: unknown[] = [root];
  const paths: string[] = [part];
  while (values.length > 0 && found < MAX_REPORTED_PATHS) {
    const value = values.pop();
    const path = paths.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\0')) report(path, NUL_MESSAGE);
    } else if (Array.isArray(value)) {
      // Pushed in reverse so findings come out in document order.
      for (let index = value.length - 1; index >= 0; index -= 1) {
        values.push(value[index]);
        paths.push(`${path}.${index}`);
      }
    } else if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      for (let index = keys.length - 1; index >= 0; index -= 1) {
        const key = keys[index]!;
        const keyPath = `${path}.${printableKey(key)}`;
        if (key.includes('\0')) report(keyPath, `name ${NUL_MESSAGE}`);
        values.push((value as Record<string, unknown>)[key]);
        paths.push(keyPath);
      }
    }
  }
  return fields;
}

/** Whether a parsed JSON value nests deeper than `limit` arrays/objects. Iterative. */
export function nestsDeeperThan(root: unknown, limit: number): boolean {
  if (typeof root !== 'object' || root === null) return false;
  const containers: object[] = [root];
  const depths: number[] = [1];
  while (containers.length > 0) {
    const container = containers.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(container) ? container : Object.values(container);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        containers.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * The kit's `application/json` parser: Fastify's own (secure-json-parse refusing `__proto__`
 * and `constructor.prototype` keys), plus what no schema can say: the bytes are UTF-8, the
 * value nests at most MAX_JSON_DEPTH levels, and no string holds a NUL character (PostgreSQL
 * under the local Mongo-compatible server refuses it, so it would surface as a 500).
 *
 * Registered for a pattern rather than the `application/json` string: a scope that brings its
 * own JSON parser (the gateway's proxy streams bodies through unparsed) can still add one, which
 * Fastify refuses once the string's parser is no longer its default one.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(/^application\/json(?:;|$)/, { parseAs: 'buffer' }, (request, raw, done) => {
    const bytes = raw as Buffer;
    // Decoding would silently turn invalid bytes into U+FFFD: refuse them instead.
    if (!isUtf8(bytes)) {
      done(new ValidationError('Request body is not valid UTF-8'), undefined);
      return;
    }
    const text = bytes.toString('utf8');
    parseJson(request, text, (error, value) => {
      if (error) {
        done(explainJsonError(error, text), undefined);
        return;
      }
      if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
        done(new ValidationError(`Request body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
        return;
      }
      const fields = text.includes(ESCAPED_NUL) ? nulFields(value, 'body') : undefined;
      if (fields) done(new ValidationError('Request body must not contain the NUL character', fields), undefined);
      else done(null, value);
    });
  });
}

/**
 * Fastify answers prototype poisoning with the same "not valid JSON" as a syntax error; on this
 * (rare) path it is worth one more parse to tell the client which one it was.
 */
function explainJsonError(error: Error & { code?: string }, text: string): Error {
  if (error.code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return error;
  try {
    JSON.parse(text);
  } catch {
    return error;
  }
  return new ValidationError('Request body must not contain "__proto__" or "constructor.prototype" keys');
}

function hasNul(value: string | string[] | undefined): boolean {
  if (typeof value === 'string') return value.includes('\0');
  return Array.isArray(value) && value.some((item) => item.includes('\0'));
}

/**
 * NUL characters in the query string, path parameters or a stored header, as field errors.
 * Called on every request, so the common case is one substring search of the URL: a NUL can
 * only reach the query or the params as `%00` (the HTTP parser refuses raw control characters).
 */
export function requestNulFields(request: FastifyRequest): Record<string, string[]> | undefined {
  const headers = request.headers;
  const inHeaders = hasNul(headers[STORED_HEADERS[0]]) || hasNul(headers[STORED_HEADERS[1]]) || hasNul(headers[STORED_HEADERS[2]]);
  if (!inHeaders && !request.url.includes('%00')) return undefined;
  const fields = {
    ...nulFields(request.params, 'params'),
    ...nulFields(request.query, 'querystring'),
  };
  if (inHeaders) for (const name of STORED_HEADERS) if (hasNul(headers[name])) fields[`headers.${name}`] = [NUL_MESSAGE];
  return Object.keys(fields).length > 0 ? fields : undefined;
}
