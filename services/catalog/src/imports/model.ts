import { Schema, type Connection, type Model } from 'mongoose';

export const IMPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const IMPORT_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** One problem of one row: where it is in the file and which field it is about. */
export interface RowError {
  /** 1-based number of the product row (CSV: the header is not counted; NDJSON: the line number). */
  row: number;
  /** 1-based line of the file the row starts on. */
  line: number;
  /** Field path as in `POST /products` without `body.` (`priceTiers.1.minQuantity`); '' for the row as a whole. */
  field: string;
  /** CSV only: the column the field came from (`priceTiers`, `name.de`). */
  column?: string;
  message: string;
}

export interface ImportCounts {
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

/** One claim of a job by a runner (a replica's worker); a job that ran once has one. */
export interface ImportRun {
  runner: string;
  /** The fencing token of the claim (strictly greater for each later claim of the company's imports). */
  token: number;
  startedAt: Date;
  fromChunk: number;
}

/**
 * One import job. Inserted by the request once all its chunks are stored; from then on written
 * only by the runner holding the company's import lock, through fenced updates (a runner that
 * lost its lease cannot overwrite its successor's progress).
 */
export interface ImportJobDoc {
  _id: string;
  supplierCompanyId: string;
  createdBy: string;
  correlationId: string;
  format: ImportFormat;
  /** CSV: the header's columns in their canonical spelling, in file order. */
  columns?: string[];
  status: ImportStatus;
  totalRows: number;
  chunkCount: number;
  /** Chunks fully processed and recorded: the next run resumes at this chunk. */
  chunksDone: number;
  counts: ImportCounts;
  /** The first IMPORT_MAX_REPORTED_ERRORS row errors, in row order. */
  rowErrors: RowError[];
  /** Every row error found, also those past the cap. */
  errorCount: number;
  /** Why the job failed (a fatal problem, not a row's). */
  failure?: string;
  /** Consecutive failed attempts at the current chunk (the database away, a bug): past a bound the job fails. */
  failedAttempts: number;
  runs: ImportRun[];
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  updatedAt: Date;
  lockToken?: number;
}

/** A row as stored: its source text (never parsed into documents, so no key or NUL can upset the store), or why it was refused on arrival. */
export interface StoredRow {
  row: number;
  line: number;
  /** NDJSON: the line; CSV: the record's values as a JSON array. */
  source?: string;
  /** Set instead of `source` when the row could not even be stored (NUL character, too large, wrong number of values). */
  problem?: { field: string; column?: string; message: string };
}

/** Up to IMPORT_CHUNK_ROWS consecutive rows of one job: `_id` `<jobId>:<seq>`. */
export interface ImportChunkDoc {
  _id: string;
  jobId: string;
  seq: number;
  rows: StoredRow[];
  createdAt: Date;
}

const RowErrorSchema = new Schema<RowError>(
  { row: Number, line: Number, field: String, column: String, message: String },
  { _id: false },
);

const ImportJobSchema = new Schema<ImportJobDoc>(
  {
    _id: { type: String, required: true },
    supplierCompanyId: { type: String, required: true },
    createdBy: { type: String, required: true },
    correlationId: { type: String, required: true },
    format: { type: String, enum: IMPORT_FORMATS, required: true },
    columns: { type: [String], default: undefined },
    status: { type: String, enum: IMPORT_STATUSES, required: true },
    totalRows: { type: Number, required: true },
    chunkCount: { type: Number, required: true },
    chunksDone: { type: Number, required: true, default: 0 },
    counts: {
      processed: { type: Number, default: 0 },
      created: { type: Number, default: 0 },
      updated: { type: Number, default: 0 },
      unchanged: { type: Number, default: 0 },
      failed: { type: Number, default: 0 },
    },
    rowErrors: { type: [RowErrorSchema], default: [] },
    errorCount: { type: Number, default: 0 },
    failure: String,
    failedAttempts: { type: Number, default: 0 },
    runs: {
      type: [new Schema<ImportRun>({ runner: String, token: Number, startedAt: Date, fromChunk: Number }, { _id: false })],
      default: [],
    },
    createdAt: { type: Date, required: true },
    startedAt: Date,
    finishedAt: Date,
    updatedAt: { type: Date, required: true },
    // The fencing token of the runner that wrote the job last (see worker.ts).
    lockToken: Number,
  },
  { collection: 'import_jobs', versionKey: false },
);
// The worker's look-up of unfinished jobs, oldest first; a company's list, newest first.
ImportJobSchema.index({ status: 1, createdAt: 1 });
ImportJobSchema.index({ supplierCompanyId: 1, createdAt: -1 });

const StoredRowSchema = new Schema<StoredRow>(
  {
    row: Number,
    line: Number,
    source: String,
    problem: { type: new Schema({ field: String, column: String, message: String }, { _id: false }), default: undefined },
  },
  { _id: false },
);

const ImportChunkSchema = new Schema<ImportChunkDoc>(
  {
    _id: { type: String, required: true },
    jobId: { type: String, required: true, index: true },
    seq: { type: Number, required: true },
    rows: { type: [StoredRowSchema], default: [] },
    createdAt: { type: Date, required: true },
  },
  { collection: 'import_chunks', versionKey: false },
);

export type ImportJobModel = Model<ImportJobDoc>;
export type ImportChunkModel = Model<ImportChunkDoc>;

export interface ImportModels {
  jobs: ImportJobModel;
  chunks: ImportChunkModel;
}

export function importModels(connection: Connection): ImportModels {
  return {
    jobs: (connection.models.ImportJob as ImportJobModel) ?? connection.model<ImportJobDoc>('ImportJob', ImportJobSchema),
    chunks: (connection.models.ImportChunk as ImportChunkModel) ?? connection.model<ImportChunkDoc>('ImportChunk', ImportChunkSchema),
  };
}

export function chunkId(jobId: string, seq: number): string {
  return `${jobId}:${seq}`;
}
