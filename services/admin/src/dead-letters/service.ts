import { isTopic } from '@foodxchange/contracts';
import { ConflictError, NotFoundError, rawOutboxEntry, withStagedEvents } from '@foodxchange/service-kit';
import type { DeadLetterDoc, DeadLetterModel, ReplayClaimDoc, ReplayClaimModel } from './model.js';
import { ownHeaders, REPLAYED_AT_HEADER, REPLAYED_FROM_HEADER } from './record.js';
import type { DeadLetterQuery, DeadLetterView } from './schemas.js';

function parseHeaders(text: string): Record<string, string> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/**
 * A dead letter's key or value bytes. Letters recorded before bytes were kept have only the text
 * (which then was the whole record, as UTF-8).
 */
export function bytesOf(doc: Pick<DeadLetterDoc, 'key' | 'keyBase64' | 'value' | 'valueBase64'>, field: 'key' | 'value'): Buffer | null {
  const base64 = field === 'key' ? doc.keyBase64 : doc.valueBase64;
  if (typeof base64 === 'string') return Buffer.from(base64, 'base64');
  const text = doc[field];
  return typeof text === 'string' ? Buffer.from(text, 'utf8') : null;
}

/** Whether a dead letter's staged replay has not reached Kafka yet (asked of the outbox relay). */
export type ReplayInFlight = (doc: DeadLetterDoc) => Promise<boolean>;

export function toDeadLetterView(doc: DeadLetterDoc, replayInFlight: boolean): DeadLetterView {
  const view: DeadLetterView = {
    id: doc._id,
    dlqTopic: doc.dlqTopic,
    dlqPartition: doc.dlqPartition,
    dlqOffset: doc.dlqOffset,
    originalTopic: doc.originalTopic,
    error: { message: doc.error?.message ?? '', name: doc.error?.name ?? 'Error' },
    key: doc.key ?? null,
    keyBase64: bytesOf(doc, 'key')?.toString('base64') ?? null,
    value: doc.value ?? null,
    valueBase64: bytesOf(doc, 'value')?.toString('base64') ?? null,
    headers: parseHeaders(doc.headers),
    status: doc.status,
    replayCount: doc.replayCount ?? 0,
    replayInFlight,
    recordedAt: doc.recordedAt.toISOString(),
  };
  if (doc.error?.stack) view.error.stack = doc.error.stack;
  if (doc.failedAt) view.failedAt = doc.failedAt.toISOString();
  if (doc.lastReplayedAt) view.lastReplayedAt = doc.lastReplayedAt.toISOString();
  if (doc.originalPartition !== undefined && doc.originalPartition !== null) view.originalPartition = doc.originalPartition;
  if (doc.attempts !== undefined && doc.attempts !== null) view.attempts = doc.attempts;
  for (const key of ['originalOffset', 'consumerGroup', 'eventId', 'eventType', 'subject', 'correlationId', 'replayOf', 'quarantinedBy'] as const) {
    const value = doc[key];
    if (value) view[key] = value;
  }
  return view;
}

export async function listDeadLetters(
  model: DeadLetterModel,
  query: DeadLetterQuery,
  inFlight: ReplayInFlight,
): Promise<{ items: DeadLetterView[]; total: number }> {
  const filter: Record<string, unknown> = {};
  if (query.topic) filter.originalTopic = query.topic;
  if (query.status) filter.status = query.status;
  if (query.eventId) filter.eventId = query.eventId;
  const [docs, total] = await Promise.all([
    model
      .find(filter)
      .sort({ recordedAt: -1, _id: -1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit)
      .lean<DeadLetterDoc[]>(),
    model.countDocuments(filter),
  ]);
  return { items: await Promise.all(docs.map(async (doc) => toDeadLetterView(doc, await inFlight(doc)))), total };
}

export async function getDeadLetter(model: DeadLetterModel, id: string, inFlight: ReplayInFlight): Promise<DeadLetterView> {
  const doc = await model.findById(id).lean<DeadLetterDoc>();
  if (!doc) throw new NotFoundError(`Dead letter ${id}`);
  return toDeadLetterView(doc, await inFlight(doc));
}

/** A claim older than this whose dead letter is still pending belongs to a replay that died mid-way. */
export const REPLAY_CLAIM_STALE_MS = 30_000;

export interface ReplayModels {
  deadLetters: DeadLetterModel;
  claims: ReplayClaimModel;
  inFlight: ReplayInFlight;
}

/**
 * Re-publishes a dead letter's original record to its original topic, verbatim (same key, value
 * and event id, so consumers that did handle it still skip it; the kit re-runs an event whose
 * marker says dead-lettered), without the `x-dlq-*` headers and with `x-replayed-from`.
 *
 * State rule: `pending → replayed`, once. A second replay — while the first is in flight or after
 * it — is 409. If the replayed record fails again, the consumer dead-letters it anew, and that new
 * dead letter (its `replayOf` points here) is the one to replay after the next fix.
 *
 * Writes: a unique claim insert (the exactly-once guard: concurrent requests get 11000 → 409),
 * then ONE write of the dead letter that flips its status and stages the record in its outbox,
 * so the status and the re-publication can't part. A claimant that died between the two leaves a
 * stale claim on a still-pending dead letter; it is taken over after REPLAY_CLAIM_STALE_MS.
 */
export async function replayDeadLetter(models: ReplayModels, id: string, now = new Date()): Promise<DeadLetterView> {
  await stageReplay(models, id, now);
  return getDeadLetter(models.deadLetters, id, models.inFlight);
}

/** The replay itself (claim, then status and outbox in one write), without reading the view back. */
async function stageReplay(models: ReplayModels, id: string, now: Date): Promise<void> {
  const doc = await models.deadLetters.findById(id).lean<DeadLetterDoc>();
  if (!doc) throw new NotFoundError(`Dead letter ${id}`);
  if (doc.status !== 'pending') throw await alreadyReplayed(doc, models.inFlight);
  if (doc.quarantinedBy) {
    // Re-sending the notice would put a non-event on the topic: the producer holds the event.
    throw new ConflictError(
      `This is a notice: the ${doc.quarantinedBy} service quarantined the event and keeps it; replay it there`,
      {
        service: doc.quarantinedBy,
        eventId: doc.eventId,
        replay: `POST /ops/outbox/quarantine/${encodeURIComponent(doc.eventId ?? '')}/replay`,
      },
    );
  }
  if (!isTopic(doc.originalTopic)) {
    throw new ConflictError(`Cannot replay to ${doc.originalTopic}: not a platform topic`, { originalTopic: doc.originalTopic });
  }
  const value = bytesOf(doc, 'value');
  if (value === null) {
    throw new ConflictError('Nothing to replay: the dead letter has no value', { id });
  }

  await claimReplay(models, id, now);

  const headers = {
    ...ownHeaders(parseHeaders(doc.headers)),
    [REPLAYED_FROM_HEADER]: doc._id,
    [REPLAYED_AT_HEADER]: now.toISOString(),
  };
  // Contract events always have a key (the aggregate id); a keyless record is re-sent with an empty one.
  // The very bytes that failed: staged as text when key and value are text, else as bytes.
  const key = bytesOf(doc, 'key');
  const isText = typeof doc.value === 'string' && (key === null || typeof doc.key === 'string');
  const entry = isText
    ? rawOutboxEntry(doc.originalTopic, doc.key ?? '', doc.value!, headers)
    : rawOutboxEntry(doc.originalTopic, key ?? Buffer.alloc(0), value, headers);
  await models.deadLetters.updateOne(
    { _id: id },
    withStagedEvents({ $set: { status: 'replayed', lastReplayedAt: now }, $inc: { replayCount: 1 } }, [entry]),
  );
}

async function claimReplay(models: ReplayModels, id: string, now: Date, takeover = true): Promise<void> {
  try {
    await models.claims.create({ _id: id, claimedAt: now });
    return;
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
  }
  const [claim, current] = await Promise.all([
    models.claims.findById(id).lean<ReplayClaimDoc>(),
    models.deadLetters.findById(id).lean<DeadLetterDoc>(),
  ]);
  if (!current) throw new NotFoundError(`Dead letter ${id}`);
  if (current.status !== 'pending') throw await alreadyReplayed(current, models.inFlight);
  if (takeover && claim && now.getTime() - claim.claimedAt.getTime() > REPLAY_CLAIM_STALE_MS) {
    await models.claims.deleteOne({ _id: id, claimedAt: claim.claimedAt });
    return claimReplay(models, id, now, false);
  }
  throw new ConflictError(`Dead letter ${id} is being replayed`, { id, status: current.status, replayInFlight: true });
}

async function alreadyReplayed(doc: DeadLetterDoc, replayInFlight: ReplayInFlight): Promise<ConflictError> {
  const inFlight = await replayInFlight(doc);
  return new ConflictError(
    inFlight ? `Dead letter ${doc._id} is being replayed` : `Dead letter ${doc._id} was already replayed`,
    {
      id: doc._id,
      status: doc.status,
      replayCount: doc.replayCount,
      replayInFlight: inFlight,
      lastReplayedAt: doc.lastReplayedAt?.toISOString(),
    },
  );
}

export interface TopicReplayResult {
  topic: string;
  replayed: string[];
  skipped: Array<{ id: string; reason: string }>;
  remaining: number;
}

/**
 * Replays every pending dead letter of one original topic, oldest first, each exactly as
 * `replayDeadLetter` does (its unique claim makes a letter replayable once, however many bulk and
 * single replays race for it). At most `limit` letters per call; `remaining` says how many
 * replayable ones are left for the next call. Letters that cannot be replayed (a producer's
 * quarantine notice, a record without a value, one another request is replaying) are skipped
 * and listed with the reason; a second call after a complete one replays nothing.
 */
export async function replayTopic(models: ReplayModels, topic: string, limit: number, now = new Date()): Promise<TopicReplayResult> {
  const pending = await models.deadLetters
    .find({ originalTopic: topic, status: 'pending' })
    .select({ _id: 1, quarantinedBy: 1, valueBase64: 1, value: 1 })
    .sort({ recordedAt: 1, _id: 1 })
    .lean<Array<Pick<DeadLetterDoc, '_id' | 'quarantinedBy' | 'valueBase64' | 'value'>>>();
  const result: TopicReplayResult = { topic, replayed: [], skipped: [], remaining: 0 };
  for (const letter of pending) {
    if (letter.quarantinedBy) {
      result.skipped.push({ id: letter._id, reason: `a notice: the ${letter.quarantinedBy} service keeps the quarantined event; replay it there` });
      continue;
    }
    if (typeof letter.valueBase64 !== 'string' && typeof letter.value !== 'string') {
      result.skipped.push({ id: letter._id, reason: 'nothing to replay: the record has no value' });
      continue;
    }
    if (result.replayed.length >= limit) {
      result.remaining += 1;
      continue;
    }
    try {
      await stageReplay(models, letter._id, now);
      result.replayed.push(letter._id);
    } catch (error) {
      // Replayed or being replayed by someone else meanwhile (or gone): not this call's to send.
      if (!(error instanceof ConflictError) && !(error instanceof NotFoundError)) throw error;
      result.skipped.push({ id: letter._id, reason: error.message });
    }
  }
  return result;
}
