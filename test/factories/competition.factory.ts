import { randomInt } from 'node:crypto';
import { computeCheckDigit } from '../../src/modules/identity/domain/id-number';
import { bearer, TestApp } from '../utils/create-test-app';
import { uniqueUsername } from './identity.factory';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

/** A schedule around now: self-service enrolment open since an hour ago, the contest a week on. */
export function scheduleAroundNow(now = Date.now()) {
  return {
    enrolmentOpensAt: iso(now - HOUR),
    enrolmentClosesAt: iso(now + 7 * DAY),
    startsAt: iso(now + 8 * DAY),
    endsAt: iso(now + 9 * DAY),
  };
}

/** The same schedule shifted so that self-service enrolment opens tomorrow. */
export function scheduleOpeningTomorrow(now = Date.now()) {
  return {
    enrolmentOpensAt: iso(now + DAY),
    enrolmentClosesAt: iso(now + 7 * DAY),
    startsAt: iso(now + 8 * DAY),
    endsAt: iso(now + 9 * DAY),
  };
}

/** The create body of API.md (衢州市电工职业技能竞赛), owned by `organizationId`, with a schedule around now. */
export function competitionBody(organizationId: string, over: Record<string, unknown> = {}) {
  return {
    title: '2026年衢州市电工职业技能竞赛',
    kind: 'skills',
    level: 'city',
    trade: '电工',
    organizationId,
    contestantType: 'individual',
    schedule: scheduleAroundNow(),
    enrolmentRules: { minAge: 18, maxAge: 55, minSkillLevel: 4, quotaPerOrganization: 3 },
    scoring: {
      sections: [
        {
          key: 'theory',
          name: '理论知识',
          weight: 30,
          criteria: [{ key: 'exam', name: '笔试', maxScore: 100, type: 'measurement', judgesRequired: 1, aggregation: 'single' }],
        },
        {
          key: 'practical',
          name: '技能操作',
          weight: 70,
          criteria: [
            { key: 'wiring', name: '线路安装', maxScore: 40, type: 'judgement', judgesRequired: 5, aggregation: 'trimmed_mean' },
            { key: 'safety', name: '安全文明生产', maxScore: 10, type: 'judgement', judgesRequired: 3, aggregation: 'mean' },
          ],
        },
      ],
    },
    tieBreakers: [
      { by: 'section', key: 'practical', order: 'desc' },
      { by: 'timeUsed', order: 'asc' },
    ],
    awardRules: [
      { fromRank: 1, toRank: 1, award: 'may_day_medal' },
      { fromRank: 1, toRank: 3, award: 'technical_expert', minTotal: 60 },
    ],
    publicityDays: 5,
    medalPolicy: 'direct',
    ...over,
  };
}

export type CompetitionView = { id: string; title: string; status: string; version: number; organizationId: string; schedule: Record<string, string>; [k: string]: unknown };

export async function createCompetition(t: TestApp, token: string, organizationId: string, over: Record<string, unknown> = {}): Promise<CompetitionView> {
  const res = await t.http().post('/api/competitions').set(bearer(token)).send(competitionBody(organizationId, over));
  if (res.status !== 201) throw new Error(`create competition failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export function transition(t: TestApp, token: string, competitionId: string, to: string) {
  return t.http().post(`/api/competitions/${competitionId}/transitions`).set(bearer(token)).send({ to });
}

async function mustTransition(t: TestApp, token: string, competitionId: string, to: string): Promise<CompetitionView> {
  const res = await transition(t, token, competitionId, to);
  if (res.status !== 200) throw new Error(`transition to ${to} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Creates a competition (API.md body, overridable) and opens enrolment. */
export async function openCompetition(t: TestApp, token: string, organizationId: string, over: Record<string, unknown> = {}): Promise<CompetitionView> {
  const c = await createCompetition(t, token, organizationId, over);
  return mustTransition(t, token, c.id, 'enrolment_open');
}

let born = 0;

/**
 * A valid resident ID number no other call in this test process returns: each call takes the next
 * birth date from 1986-01-01 on (so the holder is of working age), with a random sequence.
 * Give `birth` (YYYYMMDD) for a particular age; the sequence keeps it apart from the others.
 */
export function uniqueIdNumber(birth?: string): string {
  const ymd = birth ?? new Date(Date.UTC(1986, 0, 1) + born++ * DAY).toISOString().slice(0, 10).replace(/-/g, '');
  const seq = birth ? String(born++ % 1000).padStart(3, '0') : String(randomInt(0, 1000)).padStart(3, '0');
  const first17 = `330802${ymd}${seq}`;
  return first17 + computeCheckDigit(first17);
}

/** A new worker, eligible for the API.md competition: electrician, skill level 3, of working age. */
export function newWorker(employerOrgId: string, over: Record<string, unknown> = {}) {
  return { name: '李建国', idNumber: uniqueIdNumber(), phone: '13900001111', employerOrgId, trade: '电工', skillLevel: 3, ...over };
}

/** An organizer enrols a new worker (`{worker:{…}}`); the raw response. */
export function enrolNewWorker(t: TestApp, token: string, competitionId: string, employerOrgId: string, over: Record<string, unknown> = {}) {
  return t.http().post(`/api/competitions/${competitionId}/enrolments`).set(bearer(token)).send({ worker: newWorker(employerOrgId, over) });
}

/** Enrols new workers one after another and returns the entry ids; throws on anything but 201. */
export async function enrolNewWorkers(t: TestApp, token: string, competitionId: string, employerOrgId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await enrolNewWorker(t, token, competitionId, employerOrgId, { name: `选手${i + 1}` });
    if (res.status !== 201) throw new Error(`enrolment failed: ${res.status} ${JSON.stringify(res.body)}`);
    ids.push(res.body.id);
  }
  return ids;
}

export function decide(t: TestApp, token: string, enrolmentId: string, decision: 'approve' | 'reject', reason?: string) {
  return t.http().post(`/api/enrolments/${enrolmentId}/decision`).set(bearer(token)).send(reason === undefined ? { decision } : { decision, reason });
}

/** Approves the entries, closes enrolment and draws bibs (optionally with a seed); returns the draw. */
export async function readyToStart(t: TestApp, token: string, competitionId: string, enrolmentIds: string[], seed?: string) {
  for (const id of enrolmentIds) {
    const res = await decide(t, token, id, 'approve');
    if (res.status !== 200) throw new Error(`approve failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  await mustTransition(t, token, competitionId, 'enrolment_closed');
  const res = await t.http().post(`/api/competitions/${competitionId}/draw`).set(bearer(token)).send(seed === undefined ? {} : { seed });
  if (res.status !== 200) throw new Error(`draw failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { seed: string; drawnAt: string; entries: Array<{ enrolmentId: string; bib: number; station: string }> };
}

/** A worker who registered itself (a login user with a worker profile) and its token. */
export async function registeredWorker(t: TestApp, employerOrgId: string, over: Record<string, unknown> = {}) {
  const body = { username: uniqueUsername('worker'), password: 'password-123', name: '王师傅', idNumber: uniqueIdNumber(), phone: '13800002222', employerOrgId, trade: '电工', skillLevel: 3, ...over };
  const res = await t.http().post('/api/auth/register').send(body);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const token = await t.login(body.username, body.password);
  return { userId: res.body.id as string, workerId: res.body.worker.id as string, idNumber: body.idNumber, token };
}
