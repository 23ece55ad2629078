import * as http from 'node:http';
import { bearer, TestApp } from '../utils/create-test-app';
import { decide, enrolNewWorker, openCompetition, transition } from './competition.factory';
import { createUser } from './identity.factory';

export interface Judge {
  id: string;
  token: string;
  displayName: string;
}

export interface ContestEntry {
  enrolmentId: string;
  bib: number;
  name: string;
}

export interface Contest {
  id: string;
  /** judges[0] is the chief judge */
  judges: Judge[];
  /** in bib order */
  entries: ContestEntry[];
  scoring: { sections: Array<{ key: string; weight: number; criteria: Array<{ key: string; maxScore: number; judgesRequired: number; aggregation: string }> }> };
  tieBreakers: Array<{ by: string; key?: string; order: string }>;
}

/**
 * A competition of the API.md scheme (exam: 1 judge; wiring: 5, trimmed mean; safety: 3, mean) in
 * `in_progress`, one entry per name (workers employed by `employerOrgId`, bibs drawn with a fixed seed)
 * and a panel of `judges` judges from `judgeOrgId` (the first is chief). Judges from a union body
 * above enterprise level are never recused.
 */
export async function contestInProgress(
  t: TestApp,
  organizerToken: string,
  opts: { organizationId: string; employerOrgId: string; judgeOrgId: string; names: string[]; judges?: number; over?: Record<string, unknown> },
): Promise<Contest> {
  const admin = await t.adminToken();
  const c = await openCompetition(t, organizerToken, opts.organizationId, { enrolmentRules: {}, ...opts.over });
  const ids: string[] = [];
  for (const name of opts.names) {
    const res = await enrolNewWorker(t, organizerToken, c.id, opts.employerOrgId, { name });
    if (res.status !== 201) throw new Error(`enrolment failed: ${res.status} ${JSON.stringify(res.body)}`);
    ids.push(res.body.id);
  }
  for (const id of ids) {
    const res = await decide(t, organizerToken, id, 'approve');
    if (res.status !== 200) throw new Error(`approve failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  await must(transition(t, organizerToken, c.id, 'enrolment_closed'), 'close enrolment');
  const draw = await must(t.http().post(`/api/competitions/${c.id}/draw`).set(bearer(organizerToken)).send({ seed: 'ranking' }), 'draw');
  await must(transition(t, organizerToken, c.id, 'in_progress'), 'start');
  const judges: Judge[] = [];
  for (let i = 0; i < (opts.judges ?? 5); i++) {
    const displayName = `裁判${String.fromCharCode(0x7532 + i)}`; // 裁判甲, 裁判申, … distinct names
    const j = await createUser(t, admin, { roles: ['judge'], organizationId: opts.judgeOrgId, displayName });
    await must(t.http().post(`/api/competitions/${c.id}/judges`).set(bearer(organizerToken)).send({ userId: j.id, chief: i === 0 }), 'assign judge');
    judges.push({ id: j.id, token: j.token, displayName });
  }
  const nameOf = new Map(ids.map((id, i) => [id, opts.names[i]]));
  const entries = (draw.entries as Array<{ enrolmentId: string; bib: number }>)
    .map((e) => ({ enrolmentId: e.enrolmentId, bib: e.bib, name: nameOf.get(e.enrolmentId)! }))
    .sort((a, b) => a.bib - b.bib);
  return { id: c.id, judges, entries, scoring: c.scoring as Contest['scoring'], tieBreakers: c.tieBreakers as Contest['tieBreakers'] };
}

async function must(req: PromiseLike<{ status: number; body: any }>, what: string) {
  const res = await req;
  if (res.status < 200 || res.status > 299) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface Mark {
  enrolmentId: string;
  criterion: string;
  value: number;
  clientId?: string;
}

let clientSeq = 0;
export const nextClientId = () => `rk${Date.now().toString(36)}${(clientSeq++).toString(36)}`;

/** One batch from a judge's tablet; throws unless every mark is accepted. */
export async function submitMarks(t: TestApp, token: string, competitionId: string, marks: Mark[]) {
  const body = { marks: marks.map((m) => ({ ...m, clientId: m.clientId ?? nextClientId() })) };
  const res = await t.http().put(`/api/judging/competitions/${competitionId}/marks`).set(bearer(token)).send(body);
  if (res.status !== 200 || res.body.rejected.length) throw new Error(`marks not accepted: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { accepted: string[]; rejected: [] };
}

/**
 * Every mark an entry needs from the panel of `contestInProgress`: exam from the chief, wiring from all
 * five, safety from the first three. `wiring` is given per judge.
 */
export async function scoreEntryFully(t: TestApp, contest: Contest, enrolmentId: string, v: { exam: number; wiring: number[]; safety: number }) {
  for (const [i, j] of contest.judges.slice(0, 5).entries()) {
    const marks: Mark[] = [{ enrolmentId, criterion: 'wiring', value: v.wiring[i] }];
    if (i === 0) marks.push({ enrolmentId, criterion: 'exam', value: v.exam });
    if (i < 3) marks.push({ enrolmentId, criterion: 'safety', value: v.safety });
    await submitMarks(t, j.token, contest.id, marks);
  }
}

/** A seeded PRNG (mulberry32): the same seed gives the same sequence of operations. */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}

export interface EventStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** the JSON of every `data:` field received so far */
  events: Array<Record<string, any>>;
  comments: string[];
  /** the body of a response that is not an event stream (an error) */
  body: string;
  /** Resolves with the first event received (or already there) that `pred` accepts. */
  waitFor(pred: (e: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  close(): void;
}

/** Opens a Server-Sent Events stream with a plain http.get and parses it as an EventSource would. */
export function openEventStream(baseUrl: string, path: string, token?: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}${path}`, { headers: { Accept: 'text/event-stream', ...(token ? bearer(token) : {}) } }, (res) => {
      res.setEncoding('utf8');
      const waiters = new Set<() => void>();
      let buffer = '';
      const stream: EventStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        comments: [],
        body: '',
        waitFor(pred, timeoutMs = 5000) {
          return new Promise((ok, fail) => {
            const check = () => {
              const hit = stream.events.find(pred);
              if (!hit) return false;
              clearTimeout(timer);
              waiters.delete(check as () => void);
              ok(hit);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.delete(check as () => void);
              fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(stream.events)}`));
            }, timeoutMs);
            if (!check()) waiters.add(check as () => void);
          });
        },
        close: () => req.destroy(),
      };
      res.on('data', (chunk: string) => {
        if (stream.status !== 200) {
          stream.body += chunk;
          return;
        }
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            else if (line.startsWith(':')) stream.comments.push(line.slice(1).trim());
          }
          if (data.length) stream.events.push(JSON.parse(data.join('\n')) as Record<string, any>);
        }
        for (const w of [...waiters]) w();
      });
      res.on('error', () => undefined);
      if (stream.status !== 200) res.on('end', () => resolve(stream));
      else resolve(stream);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET') reject(e);
    });
  });
}

/** Polls until `fn` returns true (e.g. the server noticed a client went away). */
export async function eventually(fn: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
