import { Type, type Static } from '@sinclair/typebox';
import { Envelope, PagedEnvelope, PageQuerySchema } from '@foodxchange/service-kit';
import { IMPORT_FORMATS, IMPORT_STATUSES } from './model.js';

const ImportLinksSchema = Type.Object({
  self: Type.String({ description: 'Where the job is followed: GET it until status is completed or failed' }),
});

export const ImportAcceptedSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Union(IMPORT_STATUSES.map((status) => Type.Literal(status))),
  format: Type.Union(IMPORT_FORMATS.map((format) => Type.Literal(format))),
  totalRows: Type.Integer({ minimum: 1 }),
  links: ImportLinksSchema,
});
export type ImportAccepted = Static<typeof ImportAcceptedSchema>;

export const RowErrorSchema = Type.Object({
  row: Type.Integer({ minimum: 1, description: 'The product row: 1 is the first product (CSV: the row after the header)' }),
  line: Type.Integer({ minimum: 1, description: 'The line of the file the row starts on' }),
  field: Type.String({ description: "Field path as POST /products reports it without 'body.' (priceTiers.1.minQuantity); '' for the whole row" }),
  column: Type.Optional(Type.String({ description: 'CSV: the column the field came from' })),
  message: Type.String(),
});

const CountsSchema = Type.Object({
  processed: Type.Integer({ minimum: 0, description: 'Rows dealt with so far (each of the others below)' }),
  created: Type.Integer({ minimum: 0 }),
  updated: Type.Integer({ minimum: 0 }),
  unchanged: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0, description: 'Rows with at least one error (not imported)' }),
});

const ImportSummaryProperties = {
  id: Type.String({ format: 'uuid' }),
  status: Type.Union(IMPORT_STATUSES.map((status) => Type.Literal(status)), {
    description: 'queued → running → completed; failed only when the job itself could not go on (see failure), never because of bad rows',
  }),
  format: Type.Union(IMPORT_FORMATS.map((format) => Type.Literal(format))),
  totalRows: Type.Integer({ minimum: 0 }),
  counts: CountsSchema,
  progress: Type.Object({
    chunksDone: Type.Integer({ minimum: 0 }),
    chunkCount: Type.Integer({ minimum: 0 }),
    percent: Type.Integer({ minimum: 0, maximum: 100, description: 'processed / totalRows, rounded down' }),
  }),
  errorCount: Type.Integer({ minimum: 0, description: 'Row errors found (a row may have several)' }),
  failure: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Optional(Type.String({ format: 'date-time' })),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  updatedAt: Type.String({ format: 'date-time' }),
  links: ImportLinksSchema,
};

export const ImportSummarySchema = Type.Object(ImportSummaryProperties);
export type ImportSummary = Static<typeof ImportSummarySchema>;

export const ImportJobSchema = Type.Object({
  ...ImportSummaryProperties,
  errors: Type.Array(RowErrorSchema, { description: 'The first row errors, in row order, capped (see errorsTruncated)' }),
  errorsTruncated: Type.Boolean({ description: 'More errors were found than the job keeps (errorCount counts them all)' }),
});
export type ImportJob = Static<typeof ImportJobSchema>;

export const ImportAcceptedEnvelope = Envelope(ImportAcceptedSchema);
export const ImportJobEnvelope = Envelope(ImportJobSchema);
export const ImportListEnvelope = PagedEnvelope(ImportSummarySchema);

export const ImportParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const ImportListQuerySchema = Type.Object({
  ...PageQuerySchema.properties,
  status: Type.Optional(Type.Union(IMPORT_STATUSES.map((status) => Type.Literal(status)))),
});
export type ImportListQuery = Static<typeof ImportListQuerySchema>;
