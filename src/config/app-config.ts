/** Typed configuration. Built only by loadConfig() in this folder; injected everywhere else. */
export type DatabaseKind = 'sqlite' | 'postgres';

export interface AppConfig {
  port: number;
  database: {
    kind: DatabaseKind;
    url?: string; // postgres only
    schema?: string; // postgres only; tests use a fresh schema per file
    sqlitePath: string; // sqlite only
    /**
     * SQLite: how often an API process's checkpointer thread copies the WAL back into the database file
     * (SQLITE_CHECKPOINT_MS, default 25): small checkpoints stall the marks route's commits least. See load-config.ts
     * and README, "Measured in s10".
     */
    checkpointIntervalMs: number;
  };
  redisUrl: string;
  /** true when REDIS_URL was given; `npm start` may otherwise start a private redis-server. */
  redisUrlExplicit: boolean;
  queuePrefix: string;
  adminUsername: string;
  adminPassword?: string;
  jwtSecret: string;
  jwtExpiresInSeconds: number;
  /** 32-byte key: AES-256-GCM for personal data and HMAC for its lookup hash. */
  dataKey: Buffer;
  publicBaseUrl: string;
  varDir: string;
  logLevel: string;
  /** Largest request body in bytes, after decompression (1 MiB); uploads have their own limit. */
  bodyLimit: number;
  outboxPollMs: number;
  /** BullMQ worker lock and stalled-job check (QUEUE_LOCK_DURATION_MS, QUEUE_STALLED_INTERVAL_MS): how soon a dead worker's jobs come back. */
  queue: { lockDurationMs: number; stalledIntervalMs: number };
  /** Fastify's `trustProxy` (TRUST_PROXY): false, a hop count, or addresses/ranges of trusted proxies. */
  trustProxy: boolean | number | string;
  certificates: {
    /** 32-byte Ed25519 seed (CERT_SIGNING_KEY, else generated once into secrets.json). */
    signingSeed: Buffer;
    /** Serial numbers read `<prefix>-<year>-<000123>` (CERT_SERIAL_PREFIX, default QZ). */
    serialPrefix: string;
    /** CERT_FONTS: font files tried in order (TTF/OTF; a collection as `file.ttc#PostScriptName`); empty = the renderer's defaults. */
    fonts: string[];
    /** Certificates rendered at once per worker process (CERT_WORKER_CONCURRENCY, default 2). */
    concurrency: number;
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
