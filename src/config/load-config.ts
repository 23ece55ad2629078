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
    super(`Configuration error: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => p + '//').join(' or ')}, got "${parsed.protocol}//"`);
  }
  return raw;
}

/**
 * Secrets not given in the environment are generated once and kept in <varDir>/secrets.json (mode 0600),
 * so that restarts keep sessions valid and encrypted personal data readable.
 */
function persistedSecret(varDir: string, name: string, bytes: number): string {
  const file = path.join(varDir, 'secrets.json');
  let secrets: Record<string, string> = {};
  if (fs.existsSync(file)) {
    try {
      secrets = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      throw new ConfigError(name, `is unset and ${file} is not valid JSON; fix or remove that file`);
    }
  }
  if (!secrets[name]) {
    secrets[name] = randomBytes(bytes).toString('base64');
    fs.mkdirSync(varDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  }
  return secrets[name];
}

function dataKeyFrom(raw: string, name: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) {
    throw new ConfigError(name, 'must be 32 bytes, as 64 hex characters or base64');
  }
  return key;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const varDir = path.resolve(str(env, 'VAR_DIR') ?? './var');
  const port = int(env, 'PORT', 3000, 0, 65535);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const schema = str(env, 'DATABASE_SCHEMA');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('DATABASE_SCHEMA', 'must be a lower-case SQL identifier');
  }
  const sqlitePath = path.resolve(str(env, 'SQLITE_PATH') ?? path.join(varDir, 'contest.sqlite'));
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const queuePrefix = str(env, 'QUEUE_PREFIX') ?? 'contest';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(queuePrefix)) {
    throw new ConfigError('QUEUE_PREFIX', 'may hold only letters, digits, "_" and "-" (1 to 64 characters)');
  }
  const adminUsername = str(env, 'ADMIN_USERNAME') ?? 'admin';
  if (!/^[A-Za-z0-9_.-]{3,64}$/.test(adminUsername)) {
    throw new ConfigError('ADMIN_USERNAME', 'must be 3 to 64 letters, digits, ".", "_" or "-"');
  }
  const adminPassword = str(env, 'ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD', 'must be at least 8 characters');
  }
  const jwtSecret = str(env, 'JWT_SECRET') ?? persistedSecret(varDir, 'JWT_SECRET', 48);
  if (jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
  }
  const dataKey = dataKeyFrom(str(env, 'DATA_KEY') ?? persistedSecret(varDir, 'DATA_KEY', 32), 'DATA_KEY');
  const publicBaseUrl = (url(env, 'PUBLIC_BASE_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const logLevel = str(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return {
    port,
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl, schema, sqlitePath }
      : { kind: 'sqlite', sqlitePath },
    redisUrl: redisUrl ?? 'redis://127.0.0.1:6379',
    redisUrlExplicit: redisUrl !== undefined,
    queuePrefix,
    adminUsername,
    adminPassword,
    jwtSecret,
    jwtExpiresInSeconds: int(env, 'JWT_EXPIRES_IN_SECONDS', 12 * 3600, 60, 30 * 24 * 3600),
    dataKey,
    publicBaseUrl,
    varDir,
    logLevel,
    bodyLimit: '1mb',
    outboxPollMs: int(env, 'OUTBOX_POLL_MS', 1000, 50, 60000),
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
