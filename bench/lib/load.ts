import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { procMemory } from './child-server';
import { cpuSeconds } from './proc-cpu';
import { out } from './report';

export interface LoadResult {
  /** responses completed within the measured window */
  responses: number;
  ok: number;
  non2xx: number;
  /** connection errors and timeouts of the whole run (warm-up included) */
  errors: number;
  timeouts: number;
  /** length of the measured window */
  seconds: number;
  /** responses per second in the window */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  statusCodes: Record<string, number>;
  /** Highest VmRSS of `samplePid` seen during the window (sampled every 200 ms), MiB. */
  peakRssMiB?: number;
  /** Latencies of the requests sent inside the window, ascending (ms). */
  latencies: number[];
  /** What generated the load: wrk (a separate process, C) or autocannon (in this Node process). */
  generator: Generator;
  /** CPU the load generator used over its whole run (warm-up included), in cores (1 = one core busy). */
  generatorCores?: number;
}

/**
 * The requests of one connection, standing for one client: its own headers (e.g. a judge's token)
 * and a fresh body per request. In `path` and `body`, `{{n}}` is replaced by the connection's
 * request counter (0, 1, …, unique within the connection; it starts anew with every load, and
 * wrk may spend one number on its check of the first connection's request) and `{{name}}` by a value of
 * `pick[name]` drawn at random per request. Values are inserted as they are (a JSON string value
 * needs its quotes in the template). wrk builds the requests in Lua (bench/lib/wrk.lua), hence
 * templates rather than a function.
 */
export interface LoadRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  pick?: Record<string, string[]>;
  /**
   * Every answer of this connection, warm-up included, and whether it completed inside the window.
   * With wrk the bodies are collected and handed over after the run: only for small answers.
   */
  onResponse?: (status: number, body: string, inWindow: boolean) => void;
}

export interface LoadOptions {
  baseUrl: string;
  connections: number;
  /** the measured window */
  seconds: number;
  /**
   * Load on the same connections before the window opens, not counted: a Node server that is already
   * saturated admits new connections slowly (their first requests wait a whole event-loop turn each), so
   * a window that includes the ramp-up measures connection set-up, not the route.
   */
  warmupSeconds?: number;
  /** Called when the window opens (e.g. to start a profile of the window). */
  onWindowStart?: () => void;
  /** The requests of connection `i` (0-based). */
  request: (connection: number) => LoadRequest;
  /** The server's pid, to sample its resident set during the window. */
  samplePid?: number;
  /** This generator whatever BENCH_LOAD says (to compare them); else loadGenerator()'s. */
  generator?: Generator;
}

export type Generator = 'wrk' | 'autocannon';

type Emitter = { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void };

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] : NaN);
const round = (x: number) => Math.round(x * 10) / 10;

const WRK_SCRIPT = path.join(__dirname, 'wrk.lua');
/** One wrk thread per connection (see wrk.lua): a bound on threads. */
const WRK_MAX_CONNECTIONS = 256;

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

let chosen: { generator: Generator; wrk?: string } | undefined;

/**
 * wrk when it is on PATH (Debian: apt-get install wrk), else autocannon; BENCH_LOAD=autocannon or
 * BENCH_LOAD=wrk chooses. Said once per process.
 */
export function loadGenerator(): { generator: Generator; wrk?: string } {
  if (chosen) return chosen;
  const want = process.env.BENCH_LOAD;
  if (want && want !== 'wrk' && want !== 'autocannon') throw new Error(`BENCH_LOAD=${want}: wrk or autocannon`);
  const wrk = want === 'autocannon' ? undefined : onPath('wrk');
  if (want === 'wrk' && !wrk) throw new Error('BENCH_LOAD=wrk but wrk is not on PATH (apt-get install wrk)');
  chosen = wrk ? { generator: 'wrk', wrk } : { generator: 'autocannon' };
  out(
    wrk
      ? `load generator: wrk (${wrk}, a separate process, one thread per connection; BENCH_LOAD=autocannon for the in-process one)`
      : `load generator: autocannon, in this Node process (it takes CPU from the server on a small machine)${want ? '' : '; wrk is not on PATH'}`,
  );
  return chosen;
}

/**
 * `connections` keep-alive connections, one request in flight each, for warm-up + `seconds`:
 * 127.0.0.1 only, bounded in time. Connection i sends the requests of `request(i)`, so that it
 * stands for one client (one judge, one organizer's browser). Throughput counts the responses
 * completed inside the window; latency percentiles, the requests sent inside it.
 */
export async function load(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.baseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`load tests target this machine only, not ${url.hostname}`);
  if (!(opts.seconds > 0 && opts.seconds <= 120)) throw new Error('a load runs for 1 to 120 seconds');
  if (!(Number.isInteger(opts.connections) && opts.connections >= 1)) throw new Error('connections: a positive integer');
  if (opts.generator === 'autocannon') return loadWithAutocannon(opts);
  if (opts.generator === 'wrk') {
    const wrk = onPath('wrk');
    if (!wrk) throw new Error('wrk is not on PATH (apt-get install wrk)');
    return loadWithWrk(opts, wrk);
  }
  const g = loadGenerator();
  return g.wrk ? loadWithWrk(opts, g.wrk) : loadWithAutocannon(opts);
}

/** Tallies of one window, from (sent, completed, status) of each response. */
class Window {
  completed = 0;
  readonly statusCodes: Record<string, number> = {};
  readonly latencies: number[] = [];
  private peakRssMiB?: number;
  private sampler?: NodeJS.Timeout;

  constructor(private readonly samplePid?: number) {}

  /** RSS of the server sampled every 200 ms while the window is open. */
  startSampling(): void {
    if (!this.samplePid) return;
    this.sample();
    this.sampler = setInterval(() => this.sample(), 200);
  }

  stopSampling(): void {
    if (!this.sampler) return;
    this.sample();
    clearInterval(this.sampler);
    this.sampler = undefined;
  }

  private sample(): void {
    const m = this.samplePid ? procMemory(this.samplePid) : undefined;
    if (m && (this.peakRssMiB === undefined || m.currentMiB > this.peakRssMiB)) this.peakRssMiB = m.currentMiB;
  }

  count(status: number, latencyMs: number | undefined): void {
    this.completed++;
    this.statusCodes[status] = (this.statusCodes[status] ?? 0) + 1;
    if (latencyMs !== undefined) this.latencies.push(latencyMs);
  }

  result(seconds: number, errors: number, timeouts: number, generator: Generator, generatorCores: number | undefined): LoadResult {
    const latencies = this.latencies.sort((a, b) => a - b);
    const ok = Object.entries(this.statusCodes).reduce((n, [k, v]) => (k.startsWith('2') ? n + v : n), 0);
    return {
      responses: this.completed,
      ok,
      non2xx: this.completed - ok,
      errors,
      timeouts,
      seconds,
      rps: this.completed / seconds,
      p50: round(percentile(latencies, 0.5)),
      p99: round(percentile(latencies, 0.99)),
      max: round(latencies[latencies.length - 1] ?? NaN),
      statusCodes: this.statusCodes,
      peakRssMiB: this.peakRssMiB,
      latencies,
      generator,
      generatorCores,
    };
  }
}

/** A Lua string literal: printable ASCII as is, every other byte as a 3-digit decimal escape. */
function luaString(s: string): string {
  let r = '"';
  for (const b of Buffer.from(s, 'utf8')) r += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  return r + '"';
}

function luaValue(v: unknown): string {
  if (typeof v === 'string') return luaString(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{${v.map(luaValue).join(',')}}`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `[${luaString(k)}]=${luaValue(x)}`)
      .join(',')}}`;
  }
  throw new Error(`no Lua form for ${typeof v}`);
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * wrk in its own process, one thread per connection, running bench/lib/wrk.lua: each thread reads
 * its connection's template and writes one line per answer (sent and completed times on
 * CLOCK_MONOTONIC, status, the body if asked). One wrk run covers warm-up and window on the same
 * connections; the window is placed afterwards from those times (the clock of process.hrtime), and
 * wrk is stopped with SIGINT once it has closed. wrk's own summary (latency over the whole run,
 * warm-up included) is not used, only its error counts.
 */
async function loadWithWrk(opts: LoadOptions, wrk: string): Promise<LoadResult> {
  if (opts.connections > WRK_MAX_CONNECTIONS) throw new Error(`wrk runs one thread per connection: at most ${WRK_MAX_CONNECTIONS}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-wrk-'));
  try {
    const templates = Array.from({ length: opts.connections }, (_, i) => opts.request(i));
    const base = monotonicUs();
    templates.forEach((t, i) => {
      const { onResponse, ...rest } = t;
      fs.writeFileSync(path.join(dir, `c${i + 1}.lua`), `return ${luaValue({ base, out: dir, bodies: !!onResponse, template: rest })}\n`);
    });
    const warmupUs = Math.round((opts.warmupSeconds ?? 0) * 1e6);
    const windowUs = Math.round(opts.seconds * 1e6);
    const openUs = warmupUs;
    const closeUs = warmupUs + windowUs;
    const w = new Window(opts.samplePid);
    // wrk's -d counts whole seconds: a bound only, the run ends with SIGINT after the window.
    const bound = Math.ceil((closeUs + 5e6) / 1e6);
    const child = spawn(wrk, ['-t', String(opts.connections), '-c', String(opts.connections), '-d', `${bound}s`, '--timeout', '10s', '-s', WRK_SCRIPT, opts.baseUrl, '--', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-5000)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const at = (us: number) => Math.max(0, (us - (monotonicUs() - base)) / 1000);
    const opener = setTimeout(() => {
      opts.onWindowStart?.();
      w.startSampling();
    }, at(openUs));
    let cores: number | undefined;
    const startedUs = monotonicUs();
    const closer = setTimeout(() => {
      w.stopSampling();
      const cpu = child.pid ? cpuSeconds(child.pid) : NaN;
      if (!Number.isNaN(cpu)) cores = cpu / ((monotonicUs() - startedUs) / 1e6);
      child.kill('SIGINT');
    }, at(closeUs) + 200);
    const killer = setTimeout(() => child.kill('SIGKILL'), at(closeUs) + 30_000);
    let exit: { code: number | null; signal: NodeJS.Signals | null };
    try {
      exit = await exited;
    } finally {
      clearTimeout(opener);
      clearTimeout(closer);
      clearTimeout(killer);
      w.stopSampling();
    }
    const summary = /^BENCH_WRK (\{.*\})$/m.exec(stdout);
    if (exit.code !== 0 || !summary) throw new Error(`wrk ended with ${exit.signal ?? `code ${exit.code}`}${summary ? '' : ' and no summary'}: ${stderr.trim() || stdout.trim()}`);
    const errs = JSON.parse(summary[1]) as { connect: number; read: number; write: number; timeout: number };

    for (let i = 0; i < templates.length; i++) {
      const onResponse = templates[i].onResponse;
      const file = path.join(dir, `t${i + 1}.tsv`);
      const buf = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0);
      // Lines `sent\tcompleted\tstatus`, or `sent\tcompleted\tstatus\tbytes` followed by the body and a newline.
      let from = 0;
      for (;;) {
        const nl = buf.indexOf(10, from);
        if (nl < 0) break;
        const [sent, done, status, bytes] = buf.toString('latin1', from, nl).split('\t').map(Number);
        let body = '';
        from = nl + 1;
        if (bytes !== undefined) {
          if (from + bytes > buf.length) break;
          body = buf.toString('utf8', from, from + bytes);
          from += bytes + 1;
        }
        const inWindow = done >= openUs && done < closeUs;
        // Latency of requests sent inside the window only: one sent during the ramp-up may finish late.
        if (inWindow) w.count(status, sent >= openUs ? (done - sent) / 1000 : undefined);
        onResponse?.(status, body, inWindow);
      }
    }
    return w.result(windowUs / 1e6, errs.connect + errs.read + errs.write, errs.timeout, 'wrk', cores);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A template as autocannon's request of one connection: placeholders filled in setupRequest. */
function autocannonRequest(t: LoadRequest, isOpen: () => boolean): autocannon.Request {
  let n = 0;
  const pick = t.pick ?? {};
  const dynamic = t.path.includes('{{') || !!t.body?.includes('{{');
  const fill = (s: string, k: number) =>
    s.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      if (name === 'n') return String(k);
      const list = pick[name];
      if (!list) throw new Error(`no values to pick for {{${name}}}`);
      return list[Math.floor(Math.random() * list.length)];
    });
  const onResponse = t.onResponse;
  // autocannon merges its defaults with Object.assign: keys without a value must be absent, not undefined.
  const req: autocannon.Request = { method: t.method, path: t.path, headers: t.headers ?? {} };
  if (t.body !== undefined) req.body = t.body;
  if (dynamic) {
    req.setupRequest = (r) => {
      const k = n++;
      return t.body === undefined ? { ...r, path: fill(t.path, k) } : { ...r, path: fill(t.path, k), body: fill(t.body, k) };
    };
  }
  if (onResponse) req.onResponse = (status, body) => onResponse(status, body, isOpen());
  return req;
}

/** autocannon in this process (the fallback when wrk is missing): the window is followed live. */
async function loadWithAutocannon(opts: LoadOptions): Promise<LoadResult> {
  const warmupMs = Math.round((opts.warmupSeconds ?? 0) * 1000);
  let connection = 0;
  let open = false;
  const w = new Window(opts.samplePid);
  let openedAt = 0;
  const openWindow = () => {
    open = true;
    openedAt = Date.now();
    opts.onWindowStart?.();
    w.startSampling();
  };
  if (warmupMs === 0) openWindow();
  const opener = warmupMs === 0 ? undefined : setTimeout(openWindow, warmupMs);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  let r: autocannon.Result;
  let closedAt: number;
  try {
    const run = autocannon({
      url: opts.baseUrl,
      connections: opts.connections,
      duration: warmupMs / 1000 + opts.seconds,
      pipelining: 1,
      timeout: 10,
      setupClient: (client) => client.setRequests([autocannonRequest(opts.request(connection++), () => open)]),
    });
    (run as unknown as Emitter).on('response', (_client, status, _bytes, ms) => {
      if (!open) return;
      // Latency of requests sent inside the window only: one sent during the ramp-up may finish late.
      w.count(status, Date.now() - ms >= openedAt ? ms : undefined);
    });
    r = await run;
    closedAt = Date.now();
  } finally {
    clearTimeout(opener);
    w.stopSampling();
  }
  const used = process.cpuUsage(cpu0);
  const cores = (used.user + used.system) / 1000 / Math.max(1, closedAt - t0);
  return w.result((closedAt - openedAt) / 1000, r.errors, r.timeouts, 'autocannon', cores);
}

/** Several windows of the same load as one: counts and seconds summed, percentiles over all their requests. */
export function combine(rs: LoadResult[]): LoadResult {
  const latencies = rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const sum = (f: (r: LoadResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  const statusCodes: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  const seconds = sum((r) => r.seconds);
  const responses = sum((r) => r.responses);
  const peaks = rs.map((r) => r.peakRssMiB).filter((x): x is number => x !== undefined);
  const cores = rs.map((r) => r.generatorCores).filter((x): x is number => x !== undefined);
  return {
    responses,
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    seconds,
    rps: responses / seconds,
    p50: round(percentile(latencies, 0.5)),
    p99: round(percentile(latencies, 0.99)),
    max: round(latencies[latencies.length - 1] ?? NaN),
    statusCodes,
    peakRssMiB: peaks.length ? Math.max(...peaks) : undefined,
    latencies,
    generator: rs[0]?.generator ?? loadGenerator().generator,
    generatorCores: cores.length ? cores.reduce((a, b) => a + b, 0) / cores.length : undefined,
  };
}

/**
 * A figure and its baseline measured in alternating slices (a, b, a, b, …, `rounds` of each, each
 * slice `seconds / rounds` long after its own warm-up): on a machine shared with other work, both
 * meet the same changes of load, and their ratio means more than two windows one after the other.
 */
export async function alternating<A extends LoadResult, B extends LoadResult>(
  rounds: number,
  seconds: number,
  a: (seconds: number) => Promise<A>,
  b: (seconds: number) => Promise<B>,
): Promise<{ a: A[]; b: B[] }> {
  const both: { a: A[]; b: B[] } = { a: [], b: [] };
  const slice = Math.max(1, seconds / rounds);
  for (let i = 0; i < rounds; i++) {
    both.a.push(await a(slice));
    both.b.push(await b(slice));
  }
  return both;
}

export function describeLoad(r: LoadResult): string {
  const codes = Object.entries(r.statusCodes)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  const rss = r.peakRssMiB === undefined ? '' : `; server RSS up to ${r.peakRssMiB.toFixed(0)} MiB`;
  const generator = `${r.generator}${r.generatorCores === undefined ? '' : ` using ${r.generatorCores.toFixed(2)} core`}`;
  return `${r.responses} responses in ${r.seconds.toFixed(1)} s (${codes || 'none'}; whole run: errors ${r.errors}, timeouts ${r.timeouts}); latency p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms${rss}; load by ${generator}`;
}
