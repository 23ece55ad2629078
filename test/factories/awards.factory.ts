import { bearer, TestApp } from '../utils/create-test-app';
import { decide, enrolNewWorker, openCompetition, registeredWorker, transition } from './competition.factory';
import { createUser } from './identity.factory';
import { submitMarks } from './ranking.factory';

/** The marks of one entry under the API.md scheme: exam (1 judge), wiring (5, trimmed mean), safety (3, mean). */
export interface EntryMarks {
  exam: number;
  wiring: number;
  safety: number;
}

/** total = 0.3 × exam + 0.7 × (wiring + safety) ÷ 50 × 100, in points. */
export const totalOf = (m: EntryMarks) => Math.round((0.3 * m.exam + 0.7 * ((m.wiring + m.safety) / 50) * 100) * 100) / 100;

export interface AwardEntrySpec {
  name: string;
  marks: EntryMarks;
  /** A self-registered worker (a login of its own, for GET /api/workers/me/honours), enrolled by the organizer. */
  registered?: boolean;
}

export interface AwardContestEntry {
  enrolmentId: string;
  workerId: string;
  name: string;
  bib: number;
  /** Only for registered workers. */
  token?: string;
}

export interface AwardContest {
  id: string;
  entries: AwardContestEntry[];
  byName: (name: string) => AwardContestEntry;
  chiefToken: string;
}

async function must(req: PromiseLike<{ status: number; body: any }>, what: string) {
  const res = await req;
  if (res.status < 200 || res.status > 299) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A competition of the API.md scheme owned by `organizationId`, its entries fully marked by a panel of
 * five judges from `judgeOrgId` (the first chief), scores locked by the chief judge and results
 * published by the organizer: ready to be finalized. Every entry's workers are employed by `employerOrgId`.
 */
export async function publishedContest(
  t: TestApp,
  organizerToken: string,
  opts: { organizationId: string; employerOrgId: string; judgeOrgId: string; entries: AwardEntrySpec[]; over?: Record<string, unknown> },
): Promise<AwardContest> {
  const admin = await t.adminToken();
  const c = await openCompetition(t, organizerToken, opts.organizationId, { enrolmentRules: {}, ...opts.over });
  const enrolled: Array<Omit<AwardContestEntry, 'bib'>> = [];
  for (const spec of opts.entries) {
    if (spec.registered) {
      const w = await registeredWorker(t, opts.employerOrgId, { name: spec.name });
      const body = await must(t.http().post(`/api/competitions/${c.id}/enrolments`).set(bearer(organizerToken)).send({ workerId: w.workerId }), 'enrol registered worker');
      enrolled.push({ enrolmentId: body.id, workerId: w.workerId, name: spec.name, token: w.token });
    } else {
      const res = await enrolNewWorker(t, organizerToken, c.id, opts.employerOrgId, { name: spec.name });
      if (res.status !== 201) throw new Error(`enrolment failed: ${res.status} ${JSON.stringify(res.body)}`);
      enrolled.push({ enrolmentId: res.body.id, workerId: '', name: spec.name });
    }
  }
  for (const e of enrolled) await must(decide(t, organizerToken, e.enrolmentId, 'approve'), 'approve');
  await must(transition(t, organizerToken, c.id, 'enrolment_closed'), 'close enrolment');
  const draw = await must(t.http().post(`/api/competitions/${c.id}/draw`).set(bearer(organizerToken)).send({ seed: 'awards' }), 'draw');
  await must(transition(t, organizerToken, c.id, 'in_progress'), 'start');
  const judges: string[] = [];
  for (let i = 0; i < 5; i++) {
    const j = await createUser(t, admin, { roles: ['judge'], organizationId: opts.judgeOrgId, displayName: `裁判${i + 1}` });
    await must(t.http().post(`/api/competitions/${c.id}/judges`).set(bearer(organizerToken)).send({ userId: j.id, chief: i === 0 }), 'assign judge');
    judges.push(j.token);
  }
  const list = await must(t.http().get(`/api/competitions/${c.id}/enrolments?limit=200`).set(bearer(organizerToken)), 'list enrolments');
  const workerOf = new Map<string, string>(list.items.map((e: { id: string; worker: { id: string } }) => [e.id, e.worker.id]));
  const bibOf = new Map<string, number>((draw.entries as Array<{ enrolmentId: string; bib: number }>).map((e) => [e.enrolmentId, e.bib]));
  const entries = enrolled.map((e) => ({ ...e, workerId: workerOf.get(e.enrolmentId)!, bib: bibOf.get(e.enrolmentId)! }));
  for (const [i, spec] of opts.entries.entries()) {
    const enrolmentId = entries[i].enrolmentId;
    for (const [k, token] of judges.entries()) {
      const marks = [{ enrolmentId, criterion: 'wiring', value: spec.marks.wiring }];
      if (k === 0) marks.push({ enrolmentId, criterion: 'exam', value: spec.marks.exam });
      if (k < 3) marks.push({ enrolmentId, criterion: 'safety', value: spec.marks.safety });
      await submitMarks(t, token, c.id, marks);
    }
  }
  await must(transition(t, judges[0], c.id, 'scores_locked'), 'lock scores');
  await must(transition(t, organizerToken, c.id, 'published'), 'publish');
  return {
    id: c.id,
    entries,
    byName: (name) => {
      const e = entries.find((x) => x.name === name);
      if (!e) throw new Error(`no entry named ${name}`);
      return e;
    },
    chiefToken: judges[0],
  };
}

/** An admin finalizes before the notice period is over (`force`); the raw response. */
export function finalize(t: TestApp, adminToken: string, competitionId: string) {
  return t.http().post(`/api/competitions/${competitionId}/transitions`).set(bearer(adminToken)).send({ to: 'finalized', force: true });
}

export function listAwards(t: TestApp, competitionId: string, token?: string, query = '') {
  const req = t.http().get(`/api/competitions/${competitionId}/awards${query}`);
  return token ? req.set(bearer(token)) : req;
}

export function decideAward(t: TestApp, token: string, awardId: string, decision: 'approve' | 'decline', reason?: string) {
  return t.http().post(`/api/awards/${awardId}/decision`).set(bearer(token)).send(reason === undefined ? { decision } : { decision, reason });
}

export function revokeAward(t: TestApp, token: string, awardId: string, reason: string) {
  return t.http().post(`/api/awards/${awardId}/revoke`).set(bearer(token)).send({ reason });
}

export function honours(t: TestApp, token: string) {
  return t.http().get('/api/workers/me/honours').set(bearer(token));
}
