import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, DEFAULT_QUEUE_PREFIX, loadConfig } from './load-config';

describe('loadConfig', () => {
  let varDir: string;
  const secretsFile = () => path.join(varDir, 'secrets.json');
  /** An environment with only VAR_DIR set (a temp dir): nothing from the real process environment leaks in. */
  const env = (extra: Record<string, string | undefined> = {}) => ({ VAR_DIR: varDir, ...extra });

  beforeEach(() => {
    varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-config-'));
  });
  afterEach(() => fs.rmSync(varDir, { recursive: true, force: true }));

  describe('defaults', () => {
    it('are used when nothing is set', () => {
      const c = loadConfig(env());
      expect(c.port).toBe(3000);
      expect(c.database).toEqual({ kind: 'sqlite', sqlitePath: path.join(varDir, 'contest.sqlite'), checkpointIntervalMs: 25 });
      expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
      expect(c.redisUrlExplicit).toBe(false);
      expect(c.queuePrefix).toBe(DEFAULT_QUEUE_PREFIX);
      expect(c.queuePrefix).toBe('contest');
      expect(c.adminUsername).toBe('admin');
      expect(c.adminPassword).toBeUndefined();
      expect(c.publicBaseUrl).toBe('http://localhost:3000');
      expect(c.logLevel).toBe('info');
      expect(c.varDir).toBe(varDir);
      expect(c.dataKey).toHaveLength(32);
      expect(c.jwtSecret.length).toBeGreaterThanOrEqual(32);
    });

    it('VAR_DIR defaults to ./var (resolved against the working directory)', () => {
      // Secrets are given so that nothing is written under the real ./var.
      const c = loadConfig({ JWT_SECRET: 'j'.repeat(32), DATA_KEY: 'a'.repeat(64) });
      expect(c.varDir).toBe(path.resolve('var'));
      expect(c.database.sqlitePath).toBe(path.resolve('var', 'contest.sqlite'));
    });

    it('blank values count as unset', () => {
      const c = loadConfig(env({ PORT: '  ', REDIS_URL: '', LOG_LEVEL: ' ' }));
      expect(c.port).toBe(3000);
      expect(c.redisUrlExplicit).toBe(false);
      expect(c.logLevel).toBe('info');
    });
  });

  describe('accepted values', () => {
    it.each([
      ['postgres://', { DATABASE_URL: 'postgres://u:p@db:5432/contest' }, { kind: 'postgres', url: 'postgres://u:p@db:5432/contest' }],
      ['postgresql:// with a schema', { DATABASE_URL: 'postgresql://db/contest', DATABASE_SCHEMA: 'run_1' }, { kind: 'postgres', schema: 'run_1' }],
    ])('DATABASE_URL %s switches to PostgreSQL', (_label, extra, expected) => {
      expect(loadConfig(env(extra)).database).toMatchObject(expected);
    });

    it.each([
      ['PORT', { PORT: '8080' }, (c: ReturnType<typeof loadConfig>) => c.port, 8080],
      ['PORT 0 (any free port)', { PORT: '0' }, (c: ReturnType<typeof loadConfig>) => c.port, 0],
      ['SQLITE_PATH', { SQLITE_PATH: '/tmp/x/y.sqlite' }, (c: ReturnType<typeof loadConfig>) => c.database.sqlitePath, '/tmp/x/y.sqlite'],
      ['REDIS_URL', { REDIS_URL: 'redis://r:6380/2' }, (c: ReturnType<typeof loadConfig>) => [c.redisUrl, c.redisUrlExplicit], ['redis://r:6380/2', true]],
      ['REDIS_URL rediss://', { REDIS_URL: 'rediss://r:6380' }, (c: ReturnType<typeof loadConfig>) => c.redisUrl, 'rediss://r:6380'],
      ['QUEUE_PREFIX', { QUEUE_PREFIX: 'run-42_a' }, (c: ReturnType<typeof loadConfig>) => c.queuePrefix, 'run-42_a'],
      ['ADMIN_PASSWORD', { ADMIN_PASSWORD: '12345678' }, (c: ReturnType<typeof loadConfig>) => c.adminPassword, '12345678'],
      ['PUBLIC_BASE_URL (trailing / dropped)', { PUBLIC_BASE_URL: 'https://contest.example.org/' }, (c: ReturnType<typeof loadConfig>) => c.publicBaseUrl, 'https://contest.example.org'],
      ['LOG_LEVEL', { LOG_LEVEL: 'warn' }, (c: ReturnType<typeof loadConfig>) => c.logLevel, 'warn'],
      ['TRUST_PROXY unset', {}, (c: ReturnType<typeof loadConfig>) => c.trustProxy, false],
      ['TRUST_PROXY hops', { TRUST_PROXY: '1' }, (c: ReturnType<typeof loadConfig>) => c.trustProxy, 1],
      ['TRUST_PROXY list', { TRUST_PROXY: 'loopback, 10.0.0.0/8' }, (c: ReturnType<typeof loadConfig>) => c.trustProxy, 'loopback,10.0.0.0/8'],
      ['CERT_SERIAL_PREFIX', { CERT_SERIAL_PREFIX: 'HZ' }, (c: ReturnType<typeof loadConfig>) => c.certificates.serialPrefix, 'HZ'],
      ['QUEUE_* timings', { QUEUE_LOCK_DURATION_MS: '10000', QUEUE_STALLED_INTERVAL_MS: '2000' }, (c: ReturnType<typeof loadConfig>) => c.queue, { lockDurationMs: 10000, stalledIntervalMs: 2000 }],
      ['CERT_WORKER_CONCURRENCY', { CERT_WORKER_CONCURRENCY: '3' }, (c: ReturnType<typeof loadConfig>) => c.certificates.concurrency, 3],
      ['SQLITE_CHECKPOINT_MS unset', {}, (c: ReturnType<typeof loadConfig>) => c.database.checkpointIntervalMs, 25],
      ['SQLITE_CHECKPOINT_MS', { SQLITE_CHECKPOINT_MS: '100' }, (c: ReturnType<typeof loadConfig>) => c.database.checkpointIntervalMs, 100],
    ])('%s', (_label, extra, pick, expected) => {
      expect(pick(loadConfig(env(extra)))).toEqual(expected);
    });

    it('DATA_KEY as 64 hex characters', () => {
      const key = randomBytes(32);
      expect(loadConfig(env({ DATA_KEY: key.toString('hex') })).dataKey.equals(key)).toBe(true);
      expect(loadConfig(env({ DATA_KEY: key.toString('hex').toUpperCase() })).dataKey.equals(key)).toBe(true);
    });

    it('DATA_KEY as base64 (and base64url) of 32 bytes', () => {
      const key = randomBytes(32);
      expect(loadConfig(env({ DATA_KEY: key.toString('base64') })).dataKey.equals(key)).toBe(true);
      expect(loadConfig(env({ DATA_KEY: key.toString('base64url') })).dataKey.equals(key)).toBe(true);
    });

    it('JWT_SECRET of 32 characters', () => {
      expect(loadConfig(env({ JWT_SECRET: 's'.repeat(32) })).jwtSecret).toBe('s'.repeat(32));
    });
  });

  describe('refusals: a ConfigError whose message is one line naming the variable', () => {
    const bad: Array<[string, Record<string, string>]> = [
      ['PORT', { PORT: 'abc' }],
      ['PORT', { PORT: '70000' }],
      ['PORT', { PORT: '-1' }],
      ['PORT', { PORT: '80\n80' }],
      ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
      ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
      ['DATABASE_SCHEMA', { DATABASE_URL: 'postgres://db/x', DATABASE_SCHEMA: 'Bad-Name' }],
      ['REDIS_URL', { REDIS_URL: 'http://x' }],
      ['QUEUE_PREFIX', { QUEUE_PREFIX: 'a:b' }],
      ['QUEUE_PREFIX', { QUEUE_PREFIX: 'x'.repeat(65) }],
      ['ADMIN_USERNAME', { ADMIN_USERNAME: 'a b' }],
      ['JWT_SECRET', { JWT_SECRET: 'too-short' }],
      ['DATA_KEY', { DATA_KEY: 'ab'.repeat(31) }], // 31 bytes of hex
      ['DATA_KEY', { DATA_KEY: randomBytes(31).toString('base64') }],
      ['DATA_KEY', { DATA_KEY: randomBytes(33).toString('base64') }],
      ['DATA_KEY', { DATA_KEY: 'not a key!' }],
      ['DATA_KEY', { DATA_KEY: randomBytes(32).toString('base64').slice(0, 42) + '!!' }], // not base64 at all
      ['ADMIN_PASSWORD', { ADMIN_PASSWORD: 'short' }],
      ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
      ['TRUST_PROXY', { TRUST_PROXY: 'everyone' }],
      ['CERT_SERIAL_PREFIX', { CERT_SERIAL_PREFIX: 'qz-1' }],
      ['CERT_SIGNING_KEY', { CERT_SIGNING_KEY: 'not a key!' }],
      ['CERT_WORKER_CONCURRENCY', { CERT_WORKER_CONCURRENCY: '0' }],
      ['QUEUE_STALLED_INTERVAL_MS', { QUEUE_STALLED_INTERVAL_MS: '10' }],
      ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://x' }],
      ['JWT_EXPIRES_IN_SECONDS', { JWT_EXPIRES_IN_SECONDS: '1' }],
      ['OUTBOX_POLL_MS', { OUTBOX_POLL_MS: 'soon' }],
      ['SQLITE_CHECKPOINT_MS', { SQLITE_CHECKPOINT_MS: '0' }],
      ['SQLITE_CHECKPOINT_MS', { SQLITE_CHECKPOINT_MS: 'often' }],
    ];

    it.each(bad)('%s %j', (variable, extra) => {
      let error: unknown;
      try {
        loadConfig(env(extra));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const e = error as ConfigError;
      expect(e.variable).toBe(variable);
      expect(e.message).not.toMatch(/[\r\n]/);
      expect(e.message).toMatch(new RegExp(`^Configuration error: ${variable} \\S`));
    });

    it('never echoes a secret value', () => {
      for (const extra of [{ JWT_SECRET: 'hunter2-secret' }, { ADMIN_PASSWORD: 'pw-1234' }, { DATA_KEY: 'secret-data-key' }]) {
        const value = Object.values(extra)[0];
        expect(() => loadConfig(env(extra))).toThrow(ConfigError);
        expect(() => loadConfig(env(extra))).not.toThrow(value);
      }
    });

    it('never echoes a database URL (it may hold a password)', () => {
      expect(() => loadConfig(env({ DATABASE_URL: 'mysql://user:pa55word@db/x' }))).toThrow(/^Configuration error: DATABASE_URL must start with postgres:\/\//);
      expect(() => loadConfig(env({ DATABASE_URL: 'mysql://user:pa55word@db/x' }))).not.toThrow(/pa55word/);
    });

    it('a refused start writes no secrets file', () => {
      expect(() => loadConfig(env({ PORT: 'abc' }))).toThrow(ConfigError);
      expect(fs.existsSync(secretsFile())).toBe(false);
    });

    it('a secrets file that is not JSON names the variable', () => {
      fs.writeFileSync(secretsFile(), '{oops', { mode: 0o600 });
      expect(() => loadConfig(env())).toThrow(/^Configuration error: JWT_SECRET is unset and .*secrets\.json is not a JSON object/);
    });
  });

  describe('JWT_SECRET and DATA_KEY, when unset', () => {
    it('are generated once into <VAR_DIR>/secrets.json with mode 0600 and read back on the next load', () => {
      const first = loadConfig(env());
      const st = fs.statSync(secretsFile());
      expect(st.mode & 0o777).toBe(0o600);
      const stored = JSON.parse(fs.readFileSync(secretsFile(), 'utf8')) as Record<string, string>;
      expect(Object.keys(stored).sort()).toEqual(['CERT_SIGNING_KEY', 'DATA_KEY', 'JWT_SECRET']);
      expect(stored.JWT_SECRET).toBe(first.jwtSecret);
      expect(Buffer.from(stored.DATA_KEY, 'base64').equals(first.dataKey)).toBe(true);

      const second = loadConfig(env());
      expect(second.jwtSecret).toBe(first.jwtSecret);
      expect(second.dataKey.equals(first.dataKey)).toBe(true);
      expect(fs.readFileSync(secretsFile(), 'utf8')).toBe(JSON.stringify(stored, null, 2) + '\n');
    });

    it('differ between var dirs', () => {
      const a = loadConfig(env());
      const other = fs.mkdtempSync(path.join(os.tmpdir(), 'load-config-'));
      try {
        const b = loadConfig({ VAR_DIR: other });
        expect(b.jwtSecret).not.toBe(a.jwtSecret);
        expect(b.dataKey.equals(a.dataKey)).toBe(false);
      } finally {
        fs.rmSync(other, { recursive: true, force: true });
      }
    });

    it('creates VAR_DIR when it does not exist yet', () => {
      const nested = path.join(varDir, 'a', 'b');
      loadConfig({ VAR_DIR: nested });
      expect(fs.statSync(path.join(nested, 'secrets.json')).mode & 0o777).toBe(0o600);
    });

    it('only the unset one is generated; a given one is never written to disk', () => {
      const jwt = 'j'.repeat(40);
      const c = loadConfig(env({ JWT_SECRET: jwt }));
      expect(c.jwtSecret).toBe(jwt);
      const stored = JSON.parse(fs.readFileSync(secretsFile(), 'utf8')) as Record<string, string>;
      expect(Object.keys(stored).sort()).toEqual(['CERT_SIGNING_KEY', 'DATA_KEY']);
      // Later the JWT secret is unset too: it is added, the data key stays.
      const later = loadConfig(env());
      expect(later.dataKey.equals(c.dataKey)).toBe(true);
      expect(later.jwtSecret).not.toBe(jwt);
      expect(Object.keys(JSON.parse(fs.readFileSync(secretsFile(), 'utf8')) as object).sort()).toEqual(['CERT_SIGNING_KEY', 'DATA_KEY', 'JWT_SECRET']);
    });

    it('nothing is written when all are given', () => {
      loadConfig(env({ JWT_SECRET: 'j'.repeat(32), DATA_KEY: randomBytes(32).toString('hex'), CERT_SIGNING_KEY: randomBytes(32).toString('base64') }));
      expect(fs.existsSync(secretsFile())).toBe(false);
    });

    it('a secrets file readable by others is tightened to 0600', () => {
      loadConfig(env());
      fs.chmodSync(secretsFile(), 0o644);
      loadConfig(env());
      expect(fs.statSync(secretsFile()).mode & 0o777).toBe(0o600);
    });

    it('a lock file left by a process that died is taken over', () => {
      const lock = path.join(varDir, 'secrets.json.lock');
      fs.writeFileSync(lock, '');
      const old = new Date(Date.now() - 60_000);
      fs.utimesSync(lock, old, old);
      loadConfig(env());
      expect(fs.existsSync(lock)).toBe(false);
      expect(fs.existsSync(secretsFile())).toBe(true);
    });

    it('leaves no lock or temp file behind', () => {
      loadConfig(env());
      expect(fs.readdirSync(varDir)).toEqual(['secrets.json']);
    });
  });
});
