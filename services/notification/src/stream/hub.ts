import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { NotificationView } from '../notifications/schemas.js';

type RedisClient = FastifyInstance['redis'];
type Listener = (notification: NotificationView) => void;

/**
 * Fan-out of new notifications to the SSE clients of every replica: the replica whose consumer
 * created a notification publishes it on one Redis channel (per database, so the replicas of one
 * deployment share it and test apps do not), every replica's subscriber hands it to the streams of
 * that user it holds. Redis pub/sub is at-most-once: a client that misses a message (Redis away,
 * reconnecting) gets it from the database when it resumes with Last-Event-ID.
 */
export class LiveHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private subscriber: RedisClient | undefined;

  constructor(
    private readonly publisher: RedisClient,
    readonly channel: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  async start(): Promise<void> {
    const subscriber = this.publisher.duplicate();
    this.subscriber = subscriber;
    let subscribed = false;
    const subscribe = async () => {
      try {
        await subscriber.subscribe(this.channel);
        subscribed = true;
      } catch (error) {
        // Tried again when the connection is (back) up; clients resume from the database meanwhile.
        this.log.warn({ err: error }, 'live notifications: not subscribed yet (redis unavailable)');
      }
    };
    subscriber.on('error', (error) => this.log.warn({ err: error }, 'live notification subscriber: redis error'));
    subscriber.on('message', (_channel: string, message: string) => this.dispatch(message));
    // Once subscribed, ioredis re-subscribes by itself after a reconnect; before that, this does.
    subscriber.on('ready', () => {
      if (!subscribed) void subscribe();
    });
    await subscribe();
  }

  private dispatch(message: string): void {
    let parsed: { userId?: unknown; notification?: NotificationView };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    if (typeof parsed.userId !== 'string' || !parsed.notification) return;
    for (const listener of this.listeners.get(parsed.userId) ?? []) listener(parsed.notification);
  }

  /** Tells every replica's streams of the user (never throws: live delivery is best effort). */
  publish(userId: string, notification: NotificationView): void {
    this.publisher.publish(this.channel, JSON.stringify({ userId, notification })).catch((error: unknown) => {
      this.log.warn({ err: error, userId }, 'live notification not published (the client gets it on resume)');
    });
  }

  /** Calls `listener` with each new notification of the user, until the returned function is called. */
  listen(userId: string, listener: Listener): () => void {
    let set = this.listeners.get(userId);
    if (!set) this.listeners.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(userId);
    };
  }

  get streams(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  async close(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
