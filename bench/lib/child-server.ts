import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { deleteKeysWithPrefix } from '../../src/modules/queue/redis-server';

export const BENCH_ADMIN = { username: 'admin', password: 'bench-admin-password' };

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER_ENTRY = path.join(ROOT, 'bench', 'server', 'main.ts');

export interface ChildServerOptions {
  /** Take over the database and var dir of an earlier, stopped server (a restart on the same data). */
  reuse?: ChildServer;
  /** Write a V8 CPU profile of the server (--cpu-prof) into this directory. */
  cpuProfDir?: string;
  /**
   * Keep the server's stored files (its FileStore, <var dir>/files) in this directory instead: the var dir's `files`
   * becomes a symbolic link to it, made before the server starts (the certificates bench puts them on tmpfs).
   */
  filesDir?: string;
}

/** A free TCP port on 127.0.0.1 (taken and released; the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Every live child and temp dir of this process, removed on exit whatever happens. */
const live = new Set<ChildServer>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanAll = () => {
    for (const s of live) s.killNowSync();
  };
  process.once('exit', cleanAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanAll();
      process.exit(130);
    });
  }
}

/** Peak and current resident set of a process, from /proc/<pid>/status (Linux), in MiB. */
export function procMemory(pid: number): { peakMiB: number; currentMiB: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakMiB: kb('VmHWM') / 1024, currentMiB: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * The API in a child process (`node -r ts-node/register/transpile-only bench/server/main.ts`) on a
 * fresh SQLite file in os.tmpdir(), a unique queue prefix and a free port on 127.0.0.1.
 */
export class ChildServer {
  readonly baseUrl: string;
  private child?: ChildProcess;
  private output = '';
  private exited?: { code: number | null; signal: NodeJS.Signals | null };
  private dirOwned: boolean;

  private constructor(
    readonly dir: string,
    readonly config: AppConfig,
    readonly env: Record<string, string | undefined>,
  ) {
    this.baseUrl = `http://127.0.0.1:${config.port}`;
    this.dirOwned = true;
  }

  static async start(opts: ChildServerOptions = {}): Promise<ChildServer> {
    installExitHook();
    const prev = opts.reuse;
    const dir = prev ? prev.dir : fs.mkdtempSync(path.join(os.tmpdir(), 'contest-bench-'));
    const port = await freePort();
    const env: Record<string, string | undefined> = {
      ...process.env,
      DATABASE_URL: undefined,
      DATABASE_SCHEMA: undefined,
      VAR_DIR: dir,
      SQLITE_PATH: path.join(dir, 'contest.sqlite'),
      QUEUE_PREFIX: prev ? prev.config.queuePrefix : `bench${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'warn',
      PORT: String(port),
      ADMIN_USERNAME: BENCH_ADMIN.username,
      ADMIN_PASSWORD: BENCH_ADMIN.password,
      TS_NODE_TRANSPILE_ONLY: 'true',
      NODE_ENV: 'production',
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    if (opts.filesDir && !prev) {
      fs.mkdirSync(opts.filesDir, { recursive: true });
      fs.symlinkSync(opts.filesDir, path.join(dir, 'files'), 'dir');
    }
    // Generates the var dir's secrets here, so that this process and the child share JWT_SECRET and DATA_KEY.
    const config = loadConfig(env);
    const s = new ChildServer(dir, config, env);
    // The temp dir now belongs to the new server (stop the earlier one first).
    if (prev) prev.dirOwned = false;
    live.add(s);
    try {
      await s.spawn(opts.cpuProfDir);
    } catch (e) {
      await s.stop();
      throw e;
    }
    return s;
  }

  private async spawn(cpuProfDir?: string): Promise<void> {
    const args = ['-r', 'ts-node/register/transpile-only'];
    if (cpuProfDir) args.push('--cpu-prof', '--cpu-prof-dir', cpuProfDir);
    args.push(SERVER_ENTRY);
    const child = spawn(process.execPath, args, { cwd: ROOT, env: this.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    const keep = (b: Buffer) => {
      this.output = (this.output + b.toString('utf8')).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve();
      }),
    );
    const ready = new Promise<void>((resolve) => child.on('message', (m: { ready?: boolean }) => m?.ready && resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 90_000)));
    const outcome = await Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    if (outcome !== 'ready') {
      throw new Error(`bench server ${outcome === 'exited' ? `exited (${JSON.stringify(this.exited)})` : 'did not start within 90 s'}; its output:\n${this.output}`);
    }
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  /** Peak resident set (VmHWM) of the server so far, in MiB. */
  memory(): { peakMiB: number; currentMiB: number } | undefined {
    return this.exited ? undefined : procMemory(this.pid);
  }

  /** What the server printed (warnings and errors only: LOG_LEVEL=warn). */
  get log(): string {
    return this.output;
  }

  /**
   * Stops the server: SIGTERM (a clean close, which lets --cpu-prof write), SIGKILL after 20 s.
   * Returns its peak RSS read just before. With `keepData`, the temp dir stays for a restart.
   */
  async stop(opts: { keepData?: boolean } = {}): Promise<{ peakMiB: number; currentMiB: number } | undefined> {
    const mem = this.memory();
    const child = this.child;
    if (child && !this.exited) {
      const gone = new Promise<void>((resolve) => (this.exited ? resolve() : child.once('exit', () => resolve())));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    }
    live.delete(this);
    if (!opts.keepData && this.dirOwned) {
      await deleteKeysWithPrefix(this.config.redisUrl, this.config.queuePrefix);
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
    return mem;
  }

  /** Exit-hook path: no awaiting possible. */
  killNowSync(): void {
    if (this.child && !this.exited) this.child.kill('SIGKILL');
    if (this.dirOwned) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

