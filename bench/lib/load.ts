import autocannon from 'autocannon';
import { procMemory } from './child-server';

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
  /** Called when the window opens (e.g. to reset counters kept by `onResponse` of the requests). */
  onWindowStart?: () => void;
  /** The request of connection `i` (0-based): its own headers (e.g. a judge's token) and a fresh body per request. */
  request: (connection: number) => autocannon.Request;
  /** The server's pid, to sample its resident set during the window. */
  samplePid?: number;
}

type Emitter = { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void };

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] : NaN);

/**
 * `connections` keep-alive connections, one request in flight each, for warm-up + `seconds`:
 * 127.0.0.1 only, bounded in time. Each connection builds its own requests (setupClient +
 * setRequests), so that connection i stands for one client (one judge, one organizer's browser).
 * Throughput counts the responses completed inside the window; latency percentiles, the requests
 * sent inside it.
 */
export async function load(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.baseUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`load tests target this machine only, not ${url.hostname}`);
  if (!(opts.seconds > 0 && opts.seconds <= 120)) throw new Error('a load runs for 1 to 120 seconds');
  const warmupMs = Math.round((opts.warmupSeconds ?? 0) * 1000);
  let connection = 0;
  let peakRssMiB: number | undefined;
  let open = warmupMs === 0;
  const latencies: number[] = [];
  let completed = 0;
  const statusCodes: Record<string, number> = {};
  const sample = () => {
    const m = open && opts.samplePid ? procMemory(opts.samplePid) : undefined;
    if (m && (peakRssMiB === undefined || m.currentMiB > peakRssMiB)) peakRssMiB = m.currentMiB;
  };
  const sampler = opts.samplePid ? setInterval(sample, 200) : undefined;
  let openedAt = Date.now();
  if (open) opts.onWindowStart?.();
  const opener = open
    ? undefined
    : setTimeout(() => {
        open = true;
        openedAt = Date.now();
        opts.onWindowStart?.();
      }, warmupMs);
  let r: autocannon.Result;
  let closedAt: number;
  try {
    const run = autocannon({
      url: opts.baseUrl,
      connections: opts.connections,
      duration: (warmupMs / 1000) + opts.seconds,
      pipelining: 1,
      timeout: 10,
      setupClient: (client) => client.setRequests([opts.request(connection++)]),
    });
    (run as unknown as Emitter).on('response', (_client, status, _bytes, ms) => {
      if (!open) return;
      completed++;
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      // Latency of requests sent inside the window only: one sent during the ramp-up may finish late.
      if (Date.now() - ms >= openedAt) latencies.push(ms);
    });
    r = await run;
    closedAt = Date.now();
  } finally {
    sample();
    clearInterval(sampler);
    clearTimeout(opener);
  }
  latencies.sort((a, b) => a - b);
  const seconds = (closedAt - openedAt) / 1000;
  const ok = Object.entries(statusCodes).reduce((n, [k, v]) => (k.startsWith('2') ? n + v : n), 0);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    responses: completed,
    ok,
    non2xx: completed - ok,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds,
    rps: completed / seconds,
    p50: round(percentile(latencies, 0.5)),
    p99: round(percentile(latencies, 0.99)),
    max: round(latencies[latencies.length - 1] ?? NaN),
    statusCodes,
    peakRssMiB,
    latencies,
  };
}

/** Several windows of the same load as one: counts and seconds summed, percentiles over all their requests. */
export function combine(rs: LoadResult[]): LoadResult {
  const latencies = rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const sum = (f: (r: LoadResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  const statusCodes: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  const seconds = sum((r) => r.seconds);
  const responses = sum((r) => r.responses);
  const round = (x: number) => Math.round(x * 10) / 10;
  const peaks = rs.map((r) => r.peakRssMiB).filter((x): x is number => x !== undefined);
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
  const out: { a: A[]; b: B[] } = { a: [], b: [] };
  const slice = Math.max(1, seconds / rounds);
  for (let i = 0; i < rounds; i++) {
    out.a.push(await a(slice));
    out.b.push(await b(slice));
  }
  return out;
}

export function describeLoad(r: LoadResult): string {
  const codes = Object.entries(r.statusCodes)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  const rss = r.peakRssMiB === undefined ? '' : `; server RSS up to ${r.peakRssMiB.toFixed(0)} MiB`;
  return `${r.responses} responses in ${r.seconds.toFixed(1)} s (${codes || 'none'}; whole run: errors ${r.errors}, timeouts ${r.timeouts}); latency p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms${rss}`;
}
