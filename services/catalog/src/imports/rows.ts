import { MAX_JSON_DEPTH } from '@foodxchange/service-kit';
import type { ImportFormat, RowError, StoredRow } from './model.js';
import { NUL_MESSAGE, fieldOfColumn } from './parse.js';

/**
 * Worker-time reading of a stored row: its source turned into the body `POST /products` takes,
 * or the row's errors. Validation against the product schema comes after this (see worker.ts).
 */

/** A row's field errors keyed by field path (`priceTiers.1.minQuantity`; '' for the row). */
export type FieldProblems = Record<string, string[]>;

export type Candidate = { input: Record<string, unknown> } | { problems: FieldProblems };

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A cell as a number when it reads as one; otherwise the text, so the schema names the field ("must be number"). */
function numberOrText(cell: string): number | string {
  return NUMBER.test(cell) ? Number(cell) : cell;
}

function list(cell: string): string[] {
  return cell
    .split('|')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * A CSV record as a product body. Empty cells are absent fields (so a required one is reported
 * "is required"); lists are `|`-separated; `priceTiers` is `minQuantity:unitPrice|…` in the
 * row's `currency`; `name.de` / `description.de` fill `translations.de`.
 */
export function csvCandidate(columns: readonly string[], values: readonly string[]): Candidate {
  const input: Record<string, unknown> = {};
  const problems: FieldProblems = {};
  const cells = new Map<string, string>();
  columns.forEach((column, index) => {
    const cell = (values[index] ?? '').trim();
    if (cell !== '') cells.set(column, cell);
  });
  const translations: Record<string, Record<string, string>> = {};
  for (const [column, cell] of cells) {
    switch (column) {
      case 'moq':
        input.moq = numberOrText(cell);
        break;
      case 'certifications':
      case 'allergens':
        input[column] = list(cell);
        break;
      case 'priceTiers':
      case 'currency':
        break;
      default: {
        const field = fieldOfColumn(column);
        if (field.startsWith('translations.')) {
          const [, language, part] = field.split('.') as [string, string, string];
          (translations[language] ??= {})[part] = cell;
        } else input[column] = cell;
      }
    }
  }
  // Lists a CSV row leaves empty mean "none" (a spreadsheet cannot write an empty list otherwise).
  input.certifications ??= [];
  input.allergens ??= [];
  if (Object.keys(translations).length > 0) input.translations = translations;
  const tiers = cells.get('priceTiers');
  if (tiers !== undefined) {
    const currency = cells.get('currency');
    input.priceTiers = list(tiers).map((tier, index) => {
      const match = /^([^:]+):([^:]+)$/.exec(tier);
      if (!match) {
        problems[`priceTiers.${index}`] = [`must be minQuantity:unitPrice (e.g. 100:2.50), not ${JSON.stringify(tier)}`];
        return {};
      }
      return { minQuantity: numberOrText(match[1]!.trim()), unitPrice: numberOrText(match[2]!.trim()), ...(currency ? { currency } : {}) };
    });
  }
  return Object.keys(problems).length > 0 ? { problems } : { input };
}

/** Paths of strings (values or keys) holding NUL, iteratively; false when the value nests too deep. */
function nulPaths(root: unknown): string[] | false {
  const found: string[] = [];
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: '', depth: 0 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\0')) found.push(path);
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= MAX_JSON_DEPTH) return false;
      for (const [key, child] of Object.entries(value)) {
        const childPath = path === '' ? key.replaceAll('\0', '\\u0000') : `${path}.${key.replaceAll('\0', '\\u0000')}`;
        if (key.includes('\0')) found.push(childPath);
        else pending.push({ value: child, path: childPath, depth: depth + 1 });
      }
    }
  }
  return found;
}

/** A JSON line as a product body: valid JSON, an object, not too deep, no NUL in any string or key. */
export function ndjsonCandidate(source: string): Candidate {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    return { problems: { '': [`is not valid JSON (${(error as Error).message})`] } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problems: { '': ['must be a JSON object (one product per line)'] } };
  const nul = nulPaths(value);
  if (nul === false) return { problems: { '': [`nests deeper than ${MAX_JSON_DEPTH} levels`] } };
  if (nul.length > 0) return { problems: Object.fromEntries(nul.map((path) => [path, [NUL_MESSAGE]])) };
  return { input: value as Record<string, unknown> };
}

export function candidateOf(format: ImportFormat, columns: readonly string[] | undefined, row: StoredRow): Candidate {
  if (row.problem) return { problems: { [row.problem.field]: [row.problem.message] } };
  if (row.source === undefined) return { problems: { '': ['was not stored'] } };
  if (format === 'ndjson') return ndjsonCandidate(row.source);
  return csvCandidate(columns ?? [], JSON.parse(row.source) as string[]);
}

/** The CSV column a field path came from (`priceTiers.2.currency` → `currency`, `translations.de.name` → `name.de`). */
export function columnOfField(field: string, columns: readonly string[]): string | undefined {
  const [head, second, third] = field.split('.');
  let column: string | undefined;
  if (head === 'translations' && second && third) column = `${third}.${second}`;
  else if (head === 'priceTiers' && third === 'currency') column = 'currency';
  else column = head;
  return column && columns.includes(column) ? column : undefined;
}

/** A row's field problems as error entries (the product field, and for CSV the column). */
export function rowErrorsOf(row: Pick<StoredRow, 'row' | 'line'>, problems: FieldProblems, columns?: readonly string[]): RowError[] {
  const errors: RowError[] = [];
  for (const [field, messages] of Object.entries(problems)) {
    const column = columns ? columnOfField(field, columns) : undefined;
    for (const message of messages) errors.push({ row: row.row, line: row.line, field, ...(column ? { column } : {}), message });
  }
  return errors;
}
