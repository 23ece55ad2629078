/**
 * Helpers for probing Redis and for running a private, throw-away `redis-server`
 * (used by tests and local tooling so they never touch a shared Redis on 6379).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import Redis from 'ioredis';

/**
 * Opens a short-lived ioredis connection, runs `fn` against it and resolves its
 * result, or `fallback` on any error / after `timeoutMs`. Never throws, never emits
 * unhandled 'error' events, always disconnects and leaves no live handle behind.
 */
async function withShortLivedClient<T>(
  url: string,
  timeoutMs: number,
  fallback: T,
  fn: (client: Redis) => Promise<T>,
): Promise<T> {
  let client: Redis;
  try {
    client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      reconnectOnError: () => false,
      connectTimeout: timeoutMs,
      enableReadyCheck: false,
      autoResubscribe: false,
      // Destroy the socket right after disconnect() instead of waiting (default 2 s)
      // for the peer's FIN: an unresponsive peer must not keep the process alive.
      disconnectTimeout: 0,
    });
  } catch {
    return fallback;
  }
  // Swallow connection errors: the outcome is reported through the return value.
  client.on('error', () => undefined);
  // A malformed URL can yield db=NaN, which makes ioredis issue an un-caught SELECT on
  // ready (unhandled rejection). Refuse such URLs up front.
  const db = client.options.db ?? 0;
  if (!Number.isInteger(db) || db < 0) {
    client.disconnect(false);
    return fallback;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), timeoutMs);
  });
  const attempt = (async (): Promise<T> => {
    await client.connect();
    return fn(client);
  })().catch(() => fallback);

  try {
    return await Promise.race([attempt, timeout]);
  } catch {
    return fallback;
  } finally {
    if (timer) clearTimeout(timer);
    const ended =
      client.status === 'end' ? Promise.resolve() : new Promise<void>((resolve) => client.once('end', () => resolve()));
    try {
      client.disconnect(false);
    } catch {
      // ignore
    }
    // Wait for the socket to be gone and the attempt to settle (it rejects promptly once
    // disconnected), bounded so a misbehaving socket can never hang the caller.
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([ended, attempt]),
      new Promise<void>((resolve) => {
        guard = setTimeout(resolve, 250);
        guard.unref();
      }),
    ]);
    if (guard) clearTimeout(guard);
  }
}

/**
 * Connects to `url`, sends PING and resolves true iff the answer is 'PONG'.
 * Resolves false on any error or after `timeoutMs`; never throws.
 */
export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  return withShortLivedClient(url, timeoutMs, false, async (client) => (await client.ping()) === 'PONG');
}

/** `process_id` reported by INFO SERVER, or null if unreachable. */
async function redisServerPid(url: string, timeoutMs: number): Promise<number | null> {
  return withShortLivedClient<number | null>(url, timeoutMs, null, async (client) => {
    const info = await client.info('server');
    const m = /^process_id:(\d+)/m.exec(info);
    return m ? Number(m[1]) : null;
  });
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of a `redis-server` executable, or null when none is installed. */
export function findRedisServerBinary(): string | null {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d.length > 0);
  const candidates = [
    ...dirs.map((d) => path.join(d, 'redis-server')),
    '/usr/bin/redis-server',
    '/usr/sbin/redis-server',
  ];
  for (const candidate of candidates) {
    if (isExecutable(candidate)) return path.resolve(candidate);
  }
  return null;
}

/** Asks the OS for a currently free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close(() => reject(new Error('freePort: could not determine the allocated port')));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface StartPrivateRedisOptions {
  /** Working directory (AOF files, redis.log); created if missing. */
  dir: string;
  /** Fixed port (e.g. to restart on the same port); defaults to a free one. */
  port?: number;
  /** Default true. */
  appendonly?: boolean;
  /** Path to redis-server; defaults to findRedisServerBinary(). */
  binary?: string;
}

const START_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 50;
const KILL_AFTER_MS = 5_000;

function readLogTail(logFile: string, lines = 20): string {
  try {
    const content = fs.readFileSync(logFile, 'utf8');
    return content.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns a private, non-daemonized redis-server bound to 127.0.0.1 and waits until it
 * answers PING. The child is unref'd (it never keeps the parent alive) and a
 * process 'exit' hook SIGKILLs it if the parent exits without calling stop().
 */
export async function startPrivateRedis(opts: StartPrivateRedisOptions): Promise<PrivateRedis> {
  const binary = opts.binary ?? findRedisServerBinary();
  if (!binary) throw new Error('startPrivateRedis: redis-server binary not found on PATH');

  const dir = path.resolve(opts.dir);
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'redis.log');
  const port = opts.port ?? (await freePort());
  const url = `redis://127.0.0.1:${port}`;

  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', opts.appendonly === false ? 'no' : 'yes',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--logfile', logFile,
  ];

  const child = spawn(binary, args, { stdio: 'ignore', detached: false });
  child.unref();

  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A spawn failure emits 'error' (and possibly no 'exit').
    child.once('error', () => resolve());
  });
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });

  const exitHook = (): void => {
    if (!hasExited(child)) {
      try {
        child.kill('SIGKILL');
      } catch {
        // ignore
      }
    }
  };
  process.on('exit', exitHook);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (!hasExited(child) && !spawnError) {
        child.kill('SIGTERM');
        // This timer is ref'd on purpose: it keeps the loop alive until the child is gone.
        const killTimer = setTimeout(() => {
          if (!hasExited(child)) child.kill('SIGKILL');
        }, KILL_AFTER_MS);
        try {
          await exited;
        } finally {
          clearTimeout(killTimer);
        }
      }
      process.removeListener('exit', exitHook);
    })();
    return stopping;
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  let earlyExit = false;
  void exited.then(() => {
    earlyExit = true;
  });
  for (;;) {
    if (earlyExit || spawnError || hasExited(child)) {
      await stop();
      const why = spawnError
        ? `failed to spawn ${binary}: ${spawnError.message}`
        : `exited early (code=${child.exitCode}, signal=${child.signalCode})`;
      throw new Error(`startPrivateRedis: redis-server on port ${port} ${why}\n--- ${logFile} (tail) ---\n${readLogTail(logFile)}`);
    }
    if (await pingRedis(url, 250)) {
      // Make sure the server answering is ours and not some other Redis already on that port.
      const pid = await redisServerPid(url, 1000);
      if (pid === child.pid) break;
      if (pid !== null && !hasExited(child)) {
        // Someone else answers on this port; ours will fail to bind and exit shortly.
        await Promise.race([exited, sleep(1000)]);
        if (!hasExited(child)) {
          await stop();
          throw new Error(
            `startPrivateRedis: port ${port} is answered by another Redis (pid ${pid})\n--- ${logFile} (tail) ---\n${readLogTail(logFile)}`,
          );
        }
        continue;
      }
    }
    if (Date.now() >= deadline) {
      await stop();
      throw new Error(
        `startPrivateRedis: redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms\n--- ${logFile} (tail) ---\n${readLogTail(logFile)}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }

  return { url, port, pid: child.pid ?? -1, stop };
}

/**
 * Deletes every key of one queue prefix (a finished test run or bench), best effort: Redis may
 * already be gone (a private one a test stopped).
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null, disconnectTimeout: 0 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } catch {
    // best effort
  } finally {
    r.disconnect();
  }
}
