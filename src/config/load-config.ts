import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppConfig } from './app-config';

/** One line naming the variable and what is wrong with it. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    // Always one line, whatever a value or a file system message carried.
    super(`Configuration error: ${variable} ${problem}`.replace(/[\r\n\t]+/g, ' '));
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export const DEFAULT_PORT = 3000;
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_QUEUE_PREFIX = 'contest';
/**
 * SQLite checkpoints every 25 ms by default. Measured in s5 under the marks load: every 25 ms gave a p99 of
 * 45–48 ms, every 100 ms 49–54 ms and every 1,000 ms 85 ms. s9 read 100–250 ms as faster for a certificate worker
 * with a core to spare; s10 found those runs confounded by the bench's own file cleanup (README, "Measured in s10"),
 * so no other interval is measured to be better for certificates. SQLITE_CHECKPOINT_MS makes it a setting.
 */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 25;
export const SECRETS_FILE = 'secrets.json';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** A value quoted for an error message: escaped (one line) and cut short. Never used for secrets. */
function shown(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got ${shown(raw)}`);
  }
  return Number(raw);
}

/** Parses a URL; the message names the variable and the scheme, never the URL (it may hold a password). */
function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL (expected ${protocols.map((p) => p + '//…').join(' or ')})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => p + '//').join(' or ')}, got ${shown(parsed.protocol + '//')}`);
  }
  return raw;
}

interface SecretSpec {
  name: string;
  bytes: number;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function readSecrets(file: string, forVariable: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(forVariable, `is unset and ${file} cannot be read (${(e as Error).message})`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, string>;
  } catch {
    throw new ConfigError(forVariable, `is unset and ${file} is not a JSON object; fix or remove that file`);
  }
}

/**
 * Runs `fn` holding <file>.lock (created exclusively), so that an API and a worker starting at the same
 * moment on a fresh var dir agree on one set of secrets instead of each writing its own.
 */
function withSecretsLock<T>(file: string, forVariable: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError(forVariable, `is unset and ${path.dirname(file)} is not writable (${(e as Error).message})`);
      }
      // A lock left by a process that died while holding it (it is held for milliseconds).
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 10_000) fs.rmSync(lock, { force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new ConfigError(forVariable, `is unset and ${lock} stays locked; remove it if no other process is starting`);
      sleepSync(20);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Secrets not given in the environment are generated once and kept in <varDir>/secrets.json (mode 0600),
 * so that restarts keep sessions valid and encrypted personal data readable.
 */
function persistedSecrets(varDir: string, wanted: SecretSpec[]): Record<string, string> {
  if (wanted.length === 0) return {};
  const file = path.join(varDir, SECRETS_FILE);
  const first = wanted[0].name;
  const complete = (s: Record<string, string> | undefined): boolean =>
    !!s && wanted.every((w) => typeof s[w.name] === 'string' && s[w.name].length > 0);

  let secrets = readSecrets(file, first);
  if (!secrets || !complete(secrets)) {
    try {
      fs.mkdirSync(varDir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new ConfigError(first, `is unset and ${varDir} cannot be created (${(e as Error).message})`);
    }
    secrets = withSecretsLock(file, first, () => {
      const current = readSecrets(file, first) ?? {};
      if (complete(current)) return current;
      const next = { ...current };
      for (const w of wanted) if (!next[w.name]) next[w.name] = randomBytes(w.bytes).toString('base64');
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
        fs.chmodSync(tmp, 0o600);
        fs.renameSync(tmp, file);
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw new ConfigError(first, `is unset and ${file} cannot be written (${(e as Error).message})`);
      }
      return next;
    });
  }
  try {
    // A copy or an older version may have left it readable by others.
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  } catch {
    // best effort
  }
  return secrets;
}

/** 64 hex characters, or base64 / base64url of exactly 32 bytes. */
function dataKeyFrom(raw: string, name: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) {
    const key = Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === 32) return key;
  }
  throw new ConfigError(name, 'must be 32 bytes, written as 64 hex characters or as base64 (e.g. `openssl rand -base64 32`)');
}

/** TRUST_PROXY: unset/false, true, a hop count, or a comma list of addresses, CIDR ranges or loopback/linklocal/uniquelocal. */
function trustProxyFrom(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  const parts = raw.split(',').map((p) => p.trim());
  const ok = (p: string) => ['loopback', 'linklocal', 'uniquelocal'].includes(p) || /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(p);
  if (parts.length && parts.every(ok)) return parts.join(',');
  throw new ConfigError('TRUST_PROXY', `must be false, true, a number of hops, or a comma list of addresses, CIDR ranges or loopback/linklocal/uniquelocal; got ${shown(raw)}`);
}

export function loadConfig(env: Env = process.env): AppConfig {
  const varDir = path.resolve(str(env, 'VAR_DIR') ?? './var');
  const port = int(env, 'PORT', DEFAULT_PORT, 0, 65535);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const schema = str(env, 'DATABASE_SCHEMA');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('DATABASE_SCHEMA', `must be a lower-case SQL identifier, got ${shown(schema)}`);
  }
  const sqlitePath = path.resolve(str(env, 'SQLITE_PATH') ?? path.join(varDir, 'contest.sqlite'));
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const queuePrefix = str(env, 'QUEUE_PREFIX') ?? DEFAULT_QUEUE_PREFIX;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queuePrefix)) {
    throw new ConfigError('QUEUE_PREFIX', `may hold only letters, digits, "_" and "-" (1 to 64 characters), got ${shown(queuePrefix)}`);
  }
  const adminUsername = str(env, 'ADMIN_USERNAME') ?? 'admin';
  if (!/^[A-Za-z0-9_.-]{3,64}$/.test(adminUsername)) {
    throw new ConfigError('ADMIN_USERNAME', 'must be 3 to 64 letters, digits, ".", "_" or "-"');
  }
  const adminPassword = str(env, 'ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD', 'must be at least 8 characters');
  }
  const envJwtSecret = str(env, 'JWT_SECRET');
  if (envJwtSecret !== undefined && envJwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
  }
  const envDataKey = str(env, 'DATA_KEY');
  const dataKeyGiven = envDataKey === undefined ? undefined : dataKeyFrom(envDataKey, 'DATA_KEY');
  const publicBaseUrlRaw = url(env, 'PUBLIC_BASE_URL', ['http:', 'https:']);
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got ${shown(logLevel)}`);
  }
  const jwtExpiresInSeconds = int(env, 'JWT_EXPIRES_IN_SECONDS', 12 * 3600, 60, 30 * 24 * 3600);
  const outboxPollMs = int(env, 'OUTBOX_POLL_MS', 1000, 50, 60000);
  const checkpointIntervalMs = int(env, 'SQLITE_CHECKPOINT_MS', DEFAULT_CHECKPOINT_INTERVAL_MS, 5, 60000);
  const lockDurationMs = int(env, 'QUEUE_LOCK_DURATION_MS', 30000, 1000, 600000);
  const stalledIntervalMs = int(env, 'QUEUE_STALLED_INTERVAL_MS', 30000, 500, 600000);
  const trustProxy = trustProxyFrom(str(env, 'TRUST_PROXY'));
  const envSigningKey = str(env, 'CERT_SIGNING_KEY');
  const signingKeyGiven = envSigningKey === undefined ? undefined : dataKeyFrom(envSigningKey, 'CERT_SIGNING_KEY');
  const serialPrefix = str(env, 'CERT_SERIAL_PREFIX') ?? 'QZ';
  if (!/^[A-Z]{1,8}$/.test(serialPrefix)) {
    throw new ConfigError('CERT_SERIAL_PREFIX', `must be 1 to 8 capital letters (e.g. QZ), got ${shown(serialPrefix)}`);
  }
  const fonts = (str(env, 'CERT_FONTS') ?? '').split(path.delimiter).map((f) => f.trim()).filter(Boolean);
  const certificateConcurrency = int(env, 'CERT_WORKER_CONCURRENCY', 2, 1, 64);

  // Only once every value from the environment is valid: a refused start writes nothing.
  const generated = persistedSecrets(varDir, [
    ...(envJwtSecret === undefined ? [{ name: 'JWT_SECRET', bytes: 48 }] : []),
    ...(dataKeyGiven === undefined ? [{ name: 'DATA_KEY', bytes: 32 }] : []),
    ...(signingKeyGiven === undefined ? [{ name: 'CERT_SIGNING_KEY', bytes: 32 }] : []),
  ]);
  const jwtSecret = envJwtSecret ?? generated.JWT_SECRET;
  if (jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET', `is unset and the one kept in ${path.join(varDir, SECRETS_FILE)} is shorter than 32 characters`);
  }
  const dataKey = dataKeyGiven ?? dataKeyFrom(generated.DATA_KEY, 'DATA_KEY');
  const signingSeed = signingKeyGiven ?? dataKeyFrom(generated.CERT_SIGNING_KEY, 'CERT_SIGNING_KEY');

  return {
    port,
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl, schema, sqlitePath, checkpointIntervalMs }
      : { kind: 'sqlite', sqlitePath, checkpointIntervalMs },
    redisUrl: redisUrl ?? DEFAULT_REDIS_URL,
    redisUrlExplicit: redisUrl !== undefined,
    queuePrefix,
    adminUsername,
    adminPassword,
    jwtSecret,
    jwtExpiresInSeconds,
    dataKey,
    publicBaseUrl: (publicBaseUrlRaw ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    varDir,
    logLevel,
    bodyLimit: 1024 * 1024,
    outboxPollMs,
    trustProxy,
    queue: { lockDurationMs, stalledIntervalMs },
    certificates: { signingSeed, serialPrefix, fonts, concurrency: certificateConcurrency },
  };
}

/** Entry points call this: a bad value stops the process with one line, exit code 1. */
export function loadConfigOrExit(env: Env = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(e.message + '\n');
      process.exit(1);
    }
    throw e;
  }
}

/** Database kind is needed when entity decorators are evaluated, before any config object exists. */
export function databaseKindFromEnv(env: Env = process.env): 'sqlite' | 'postgres' {
  return str(env, 'DATABASE_URL') ? 'postgres' : 'sqlite';
}
