import Database from 'better-sqlite3';
import { Api, competitionBody, distinctIdNumber, inGroups, twelveCriteria } from './lib/api';
import { ChildServer } from './lib/child-server';
import { diagnosed, profileDirFromEnv } from './lib/diagnostics';
import { alternating, combine, describeLoad, load, LoadRequest, LoadResult } from './lib/load';
import { fmt, out, since, target } from './lib/report';

const ENTRIES = 200;
const JUDGES = 64;
const JUDGES_REQUIRED = 3;
const WARMUP_SECONDS = 2;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Windows of each load, alternated (see lib/load.ts, alternating). */
const ROUNDS = 3;
/** Issue 4, item 10. */
const TARGET = { marksPerSecond: 2000, ofCeiling: 0.5, p99Ms: 50 };

interface Judge {
  id: string;
  token: string;
}

/** Through the HTTP API, as an organizer would: org tree, organizer, competition, 200 entries approved and drawn, 64 judges. */
async function setUp(api: Api) {
  const admin = await api.adminToken();
  const city = await api.createOrg(admin, { name: '衢州市总工会', level: 'city' });
  const county = await api.createOrg(admin, { name: '柯城区总工会', level: 'county', parentId: city.id });
  const enterprises = await inGroups(['国网衢州供电公司工会', '巨化集团工会', '衢州元立金属制品工会', '浙江开化合成材料工会'], 1, (name) =>
    api.createOrg(admin, { name, level: 'enterprise', parentId: county.id }),
  );
  const organizer = await api.createUser(admin, 'bench-organizer', ['organizer'], city.id);
  const scoring = twelveCriteria(JUDGES_REQUIRED, () => 'mean');
  const c = await api.call<{ id: string }>('POST', '/api/competitions', { token: organizer.token, body: competitionBody(city.id, '2026年衢州市电工职业技能竞赛（基准）', scoring) });
  await api.transition(organizer.token, c.id, 'enrolment_open');
  const enrolments = await inGroups(Array.from({ length: ENTRIES }, (_, i) => i), 8, (i) =>
    api.call<{ id: string }>('POST', `/api/competitions/${c.id}/enrolments`, {
      token: organizer.token,
      body: { worker: { name: `选手${i + 1}`, idNumber: distinctIdNumber(), phone: '13900001111', employerOrgId: enterprises[i % enterprises.length].id, trade: '电工', skillLevel: 3 } },
    }),
  );
  await inGroups(enrolments, 8, (e) => api.call('POST', `/api/enrolments/${e.id}/decision`, { token: organizer.token, body: { decision: 'approve' }, expect: 200 }));
  await api.transition(organizer.token, c.id, 'enrolment_closed');
  const draw = await api.call<{ entries: Array<{ enrolmentId: string; bib: number }> }>('POST', `/api/competitions/${c.id}/draw`, { token: organizer.token, body: { seed: 'bench' }, expect: 200 });
  await api.transition(organizer.token, c.id, 'in_progress');
  // City-union judges: above enterprise level and employing no contestant, so recused from nobody.
  const judges: Judge[] = await inGroups(Array.from({ length: JUDGES }, (_, i) => i), 4, (i) => api.createUser(admin, `bench-judge-${i + 1}`, ['judge'], city.id));
  for (const j of judges) await api.call('POST', `/api/competitions/${c.id}/judges`, { token: organizer.token, body: { userId: j.id } });
  const criteria = scoring.sections.flatMap((s) => s.criteria.map((k) => k.key));
  return { competitionId: c.id, entries: draw.entries.map((e) => e.enrolmentId), criteria, judges };
}

export async function marksBench(): Promise<void> {
  const profileDir = profileDirFromEnv();
  const server = await ChildServer.start();
  let mem: { peakMiB: number; currentMiB: number } | undefined;
  let peakDuringMarks: number | undefined;
  try {
    const api = new Api(server.baseUrl);
    const t0 = process.hrtime.bigint();
    const s = await setUp(api);
    out(`setup through the API: ${s.entries.length} entries approved and drawn, ${s.judges.length} judges assigned, ${s.criteria.length} criteria (mean, ${JUDGES_REQUIRED} judges required), in ${fmt(since(t0) / 1000, 1)} s (server pid ${server.pid}, SQLite ${server.config.database.sqlitePath}, checkpointed every ${server.config.database.checkpointIntervalMs} ms)`);

    // Counted in the answers completed inside a measured window.
    let accepted = 0;
    let rejected = 0;
    let acceptedInAll = 0;
    const reasons = new Map<string, number>();
    // One mark per PUT: a random entry, criterion and value, and a clientId of its own (load, connection, request).
    let loads = 0;
    const pick = { entry: s.entries, criterion: s.criteria, value: Array.from({ length: 1001 }, (_, i) => String(i / 100)) };
    const markBody = (load: number, conn: number) =>
      JSON.stringify({ marks: [{ enrolmentId: '{{entry}}', criterion: '{{criterion}}', value: '{{value}}', clientId: `c${load}-${conn}-{{n}}` }] }).replace('"{{value}}"', '{{value}}');
    const judgeRequest =
      (load: number) =>
      (conn: number): LoadRequest => ({
        method: 'PUT',
        path: `/api/judging/competitions/${s.competitionId}/marks`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.judges[conn % s.judges.length].token}` },
        body: markBody(load, conn),
        pick,
        onResponse: (status, body, inWindow) => {
          if (status !== 200) return;
          const r = JSON.parse(body) as { accepted: string[]; rejected: Array<{ reason: string }> };
          acceptedInAll += r.accepted.length;
          if (!inWindow) return;
          accepted += r.accepted.length;
          rejected += r.rejected.length;
          for (const x of r.rejected) reasons.set(x.reason, (reasons.get(x.reason) ?? 0) + 1);
        },
      });
    type Groups = { groups: number; requests: number; fallbacks: number };
    const groupCount = () => api.call<Groups>('GET', '/bench/judging/groups', { expect: 200 });
    /** One window of the judges' load: its marks accepted and rejected. */
    const marks = async (seconds: number, onWindowStart?: () => void): Promise<LoadResult & { accepted: number; rejected: number }> => {
      const before = { accepted, rejected };
      const r = await load({ baseUrl: server.baseUrl, connections: JUDGES, warmupSeconds: WARMUP_SECONDS, seconds, request: judgeRequest(++loads), samplePid: server.pid, onWindowStart });
      return { ...r, accepted: accepted - before.accepted, rejected: rejected - before.rejected };
    };
    // The ceiling gets a body of the same size, parsed by the same body parser, and no token.
    const ceilingRequest =
      (load: number) =>
      (conn: number): LoadRequest => ({ method: 'POST', path: '/bench/insert', headers: { 'content-type': 'application/json' }, body: markBody(load, conn), pick });
    const ceilingLoad = (seconds: number, onWindowStart?: () => void) =>
      load({ baseUrl: server.baseUrl, connections: JUDGES, warmupSeconds: WARMUP_SECONDS, seconds, request: ceilingRequest(++loads), samplePid: server.pid, onWindowStart });

    // Group commits over every marks load, warm-ups included (a snapshot asked for during a load would
    // queue behind it): what counts is how many requests a transaction carries.
    const g0 = await groupCount();
    let m: LoadResult & { accepted: number; rejected: number };
    let ceiling: LoadResult;
    if (profileDir) {
      // Profiles cover one window each: one after the other.
      m = await diagnosed(api, profileDir, 'marks', (r) => r.accepted, (onWindowStart?: () => void) => marks(SECONDS, onWindowStart));
      ceiling = await diagnosed(api, profileDir, 'ceiling', (r: LoadResult) => r.ok, (onWindowStart?: () => void) => ceilingLoad(SECONDS, onWindowStart));
    } else {
      const both = await alternating(ROUNDS, SECONDS, (x) => marks(x), (x) => ceilingLoad(x));
      m = { ...combine(both.a), accepted: both.a.reduce((n, r) => n + r.accepted, 0), rejected: both.a.reduce((n, r) => n + r.rejected, 0) };
      ceiling = combine(both.b);
    }

    const g1 = await groupCount();
    const groups = { groups: g1.groups - g0.groups, requests: g1.requests - g0.requests, fallbacks: g1.fallbacks - g0.fallbacks };
    const receipts = new Database(server.config.database.sqlitePath, { readonly: true, fileMustExist: true });
    const stored = (receipts.prepare('SELECT COUNT(*) AS n FROM mark_receipts').get() as { n: number }).n;
    receipts.close();

    peakDuringMarks = m.peakRssMiB;
    const marksPerSecond = m.accepted / m.seconds;
    const ratio = marksPerSecond / ceiling.rps;
    out(`marks: ${JUDGES} judges, one mark per PUT, ${SECONDS} s${profileDir ? '' : ` in ${ROUNDS} windows alternating with the ceiling's`}: ${describeLoad(m)}`);
    out(`  accepted ${m.accepted}, rejected ${m.rejected}${reasons.size ? ` (${[...reasons].map(([k, v]) => `${k}×${v}`).join(', ')})` : ''}; receipts stored by the server (warm-up included): ${stored}, accepted answers received in all: ${acceptedInAll}`);
    out(`  group commit (every marks load, warm-ups included): ${groups.requests} requests in ${groups.groups} transactions (${fmt(groups.requests / Math.max(1, groups.groups), 1)} requests per transaction), ${groups.fallbacks} groups retried request by request`);
    out(`ceiling: POST /bench/insert (one insert through Db.run), same ${JUDGES} connections: ${describeLoad(ceiling)}`);
    out(`marks/s: ${fmt(marksPerSecond)} ${target(marksPerSecond, '>=', TARGET.marksPerSecond)}`);
    out(`p99: ${fmt(m.p99)} ms ${target(m.p99, '<=', TARGET.p99Ms, ' ms')}`);
    out(`ceiling req/s: ${fmt(ceiling.rps)} (p99 ${fmt(ceiling.p99)} ms)`);
    out(`ratio marks/ceiling: ${fmt(ratio, 3)} ${target(ratio, '>=', TARGET.ofCeiling)}`);
  } finally {
    mem = await server.stop();
  }
  out(`API peak RSS (VmHWM of the server process, its whole life): ${mem ? `${fmt(mem.peakMiB)} MiB (current at the end ${fmt(mem.currentMiB)} MiB)` : 'unknown (the server had exited)'}${peakDuringMarks !== undefined ? `; highest RSS sampled during the marks load: ${fmt(peakDuringMarks)} MiB` : ''}`);
  out('  (the whole-life peak includes the setup: argon2id hashes of 65 passwords, 64 MiB each, 4 at a time)');
}
