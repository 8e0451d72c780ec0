import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** API version stamped into every response's metadata. */
export const API_VERSION = 'v1';

export const ErrorCode = {
  VALIDATION_ERROR: 'VALIDATION_ERROR',
  AUTHENTICATION_ERROR: 'AUTHENTICATION_ERROR',
  AUTHORIZATION_ERROR: 'AUTHORIZATION_ERROR',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const MetadataSchema = Type.Object(
  {
    timestamp: Type.String({ format: 'date-time' }),
    requestId: Type.String(),
    version: Type.String(),
    processingTime: Type.Optional(Type.Number({ description: 'Milliseconds spent in this service' })),
  },
);

export const PaginationSchema = Type.Object({
  page: Type.Integer({ minimum: 1 }),
  limit: Type.Integer({ minimum: 1 }),
  total: Type.Integer({ minimum: 0 }),
  totalPages: Type.Integer({ minimum: 0 }),
  hasNext: Type.Boolean(),
  hasPrev: Type.Boolean(),
});
export type Pagination = Static<typeof PaginationSchema>;

export const ErrorBodySchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
  fields: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
});
export type ErrorBody = Static<typeof ErrorBodySchema>;

export const ErrorEnvelopeSchema = Type.Object({
  success: Type.Literal(false),
  data: Type.Optional(Type.Unknown()),
  error: ErrorBodySchema,
  metadata: MetadataSchema,
});
export type ErrorEnvelope = Static<typeof ErrorEnvelopeSchema>;

/** Response schema of a successful call carrying `data`. */
export function Envelope<T extends TSchema>(data: T) {
  return Type.Object({ success: Type.Literal(true), data, metadata: MetadataSchema });
}

/** Response schema of a successful list call: `data` is an array plus `pagination`. */
export function PagedEnvelope<T extends TSchema>(item: T) {
  return Type.Object({
    success: Type.Literal(true),
    data: Type.Array(item),
    metadata: MetadataSchema,
    pagination: PaginationSchema,
  });
}

type Metadata = Static<typeof MetadataSchema>;

/**
 * Placeholder metadata: the kit's preSerialization hook fills in the request id, timestamp and
 * processing time, so handlers only say what they return.
 */
function pendingMetadata(): Metadata {
  return { timestamp: '', requestId: '', version: API_VERSION };
}

export function ok<T>(data: T): { success: true; data: T; metadata: Metadata } {
  return { success: true, data, metadata: pendingMetadata() };
}

export function paged<T>(
  data: T[],
  page: { page: number; limit: number; total: number },
): { success: true; data: T[]; metadata: Metadata; pagination: Pagination } {
  const totalPages = Math.ceil(page.total / page.limit);
  return {
    success: true,
    data,
    metadata: pendingMetadata(),
    pagination: {
      page: page.page,
      limit: page.limit,
      total: page.total,
      totalPages,
      hasNext: page.page < totalPages,
      hasPrev: page.page > 1,
    },
  };
}

export function errorEnvelope(requestId: string, error: ErrorBody, startedAt?: number): ErrorEnvelope {
  return { success: false, error, metadata: metadataFor(requestId, startedAt) };
}

export function metadataFor(requestId: string, startedAt?: number): Metadata {
  const metadata: Metadata = { timestamp: new Date().toISOString(), requestId, version: API_VERSION };
  if (startedAt !== undefined) metadata.processingTime = Math.round((performance.now() - startedAt) * 100) / 100;
  return metadata;
}

/** Query-string schema for offset pagination, shared by every list endpoint. */
export const PageQuerySchema = Type.Object({
  page: Type.Integer({ minimum: 1, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});
