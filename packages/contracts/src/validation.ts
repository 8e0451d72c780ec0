/** JSON Schema validation of event data and envelopes (ajv + ajv-formats, never hand-written). */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';
import { eventDataSchemas, type EventData } from './catalog.js';
import { isTopic, type Topic } from './topics.js';

// ajv-formats ships CommonJS; under NodeNext its default import is typed as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface ContractError {
  /** JSON Pointer to the offending value (`/items/0/quantity`; `` for the whole document). */
  path: string;
  message: string;
}

/**
 * A message that breaks the contract: not JSON, not a CloudEvent, unknown type, or data that fails
 * its schema. Never retryable: a consumer dead-letters it at once.
 */
export class ContractViolationError extends Error {
  readonly errors: ContractError[];
  readonly retryable = false;

  constructor(message: string, errors: ContractError[] = []) {
    const detail = errors.length > 0 ? `: ${errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}` : '';
    super(`${message}${detail}`);
    this.name = 'ContractViolationError';
    this.errors = errors;
  }
}

export type ValidationResult = { valid: true } | { valid: false; errors: ContractError[] };

/** One validator for the whole package: validation never changes the data it looks at. */
export const ajv = addFormats(
  new Ajv({
    allErrors: true,
    strictTypes: false,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
  }),
);

const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles (once) and returns the validator of a TypeBox / JSON schema. */
export function validatorFor(schema: TSchema | object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Validates any value against a schema and reports errors with JSON Pointer paths. */
export function validateAgainst(schema: TSchema | object, value: unknown, pathPrefix = ''): ValidationResult {
  const validate = validatorFor(schema);
  if (validate(value)) return { valid: true };
  return { valid: false, errors: toContractErrors(validate.errors ?? [], pathPrefix) };
}

/** Validates the `data` of an event on `topic` against that topic's current schema. */
export function validateEventData<T extends Topic>(
  topic: T,
  data: unknown,
): { valid: true } | { valid: false; errors: Array<{ path: string; message: string }> } {
  if (!isTopic(topic)) return { valid: false, errors: [{ path: '', message: `unknown topic ${String(topic)}` }] };
  return validateAgainst(eventDataSchemas[topic], data);
}

/** Type guard form of {@link validateEventData}. */
export function isEventData<T extends Topic>(topic: T, data: unknown): data is EventData<T> {
  return validateEventData(topic, data).valid;
}

/** Throws a {@link ContractViolationError} unless `data` is valid for `topic`. */
export function assertEventData<T extends Topic>(topic: T, data: unknown): asserts data is EventData<T> {
  const result = validateEventData(topic, data);
  if (!result.valid) throw new ContractViolationError(`invalid ${topic} data`, result.errors);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * ajv errors → `{ path, message }`. A missing or unexpected property is reported at its own path;
 * the branch errors of an `anyOf` collapse into one message at the value's path.
 */
export function toContractErrors(errors: readonly ErrorObject[], pathPrefix = ''): ContractError[] {
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const result: ContractError[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (error.keyword === 'if') continue; // its then/else branch reports the actual problem
    const parentAnyOf = anyOfs.find(
      (a) => a !== error && a.instancePath === error.instancePath && error.schemaPath.startsWith(`${a.schemaPath}/`),
    );
    if (parentAnyOf) continue;
    let path = error.instancePath;
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'required' || error.keyword === 'dependencies') {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      path = `${path}/${escapePointer(missing)}`;
      message = error.keyword === 'required' ? 'is required' : message;
    } else if (error.keyword === 'additionalProperties') {
      path = `${path}/${escapePointer((error.params as { additionalProperty: string }).additionalProperty)}`;
      message = 'is not allowed';
    } else if (error.keyword === 'anyOf') {
      const branches = errors
        .filter((e) => e !== error && e.instancePath === error.instancePath && e.schemaPath.startsWith(`${error.schemaPath}/`))
        .map((e) => e.message ?? 'is invalid');
      message = branches.length > 0 ? `must match one of: ${[...new Set(branches)].join(' | ')}` : message;
    } else if (error.keyword === 'enum') {
      message = `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const full = `${pathPrefix}${path}`;
    const key = `${full}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ path: full, message });
  }
  return result;
}
