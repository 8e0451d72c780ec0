import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AppError, AuthorizationError, ErrorCode, actsFor, callerOf, ok, paged } from '@foodxchange/service-kit';
import type { ImportModels } from './model.js';
import { CSV_COLUMNS, TooManyRowsError, frameCsv, frameNdjson, uploadText, type FramingLimits } from './parse.js';
import {
  ImportAcceptedEnvelope,
  ImportJobEnvelope,
  ImportListEnvelope,
  ImportListQuerySchema,
  ImportParamsSchema,
  type ImportListQuery,
} from './schemas.js';
import { createImport, getImport, importPath, listImports } from './service.js';
import type { ImportWorker } from './worker.js';

export interface ImportRoutesOptions {
  models: ImportModels;
  worker: ImportWorker;
  maxBytes: number;
  chunkRows: number;
  limits: FramingLimits;
}

const CSV = 'text/csv';
const NDJSON = 'application/x-ndjson';

export const IMPORT_DESCRIPTION = `Loads or refreshes a supplier's catalogue from an export: each row creates the product with its sku or updates it (unchanged rows stay as they are). Answers 202 with the job once every row is stored; the job runs in the background (it survives a restart and runs once across replicas). Follow it at links.self: counts, progress and the row errors (row number, field, message). A bad row never stops the others.

**text/csv** (UTF-8, a header row, comma- or, when the header has no comma, semicolon-separated, RFC 4180 quoting). Columns, matched without regard to case, in any order: ${CSV_COLUMNS.join(', ')}, and translation columns name.<lang>, description.<lang> (lang: an EU language code, e.g. name.de). Required columns: sku, name, category, originCountry, unit, moq, currency, priceTiers, storage. Cells: an empty cell is an absent field; priceTiers is minQuantity:unitPrice|minQuantity:unitPrice… in the row's currency (e.g. 100:2.50|500:2.20); certifications and allergens are |-separated codes (empty: none); language is the language of name and description (default en).

**application/x-ndjson**: one product per line, the JSON body of POST /products; blank lines are skipped.

Row numbers count products from 1 (CSV: the row after the header); each error also names the file line, the field as POST /products names it, and for CSV the column.`;

/** `text/csv; charset=utf-8` → `text/csv`; a charset other than UTF-8 is refused. */
function mediaTypeOf(request: FastifyRequest): string | undefined {
  const header = request.headers['content-type'];
  if (typeof header !== 'string') return undefined;
  const [type, ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') return `${type} (charset ${charset})`;
  return type;
}

export default async function importRoutes(app: FastifyInstance, { models, worker, maxBytes, chunkRows, limits }: ImportRoutesOptions) {
  // This scope reads only the two import formats, as checked text (the JSON parser of the rest
  // of the service does not apply here).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([CSV, NDJSON], { parseAs: 'buffer', bodyLimit: maxBytes }, (_request, body, done) => {
    try {
      done(null, uploadText(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.post(
    '/products/imports',
    {
      bodyLimit: maxBytes,
      config: { access: { permission: 'product:create' } },
      // After the access check (the kit's onRequest runs first): the wrong format or an oversized
      // body is refused before a byte of it is read.
      onRequest: async (request) => {
        const type = mediaTypeOf(request);
        if (type !== CSV && type !== NDJSON) {
          throw new AppError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Unsupported Content-Type ${type ?? '(none)'}: send ${CSV} or ${NDJSON}`, {
            accepted: [CSV, NDJSON],
          });
        }
        const length = Number(request.headers['content-length']);
        if (Number.isFinite(length) && length > maxBytes) {
          throw new AppError(413, ErrorCode.PAYLOAD_TOO_LARGE, `An import is at most ${maxBytes} bytes`, { maxBytes });
        }
      },
      schema: {
        tags: ['imports'],
        summary: 'Import products from CSV or JSON lines (creates or updates by sku, in the background)',
        description: IMPORT_DESCRIPTION,
        body: {
          content: {
            [CSV]: { schema: Type.String({ minLength: 1, description: 'Header row, then one product per row' }) },
            [NDJSON]: { schema: Type.String({ minLength: 1, description: 'One product JSON (the POST /products body) per line' }) },
          },
        },
        response: { 202: ImportAcceptedEnvelope },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      if (!caller.companyId) throw new AuthorizationError('Imports are made for a supplier company: sign in as one of its users');
      const text = request.body as string;
      let upload;
      try {
        upload = mediaTypeOf(request) === CSV ? await frameCsv(text, limits) : frameNdjson(text, limits);
      } catch (error) {
        if (error instanceof TooManyRowsError) {
          throw new AppError(413, ErrorCode.PAYLOAD_TOO_LARGE, error.message, { maxRows: error.maxRows });
        }
        throw error;
      }
      const accepted = await createImport(
        models,
        upload,
        { supplierCompanyId: caller.companyId, userId: caller.userId, correlationId: request.correlationId },
        chunkRows,
      );
      worker.wake();
      return reply.code(202).header('location', importPath(accepted.id)).send(ok(accepted));
    },
  );

  app.get(
    '/products/imports/:id',
    {
      config: { access: { permission: 'product:create' } },
      schema: {
        tags: ['imports'],
        summary: "An import job of the caller's company: status, counts, progress and row errors",
        description:
          'errors holds the first IMPORT_MAX_REPORTED_ERRORS row errors (default 1000) in row order; errorCount counts them all and errorsTruncated says whether some are left out. Another company\'s job is a 404.',
        params: ImportParamsSchema,
        response: { 200: ImportJobEnvelope },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      // Platform admins read any company's job; everyone else only their own company's.
      return ok(await getImport(models, (request.params as { id: string }).id, (owner) => actsFor(caller, owner)));
    },
  );

  app.get(
    '/products/imports',
    {
      config: { access: { permission: 'product:create' } },
      schema: {
        tags: ['imports'],
        summary: "The caller's company's import jobs, newest first (without their row errors)",
        querystring: ImportListQuerySchema,
        response: { 200: ImportListEnvelope },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const query = request.query as ImportListQuery;
      if (!caller.companyId) return paged([], { page: query.page, limit: query.limit, total: 0 });
      const { items, total } = await listImports(models, caller.companyId, query);
      return paged(items, { page: query.page, limit: query.limit, total });
    },
  );
}
