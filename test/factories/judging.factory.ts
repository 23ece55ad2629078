import { bearer, TestApp } from '../utils/create-test-app';
import { createOrganization, createOrgTree, createUser } from './identity.factory';
import { competitionBody, newWorker, transition } from './competition.factory';

/** Runs `fn` over `items`, `size` at a time (each group concurrently, groups one after another). */
export async function inGroups<T, R>(items: T[], size: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(...(await Promise.all(items.slice(i, i + size).map((item, j) => fn(item, i + j)))));
  }
  return out;
}

export type OrgTree = Awaited<ReturnType<typeof createOrgTree>> & { team: { id: string; name: string } };

/** The usual tree plus a team (班组) under the enterprise: 衢州市总工会 → 柯城区总工会 → 国网衢州供电公司工会 → 变电运维一班. */
export async function createJudgingOrgTree(t: TestApp): Promise<OrgTree> {
  const orgs = await createOrgTree(t);
  const team = await createOrganization(t, await t.adminToken(), { name: '变电运维一班', level: 'team', parentId: orgs.enterprise.id });
  return { ...orgs, team };
}

export type TestUser = Awaited<ReturnType<typeof createUser>>;

/** `n` judge users of one organization, created concurrently. */
export async function createJudges(t: TestApp, organizationId: string, n: number, displayName = '裁判员'): Promise<TestUser[]> {
  const admin = await t.adminToken();
  return Promise.all(Array.from({ length: n }, (_, i) => createUser(t, admin, { roles: ['judge'], organizationId, displayName: `${displayName}${i + 1}` })));
}

export interface Contestant {
  enrolmentId: string;
  bib: number;
  station: string;
  workerId: string;
  employerOrgId: string;
  name: string;
  idNumber: string;
  phone: string;
}

export interface StartedCompetition {
  id: string;
  /** by bib, ascending */
  entries: Contestant[];
}

export interface StartOptions {
  /** one employer per contestant, cycled */
  employers: string[];
  /** how many contestants (default: one per employer) */
  contestants?: number;
  /** overrides of the competition body (quotas are off unless given) */
  over?: Record<string, unknown>;
  /** the state to leave it in (default in_progress) */
  until?: 'enrolment_closed' | 'in_progress';
  /** concurrent requests while enrolling and approving */
  groupSize?: number;
  /** worker fields for contestant i */
  worker?: (i: number) => Record<string, unknown>;
}

/**
 * An organizer's competition with approved contestants and drawn bibs, started unless told otherwise.
 * Entries are enrolled (`{worker:{…}}`) and approved in small concurrent groups: sequentially, a
 * 200-entry field takes too long for a test.
 */
export async function startCompetition(t: TestApp, organizerToken: string, organizationId: string, opts: StartOptions): Promise<StartedCompetition> {
  const n = opts.contestants ?? opts.employers.length;
  const size = opts.groupSize ?? 10;
  const created = await t.http().post('/api/competitions').set(bearer(organizerToken)).send(competitionBody(organizationId, { enrolmentRules: {}, ...opts.over }));
  if (created.status !== 201) throw new Error(`create competition failed: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  await must(transition(t, organizerToken, id, 'enrolment_open'), 'enrolment_open');
  const workers = Array.from({ length: n }, (_, i) => newWorker(opts.employers[i % opts.employers.length], { name: `选手${i + 1}号`, phone: `139${String(10_000_000 + i).slice(-8)}`, ...opts.worker?.(i) }));
  const enrolled = await inGroups(workers, size, async (w) => {
    const res = await t.http().post(`/api/competitions/${id}/enrolments`).set(bearer(organizerToken)).send({ worker: w });
    if (res.status !== 201) throw new Error(`enrolment failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  });
  await inGroups(enrolled, size, async (e) => {
    const res = await t.http().post(`/api/enrolments/${e}/decision`).set(bearer(organizerToken)).send({ decision: 'approve' });
    if (res.status !== 200) throw new Error(`approve failed: ${res.status} ${JSON.stringify(res.body)}`);
  });
  await must(transition(t, organizerToken, id, 'enrolment_closed'), 'enrolment_closed');
  const draw = await t.http().post(`/api/competitions/${id}/draw`).set(bearer(organizerToken)).send({ seed: 'judging' });
  if (draw.status !== 200) throw new Error(`draw failed: ${draw.status} ${JSON.stringify(draw.body)}`);
  if ((opts.until ?? 'in_progress') === 'in_progress') await must(transition(t, organizerToken, id, 'in_progress'), 'in_progress');
  const workerOf = await workersOf(t, organizerToken, id);
  const entries = (draw.body.entries as Array<{ enrolmentId: string; bib: number; station: string }>).map((e) => {
    const w = workerOf.get(e.enrolmentId)!;
    const sent = workers[enrolled.indexOf(e.enrolmentId)];
    return { ...e, workerId: w.id, employerOrgId: w.employerOrgId, name: sent.name as string, idNumber: sent.idNumber as string, phone: sent.phone as string };
  });
  return { id, entries: entries.sort((a, b) => a.bib - b.bib) };
}

/** The worker of every entry, from the organizer's list (200 a page). */
async function workersOf(t: TestApp, token: string, competitionId: string): Promise<Map<string, { id: string; employerOrgId: string }>> {
  const out = new Map<string, { id: string; employerOrgId: string }>();
  for (let offset = 0; ; offset += 200) {
    const res = await t.http().get(`/api/competitions/${competitionId}/enrolments?limit=200&offset=${offset}`).set(bearer(token));
    if (res.status !== 200) throw new Error(`list enrolments failed: ${res.status} ${JSON.stringify(res.body)}`);
    for (const e of res.body.items) out.set(e.id, { id: e.worker.id, employerOrgId: e.worker.employerOrgId });
    if (offset + 200 >= res.body.total) return out;
  }
}

async function must(res: PromiseLike<{ status: number; body: unknown }>, what: string): Promise<void> {
  const r = await res;
  if (r.status !== 200) throw new Error(`transition to ${what} failed: ${r.status} ${JSON.stringify(r.body)}`);
}

export function assignJudge(t: TestApp, organizerToken: string, competitionId: string, body: { userId: string; criteria?: string[]; chief?: boolean }) {
  return t.http().post(`/api/competitions/${competitionId}/judges`).set(bearer(organizerToken)).send(body);
}

/** Assigns judges concurrently; throws on anything but 201. */
export async function assignJudges(t: TestApp, organizerToken: string, competitionId: string, panel: Array<{ userId: string; criteria?: string[]; chief?: boolean }>): Promise<void> {
  await Promise.all(
    panel.map(async (p) => {
      const res = await assignJudge(t, organizerToken, competitionId, p);
      if (res.status !== 201) throw new Error(`assign judge failed: ${res.status} ${JSON.stringify(res.body)}`);
    }),
  );
}

export interface MarkInput {
  enrolmentId?: string;
  bib?: number;
  criterion: string;
  value: number;
  clientId: string;
  reason?: string;
  judgeId?: string;
}

export function submitMarks(t: TestApp, judgeToken: string, competitionId: string, marks: MarkInput[]) {
  return t.http().put(`/api/judging/competitions/${competitionId}/marks`).set(bearer(judgeToken)).send({ marks });
}

let clientSeq = 0;
/** A clientId no other call in this process returns, as a tablet would generate. */
export const newClientId = (prefix = 'm') => `${prefix}-${Date.now().toString(36)}-${(clientSeq++).toString(36)}`;

export function sheet(t: TestApp, judgeToken: string, competitionId: string) {
  return t.http().get(`/api/judging/competitions/${competitionId}/sheet`).set(bearer(judgeToken));
}
