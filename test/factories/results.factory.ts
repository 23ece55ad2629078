import { bearer, TestApp } from '../utils/create-test-app';
import { createCompetition, newWorker, transition } from './competition.factory';
import { createUser } from './identity.factory';

/** Two sections of one criterion each, one judge (the chief) marks everything: total = exam × 0.3 + wiring × 0.7. */
export const SMALL_SCHEME = {
  sections: [
    { key: 'theory', name: '理论知识', weight: 30, criteria: [{ key: 'exam', name: '笔试', maxScore: 100, type: 'measurement', judgesRequired: 1, aggregation: 'single' }] },
    { key: 'practical', name: '技能操作', weight: 70, criteria: [{ key: 'wiring', name: '线路安装', maxScore: 100, type: 'judgement', judgesRequired: 1, aggregation: 'single' }] },
  ],
};

export interface ResultsContestant {
  /** the worker's name (a new worker is created for it unless `workerId` is given) */
  name: string;
  /** an existing worker (e.g. a registered worker user) to enrol instead */
  workerId?: string;
  exam: number;
  wiring: number;
}

export interface LockedEntry {
  enrolmentId: string;
  bib: number;
  name: string;
  workerId: string;
}

export interface LockedContest {
  id: string;
  title: string;
  chief: { id: string; token: string };
  /** in the order the contestants were given */
  entries: LockedEntry[];
}

let clientSeq = 0;
export const resultsClientId = () => `rs${Date.now().toString(36)}${(clientSeq++).toString(36)}`;

async function ok<T = any>(req: PromiseLike<{ status: number; body: any }>, what: string): Promise<T> {
  const res = await req;
  if (res.status < 200 || res.status > 299) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/**
 * A competition of SMALL_SCHEME in `scores_locked`: the contestants enrolled (new workers employed by
 * `employerOrgId`, or the given existing workers) and approved, bibs drawn, one chief judge from
 * `judgeOrgId` who marks every entry, scores locked by the chief.
 */
export async function lockedContest(
  t: TestApp,
  organizerToken: string,
  opts: { organizationId: string; employerOrgId: string; judgeOrgId: string; contestants: ResultsContestant[]; over?: Record<string, unknown> },
): Promise<LockedContest> {
  const c = await createCompetition(t, organizerToken, opts.organizationId, { enrolmentRules: {}, scoring: SMALL_SCHEME, tieBreakers: [{ by: 'section', key: 'practical', order: 'desc' }], ...opts.over });
  await ok(transition(t, organizerToken, c.id, 'enrolment_open'), 'open enrolment');
  const ids: string[] = [];
  for (const p of opts.contestants) {
    const body = p.workerId ? { workerId: p.workerId } : { worker: newWorker(opts.employerOrgId, { name: p.name }) };
    const e = await ok(t.http().post(`/api/competitions/${c.id}/enrolments`).set(bearer(organizerToken)).send(body), 'enrol');
    ids.push(e.id);
  }
  for (const id of ids) await ok(t.http().post(`/api/enrolments/${id}/decision`).set(bearer(organizerToken)).send({ decision: 'approve' }), 'approve');
  await ok(transition(t, organizerToken, c.id, 'enrolment_closed'), 'close enrolment');
  const draw = await ok(t.http().post(`/api/competitions/${c.id}/draw`).set(bearer(organizerToken)).send({ seed: 'results' }), 'draw');
  await ok(transition(t, organizerToken, c.id, 'in_progress'), 'start');
  const chief = await createUser(t, await t.adminToken(), { roles: ['judge'], organizationId: opts.judgeOrgId, displayName: '裁判长' });
  await ok(t.http().post(`/api/competitions/${c.id}/judges`).set(bearer(organizerToken)).send({ userId: chief.id, chief: true }), 'assign chief judge');
  const marks = opts.contestants.flatMap((p, i) => [
    { enrolmentId: ids[i], criterion: 'exam', value: p.exam, clientId: resultsClientId() },
    { enrolmentId: ids[i], criterion: 'wiring', value: p.wiring, clientId: resultsClientId() },
  ]);
  const marked = await ok(t.http().put(`/api/judging/competitions/${c.id}/marks`).set(bearer(chief.token)).send({ marks }), 'marks');
  if (marked.rejected.length) throw new Error(`marks rejected: ${JSON.stringify(marked.rejected)}`);
  await ok(transition(t, chief.token, c.id, 'scores_locked'), 'lock scores');
  const bibOf = new Map((draw.entries as Array<{ enrolmentId: string; bib: number }>).map((e) => [e.enrolmentId, e.bib]));
  const list = await ok(t.http().get(`/api/competitions/${c.id}/enrolments?limit=200`).set(bearer(organizerToken)), 'list enrolments');
  const workerOf = new Map((list.items as Array<{ id: string; worker: { id: string } }>).map((e) => [e.id, e.worker.id]));
  return {
    id: c.id,
    title: c.title,
    chief: { id: chief.id, token: chief.token },
    entries: ids.map((id, i) => ({ enrolmentId: id, bib: bibOf.get(id)!, name: opts.contestants[i].name, workerId: workerOf.get(id)! })),
  };
}

/** The chief judge changes one mark after the lock (a reason is required then). */
export function chiefMark(t: TestApp, contest: LockedContest, enrolmentId: string, criterion: string, value: number, reason?: string) {
  const mark: Record<string, unknown> = { enrolmentId, criterion, value, clientId: resultsClientId() };
  if (reason !== undefined) mark.reason = reason;
  return t.http().put(`/api/judging/competitions/${contest.id}/marks`).set(bearer(contest.chief.token)).send({ marks: [mark] });
}

export function fileAppeal(t: TestApp, token: string | undefined, enrolmentId: string, body: Record<string, unknown> = { reason: '线路安装项评分与现场记录不符，申请复核' }) {
  const req = t.http().post(`/api/enrolments/${enrolmentId}/appeals`).send(body);
  return token ? req.set(bearer(token)) : req;
}

export function decideAppeal(t: TestApp, token: string, appealId: string, decision: 'upheld' | 'dismissed', resolution = '经裁判组复核') {
  return t.http().post(`/api/appeals/${appealId}/decision`).set(bearer(token)).send({ decision, resolution });
}

export function myResults(t: TestApp, token: string) {
  return t.http().get('/api/workers/me/results').set(bearer(token));
}

export function finalize(t: TestApp, token: string, competitionId: string, force?: boolean) {
  return t.http().post(`/api/competitions/${competitionId}/transitions`).set(bearer(token)).send(force === undefined ? { to: 'finalized' } : { to: 'finalized', force });
}
