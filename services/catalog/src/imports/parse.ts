import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { parse as parseCsv, CsvError } from 'csv-parse';
import { ValidationError } from '@foodxchange/service-kit';
import type { ImportFormat, StoredRow } from './model.js';

/** Request-time framing of an upload: rows are split off and checked only as far as storing them needs. */

export const NUL_MESSAGE = 'must not contain the NUL character';

/** Columns of a product row; an import's header names some of them (translations below). */
export const CSV_COLUMNS = [
  'sku',
  'name',
  'description',
  'language',
  'category',
  'originCountry',
  'unit',
  'moq',
  'currency',
  'priceTiers',
  'certifications',
  'allergens',
  'storage',
] as const;

/** A header without one of these is refused at once: every one of its rows would fail. */
export const REQUIRED_CSV_COLUMNS = ['sku', 'name', 'category', 'originCountry', 'unit', 'moq', 'currency', 'priceTiers', 'storage'] as const;

/** Translation columns: `name.<lang>` and `description.<lang>`. */
const TRANSLATION_COLUMN = /^(name|description)\.([a-z]{2})$/;

export interface FramedUpload {
  format: ImportFormat;
  /** CSV: the header in canonical spelling. */
  columns?: string[];
  rows: StoredRow[];
}

export interface FramingLimits {
  maxRows: number;
  maxRowBytes: number;
  /** Languages a translation column may name. */
  languages: readonly string[];
}

/** More rows than an import may carry: a 413 naming the limit. */
export class TooManyRowsError extends Error {
  constructor(readonly maxRows: number) {
    super(`An import carries at most ${maxRows} rows`);
  }
}

/** The body's text; bytes that are not UTF-8 refuse the upload (decoding would silently turn them into U+FFFD). */
export function uploadText(body: Buffer): string {
  if (!isUtf8(body)) throw new ValidationError('The import is not valid UTF-8 text');
  return body.toString('utf8');
}

/**
 * The header's columns in canonical spelling (matched without regard to case or surrounding
 * spaces). Unknown, repeated or missing required columns refuse the whole file with field errors.
 */
export function canonicalColumns(header: string[], languages: readonly string[]): string[] {
  const known = new Map<string, string>(CSV_COLUMNS.map((column) => [column.toLowerCase(), column]));
  const fields: Record<string, string[]> = {};
  const seen = new Set<string>();
  const columns = header.map((raw, index) => {
    const name = raw.trim();
    const lower = name.toLowerCase();
    const translation = TRANSLATION_COLUMN.exec(lower);
    let canonical = known.get(lower);
    if (!canonical && translation) {
      if (languages.includes(translation[2]!)) canonical = `${translation[1]}.${translation[2]}`;
      else (fields[`header.${index}`] ??= []).push(`${name}: ${translation[2]} is not one of the languages ${languages.join(', ')}`);
    } else if (!canonical) {
      (fields[`header.${index}`] ??= []).push(
        `${name.includes('\0') ? 'a column name' : JSON.stringify(name)} is not a column (columns: ${CSV_COLUMNS.join(', ')}, name.<lang>, description.<lang>)`,
      );
    }
    if (canonical) {
      if (seen.has(canonical)) (fields[`header.${index}`] ??= []).push(`${canonical} appears twice`);
      seen.add(canonical);
    }
    return canonical ?? name;
  });
  for (const required of REQUIRED_CSV_COLUMNS) if (!seen.has(required)) (fields[`header.${required}`] ??= []).push('is a required column');
  if (Object.keys(fields).length > 0) throw new ValidationError('The CSV header is not an import header', fields);
  return columns;
}

/** `;` when the header line has semicolons and no commas (spreadsheets set to a European locale export that way), else `,`. */
function delimiterOf(text: string): string {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  return firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
}

/** Slices of the text, so the CSV parser yields to other requests between them. */
function* slices(text: string, size = 64 * 1024): Generator<string> {
  for (let start = 0; start < text.length; start += size) yield text.slice(start, start + size);
}

/**
 * A CSV upload (header row, then one product per record) as stored rows: each record's values
 * as a JSON array, or its problem when it cannot be stored (NUL character, too large, wrong
 * number of values). A file that is not CSV (an unclosed quote) is refused whole with its line.
 */
export async function frameCsv(text: string, limits: FramingLimits): Promise<FramedUpload> {
  const parser = Readable.from(slices(text)).pipe(
    parseCsv({ bom: true, delimiter: delimiterOf(text), relax_column_count: true, skip_empty_lines: false, info: true }),
  );
  let columns: string[] | undefined;
  const rows: StoredRow[] = [];
  // The line a record starts on: one after the line the previous record ended on.
  let nextLine = 1;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = nextLine;
      nextLine = info.lines + 1;
      if (record.length === 1 && record[0]!.trim() === '') continue;
      if (!columns) {
        columns = canonicalColumns(record, limits.languages);
        continue;
      }
      if (rows.length === limits.maxRows) throw new TooManyRowsError(limits.maxRows);
      rows.push(storedCsvRow(record, columns, rows.length + 1, line, limits.maxRowBytes));
    }
  } catch (error) {
    if (error instanceof CsvError) {
      throw new ValidationError(`The CSV cannot be read from line ${nextLine}: ${error.message}`, undefined, { line: nextLine, reason: error.code });
    }
    throw error;
  }
  if (!columns) throw new ValidationError('The CSV is empty: send a header row, then one row per product');
  if (rows.length === 0) throw new ValidationError('The CSV has a header but no product rows');
  return { format: 'csv', columns, rows };
}

function storedCsvRow(record: string[], columns: string[], row: number, line: number, maxRowBytes: number): StoredRow {
  const withNul = record.findIndex((value) => value.includes('\0'));
  if (withNul >= 0) {
    const column = columns[withNul] ?? `column ${withNul + 1}`;
    return { row, line, problem: { field: fieldOfColumn(column), column, message: NUL_MESSAGE } };
  }
  if (record.length !== columns.length) {
    return { row, line, problem: { field: '', message: `has ${record.length} values; the header has ${columns.length} columns` } };
  }
  const source = JSON.stringify(record);
  if (Buffer.byteLength(source) > maxRowBytes) return { row, line, problem: { field: '', message: `is larger than ${maxRowBytes} bytes` } };
  return { row, line, source };
}

/** The product field a CSV column fills (`name.de` → `translations.de.name`). */
export function fieldOfColumn(column: string): string {
  const translation = TRANSLATION_COLUMN.exec(column);
  return translation ? `translations.${translation[2]}.${translation[1]}` : column;
}

/**
 * An NDJSON upload (one product JSON per line, blank lines ignored) as stored rows: each line's
 * text, parsed only by the worker. Lines that cannot be stored (NUL byte, too large) are kept as
 * problems so the row numbers stay those of the file.
 */
export function frameNdjson(text: string, limits: FramingLimits): FramedUpload {
  const rows: StoredRow[] = [];
  let line = 0;
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line += 1;
    const source = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (source.trim() === '') continue;
    if (rows.length === limits.maxRows) throw new TooManyRowsError(limits.maxRows);
    const row = rows.length + 1;
    if (source.includes('\0')) rows.push({ row, line, problem: { field: '', message: NUL_MESSAGE } });
    else if (Buffer.byteLength(source) > limits.maxRowBytes) rows.push({ row, line, problem: { field: '', message: `is larger than ${limits.maxRowBytes} bytes` } });
    else rows.push({ row, line, source });
  }
  if (rows.length === 0) throw new ValidationError('The import is empty: send one product JSON per line');
  return { format: 'ndjson', rows };
}

/**
 * Consecutive rows grouped into chunks of at most `maxRows` rows and about `maxBytes` of source
 * text, so no chunk document comes near the 16 MB a document may hold.
 */
export function chunkRows(rows: StoredRow[], maxRows: number, maxBytes = 4 * 1024 * 1024): StoredRow[][] {
  const chunks: StoredRow[][] = [];
  let current: StoredRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = (row.source?.length ?? 0) * 3 + 64;
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
