import type { FastifySchemaCompiler } from 'fastify';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats ships CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const common: Options = {
  // Unknown fields are a client mistake to report, not something to drop silently.
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  keywords: ['kind', 'modifier'],
};

/**
 * Input up to this many values gets every problem reported; larger input that is invalid gets
 * its first problem only. Ajv collecting all errors keeps going after the first one: 400,000
 * array items against `maxItems: 10` cost it 135 ms and 400,000 error objects.
 */
const FULL_REPORT_MAX_VALUES = 1000;

/** Whether `data` holds at most `limit` values (counting stops there, so it is cheap on any input). */
function isSmall(data: unknown, limit: number): boolean {
  const pending: unknown[] = [data];
  let seen = 0;
  while (pending.length > 0) {
    const value = pending.pop();
    seen += 1;
    if (seen > limit) return false;
    if (typeof value === 'object' && value !== null) {
      for (const child of Array.isArray(value) ? value : Object.values(value)) pending.push(child);
    }
  }
  return true;
}

type DataContext = Parameters<ValidateFunction>[1];

/**
 * Two validators: request bodies are typed JSON, so a string where a number belongs is an error;
 * query strings, params and headers only ever arrive as text, so those are coerced.
 *
 * Each schema is checked by a validator that stops at the first error (valid requests, the hot
 * path, cost what they always did). Only a request found invalid is checked again, collecting
 * every error, and only when it is small: the answer names each offending field for any request
 * a person wrote, and no crafted request makes the service do work out of proportion to it.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const ajvs = (coerceTypes: false | 'array') => ({
    firstError: addFormats(new Ajv({ ...common, coerceTypes, allErrors: false })),
    allErrors: addFormats(new Ajv({ ...common, coerceTypes, allErrors: true })),
  });
  const body = ajvs(false);
  const text = ajvs('array');
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? body : text;
    const first = ajv.firstError.compile(schema as object);
    // Compiled on the first invalid request only: most schemas never need it, and compiling
    // costs start-up time.
    let full: ValidateFunction | undefined;
    const validate = (data: unknown, context?: DataContext): boolean => {
      if (first(data, context)) return true;
      validate.errors = first.errors;
      if (isSmall(data, FULL_REPORT_MAX_VALUES)) {
        full ??= ajv.allErrors.compile(schema as object);
        full(data, context);
        if (full.errors) validate.errors = full.errors;
      }
      return false;
    };
    validate.errors = null as ValidateFunction['errors'];
    // Fastify passes the request as parent data (needed to coerce a root value) when it sees this.
    validate.schemaEnv = first.schemaEnv;
    return validate as unknown as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}
