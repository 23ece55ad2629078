import IORedis, { RedisOptions } from 'ioredis';

/**
 * How long disconnect() waits for the server's FIN before destroying the socket (ioredis default 2 s). A client
 * disconnected while Redis is away holds its dead socket's timer for that long, keeping a closing process alive.
 */
const DISCONNECT_TIMEOUT_MS = 200;

/**
 * Producers (the API) fail fast: with no offline queue and one retry per request, a call made while
 * Redis is away errors at once instead of hanging the HTTP request. The client keeps reconnecting in
 * the background.
 */
export function producerConnection(url: string): IORedis {
  const opts: RedisOptions = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    lazyConnect: false,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
  const conn = new IORedis(url, opts);
  conn.on('error', () => undefined); // reported through health and the failing calls, not as crashes
  return conn;
}

/** Workers block on Redis and must retry for ever (BullMQ requires maxRetriesPerRequest: null). */
export function workerConnectionOptions(url: string): RedisOptions & { url?: string } {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname && u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(200 * times, 5000),
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  };
}

/** Promise with a deadline, for calls that must not hang an HTTP request. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
