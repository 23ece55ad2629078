import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import IORedis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../../config/app-config';

type Listener = (payload: Record<string, unknown>) => void;

/**
 * Fire-and-forget notifications between processes over Redis pub/sub (live ranking updates, cache
 * invalidation). Listeners in this process are called at once; other processes get the message from
 * Redis (this process ignores its own echo). Never called inside a database transaction.
 */
@Injectable()
export class LiveEventsService implements OnApplicationShutdown {
  private readonly logger = new Logger(LiveEventsService.name);
  private readonly origin = randomUUID();
  private readonly listeners = new Map<string, Set<Listener>>();
  private subscriber?: IORedis;
  private publisher?: IORedis;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private channel(topic: string): string {
    return `${this.config.queuePrefix}:live:${topic}`;
  }

  publish(topic: string, payload: Record<string, unknown>): void {
    for (const l of this.listeners.get(topic) ?? []) this.safely(l, payload);
    this.publisher ??= this.connect('publisher');
    this.publisher.publish(this.channel(topic), JSON.stringify({ origin: this.origin, payload })).catch((e: Error) => this.logger.warn({ topic, err: e.message }, 'live event not published to other processes'));
  }

  /** Returns a function that unsubscribes. */
  subscribe(topic: string, listener: Listener): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
      this.subscriber ??= this.connectSubscriber();
      // Until the connection is ready, its 'ready' handler subscribes every topic: a SUBSCRIBE written
      // between connect and ready races ioredis's ready check (INFO is refused in subscriber mode) and
      // leaves the connection subscribed to nothing.
      if (this.subscriber.status === 'ready') this.redisSubscribe(this.subscriber, [topic]);
    }
    set.add(listener);
    return () => set!.delete(listener);
  }

  private connect(role: string): IORedis {
    const conn = new IORedis(this.config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true, retryStrategy: (n) => Math.min(200 * n, 2000), disconnectTimeout: 200 });
    conn.on('error', (e) => this.logger.debug({ role, err: e.message }, 'live events connection error'));
    return conn;
  }

  private redisSubscribe(conn: IORedis, topics: string[]): void {
    if (topics.length === 0) return;
    conn.subscribe(...topics.map((t) => this.channel(t))).catch((e: Error) => this.logger.warn({ topics, err: e.message }, 'live event subscription failed'));
  }

  private connectSubscriber(): IORedis {
    const conn = this.connect('subscriber');
    conn.on('ready', () => this.redisSubscribe(conn, [...this.listeners.keys()]));
    conn.on('message', (channel: string, raw: string) => {
      let msg: { origin?: string; payload?: Record<string, unknown> };
      try {
        msg = JSON.parse(raw) as typeof msg;
      } catch {
        return;
      }
      if (msg.origin === this.origin || !msg.payload) return;
      const prefix = this.channel('');
      const topic = channel.startsWith(prefix) ? channel.slice(prefix.length) : channel;
      for (const l of this.listeners.get(topic) ?? []) this.safely(l, msg.payload);
    });
    return conn;
  }

  private safely(l: Listener, payload: Record<string, unknown>): void {
    try {
      l(payload);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'live event listener failed');
    }
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
    this.subscriber = this.publisher = undefined;
  }
}
