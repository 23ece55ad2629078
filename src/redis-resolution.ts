import * as net from 'node:net';
import * as path from 'node:path';
import { findRedisServerBinary, pingRedis, PrivateRedis, startPrivateRedis, StartPrivateRedisOptions } from './modules/queue/redis-server';

/** What resolveRedis() needs from the outside world; injectable for tests. */
export interface RedisResolutionDeps {
  /** Absolute path of an installed redis-server, or null. */
  findBinary: () => string | null;
  /** true iff a Redis answers PING at `url` within `timeoutMs`; never throws. */
  ping: (url: string, timeoutMs?: number) => Promise<boolean>;
  /** Starts a private redis-server (appendonly, noeviction) and resolves once it answers. */
  start: (opts: StartPrivateRedisOptions) => Promise<PrivateRedis>;
  /** true when nothing listens on 127.0.0.1:`port`. */
  portIsFree: (port: number) => Promise<boolean>;
}

export interface ResolveRedisOptions extends Partial<RedisResolutionDeps> {
  /** REDIS_URL when it was given: used as is, never replaced by a private Redis. */
  explicitUrl?: string;
  /** Where a shared Redis is expected when REDIS_URL is unset (redis://127.0.0.1:6379). */
  defaultUrl: string;
  /** The application's var dir: a private Redis keeps its data in <varDir>/redis. */
  varDir: string;
  /** Port a private Redis takes when it is free, so that a restart keeps its address; otherwise any free port. */
  privatePort?: number;
  /** How long to wait for the default Redis to answer (default 1000 ms). */
  pingTimeoutMs?: number;
}

export type ResolvedRedis =
  /** REDIS_URL was given; `answering` says whether it answered now (the app retries in the background). */
  | { source: 'explicit'; url: string; answering: boolean }
  /** REDIS_URL unset and the default Redis answers. */
  | { source: 'default'; url: string }
  /** A private redis-server started for this process; stop() must be called on exit. */
  | { source: 'private'; url: string; dir: string; pid: number; stop: () => Promise<void> };

/** No Redis and no way to start one: the message says how to get one. */
export class RedisUnavailableError extends Error {
  constructor(defaultUrl: string) {
    super(
      `No Redis answers at ${defaultUrl} and redis-server is not installed. ` +
        'Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) and run `npm start` again ' +
        '(it starts a private redis-server under ./var/redis when none answers), ' +
        'or start one (e.g. docker run -d -p 6379:6379 redis:7), ' +
        'or set REDIS_URL=redis://host:port to a running Redis.',
    );
    this.name = 'RedisUnavailableError';
  }
}

/** true when a TCP server can listen on 127.0.0.1:port right now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const defaultDeps: RedisResolutionDeps = {
  findBinary: findRedisServerBinary,
  ping: pingRedis,
  start: startPrivateRedis,
  portIsFree,
};

/**
 * Which Redis `npm start` uses: REDIS_URL if given; else the default one if it answers; else a private
 * redis-server (data in <varDir>/redis, appendonly, noeviction) when one is installed; else it throws
 * RedisUnavailableError, whose message says how to get Redis.
 */
export async function resolveRedis(opts: ResolveRedisOptions): Promise<ResolvedRedis> {
  const deps: RedisResolutionDeps = {
    findBinary: opts.findBinary ?? defaultDeps.findBinary,
    ping: opts.ping ?? defaultDeps.ping,
    start: opts.start ?? defaultDeps.start,
    portIsFree: opts.portIsFree ?? defaultDeps.portIsFree,
  };
  if (opts.explicitUrl !== undefined) {
    return { source: 'explicit', url: opts.explicitUrl, answering: await deps.ping(opts.explicitUrl, 3000) };
  }
  if (await deps.ping(opts.defaultUrl, opts.pingTimeoutMs ?? 1000)) {
    return { source: 'default', url: opts.defaultUrl };
  }
  const binary = deps.findBinary();
  if (!binary) throw new RedisUnavailableError(opts.defaultUrl);
  const dir = path.join(opts.varDir, 'redis');
  const port = opts.privatePort !== undefined && (await deps.portIsFree(opts.privatePort)) ? opts.privatePort : undefined;
  const redis = await deps.start({ dir, port, appendonly: true, binary });
  return { source: 'private', url: redis.url, dir, pid: redis.pid, stop: () => redis.stop() };
}
