import { randomUUID } from 'node:crypto';
import { NotFoundError } from '@foodxchange/service-kit';
import { chunkId, type ImportChunkDoc, type ImportJobDoc, type ImportModels, type ImportStatus } from './model.js';
import { chunkRows, type FramedUpload } from './parse.js';
import type { ImportAccepted, ImportJob, ImportListQuery, ImportSummary } from './schemas.js';

export const importPath = (id: string) => `/api/v1/products/imports/${id}`;

export interface ImportRequester {
  supplierCompanyId: string;
  userId: string;
  correlationId: string;
}

/**
 * Stores an upload as a queued job: its chunks first, then the job document (the worker only
 * ever sees a job whose rows are all stored). A replica dying in between leaves chunks no job
 * points at; they hold no product data anyone reads.
 */
export async function createImport(models: ImportModels, upload: FramedUpload, requester: ImportRequester, chunkSize: number): Promise<ImportAccepted> {
  const id = randomUUID();
  const now = new Date();
  const chunks = chunkRows(upload.rows, chunkSize);
  for (let seq = 0; seq < chunks.length; seq += 1) {
    const chunk: ImportChunkDoc = { _id: chunkId(id, seq), jobId: id, seq, rows: chunks[seq]!, createdAt: now };
    // Straight to the driver: the rows are plain data already, mongoose's casting of 500 sub-documents adds nothing.
    await models.chunks.collection.insertOne(chunk as never);
  }
  const job: ImportJobDoc = {
    _id: id,
    supplierCompanyId: requester.supplierCompanyId,
    createdBy: requester.userId,
    correlationId: requester.correlationId,
    format: upload.format,
    ...(upload.columns ? { columns: upload.columns } : {}),
    status: 'queued',
    totalRows: upload.rows.length,
    chunkCount: chunks.length,
    chunksDone: 0,
    counts: { processed: 0, created: 0, updated: 0, unchanged: 0, failed: 0 },
    rowErrors: [],
    errorCount: 0,
    failedAttempts: 0,
    runs: [],
    createdAt: now,
    updatedAt: now,
  };
  await models.jobs.create(job);
  return { id, status: 'queued', format: upload.format, totalRows: job.totalRows, links: { self: importPath(id) } };
}

function summaryOf(job: ImportJobDoc): ImportSummary {
  return {
    id: job._id,
    status: job.status,
    format: job.format,
    totalRows: job.totalRows,
    counts: job.counts,
    progress: {
      chunksDone: job.chunksDone,
      chunkCount: job.chunkCount,
      percent: job.totalRows === 0 ? 100 : Math.floor((job.counts.processed / job.totalRows) * 100),
    },
    errorCount: job.errorCount,
    ...(job.failure ? { failure: job.failure } : {}),
    createdAt: job.createdAt.toISOString(),
    ...(job.startedAt ? { startedAt: job.startedAt.toISOString() } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt.toISOString() } : {}),
    updatedAt: job.updatedAt.toISOString(),
    links: { self: importPath(job._id) },
  };
}

/** A job the caller may read (`mayRead` of its company); any other is a 404, so its existence is not confirmed. */
export async function getImport(models: ImportModels, id: string, mayRead: (supplierCompanyId: string) => boolean): Promise<ImportJob> {
  const job = await models.jobs.findById(id).lean<ImportJobDoc>();
  if (!job || !mayRead(job.supplierCompanyId)) throw new NotFoundError('Import');
  return {
    ...summaryOf(job),
    errors: job.rowErrors.map(({ row, line, field, column, message }) => ({ row, line, field, ...(column ? { column } : {}), message })),
    errorsTruncated: job.errorCount > job.rowErrors.length,
  };
}

/** The company's jobs, newest first, without their error lists. */
export async function listImports(
  models: ImportModels,
  supplierCompanyId: string,
  query: ImportListQuery,
): Promise<{ items: ImportSummary[]; total: number }> {
  const filter: { supplierCompanyId: string; status?: ImportStatus } = { supplierCompanyId };
  if (query.status) filter.status = query.status;
  const [jobs, total] = await Promise.all([
    models.jobs
      .find(filter, { rowErrors: 0, runs: 0 })
      .sort({ createdAt: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<ImportJobDoc[]>(),
    models.jobs.countDocuments(filter),
  ]);
  return { items: jobs.map(summaryOf), total };
}
