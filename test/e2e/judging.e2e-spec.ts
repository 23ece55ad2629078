import { In } from 'typeorm';
import { AuditService } from '../../src/modules/audit/audit.service';
import { EntryScore, MarkReceipt, Penalty, Score, ScoreRevision } from '../../src/modules/scoring/score.entity';
import { bearer, createTestApp, randomUUID, TestApp } from '../utils/create-test-app';
import { createUser } from '../factories/identity.factory';
import { registeredWorker, transition } from '../factories/competition.factory';
import { chineseName } from '../factories/import.factory';
import {
  assignJudge,
  assignJudges,
  Contestant,
  createJudges,
  createJudgingOrgTree,
  MarkInput,
  newClientId,
  OrgTree,
  sheet,
  startCompetition,
  StartedCompetition,
  submitMarks,
  TestUser,
} from '../factories/judging.factory';

/**
 * Judging per API.md ("Judging") on the API.md scheme: theory 30 % (exam, max 100, single) and
 * practical 70 % (wiring, max 40, trimmed_mean of 5; safety, max 10, mean of 3).
 */
describe('judging', () => {
  let t: TestApp;
  let orgs: OrgTree;
  let organizer: TestUser;
  /** Five judges of the city federation: above enterprise level, recused from no contestant. */
  let panel: TestUser[];
  let countyJudge: TestUser;
  let enterpriseJudge: TestUser;
  let teamJudge: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    orgs = await createJudgingOrgTree(t);
    const admin = await t.adminToken();
    [organizer, panel, [countyJudge], [enterpriseJudge], [teamJudge]] = await Promise.all([
      createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id, displayName: '市总工会组织者' }),
      createJudges(t, orgs.city.id, 5, '市裁判'),
      createJudges(t, orgs.county.id, 1, '区裁判'),
      createJudges(t, orgs.enterprise.id, 1, '企业裁判'),
      createJudges(t, orgs.team.id, 1, '班组裁判'),
    ]);
  });
  afterAll(async () => t?.dispose());

  /** A started competition of the city federation; contestants work for the other county's enterprise unless told. */
  const start = (opts: Partial<Parameters<typeof startCompetition>[3]> = {}) =>
    startCompetition(t, organizer.token, orgs.city.id, { employers: [orgs.otherEnterprise.id], contestants: 3, ...opts });

  /** The chief (panel[0]) marks everything; panel[1..4] mark wiring and safety. */
  const seatFullPanel = (c: StartedCompetition) =>
    assignJudges(t, organizer.token, c.id, [{ userId: panel[0].id, chief: true }, ...panel.slice(1).map((j) => ({ userId: j.id, criteria: ['wiring', 'safety'] }))]);

  /**
   * Marks that complete each entry: exam 80 by the chief, wiring 30, 32, 34, 36, 38 (trimmed mean 34),
   * safety 8 from all five ⇒ theory 80, practical (34 + 8) / 50 = 84, total 24 + 58.8 = 82.80.
   */
  const COMPLETE_TOTAL = 8280;
  async function markComplete(c: StartedCompetition, entries: Contestant[], judges = panel): Promise<void> {
    await Promise.all(
      judges.map(async (j) => {
        const ji = panel.indexOf(j);
        const marks: MarkInput[] = entries.flatMap((e) => [
          ...(ji === 0 ? [{ enrolmentId: e.enrolmentId, criterion: 'exam', value: 80, clientId: newClientId() }] : []),
          { enrolmentId: e.enrolmentId, criterion: 'wiring', value: 30 + 2 * ji, clientId: newClientId() },
          { enrolmentId: e.enrolmentId, criterion: 'safety', value: 8, clientId: newClientId() },
        ]);
        const res = await submitMarks(t, j.token, c.id, marks);
        expect(res.status).toBe(200);
        expect(res.body.rejected).toEqual([]);
      }),
    );
  }

  const entryScore = (enrolmentId: string) => t.db.run((m) => m.findOneOrFail(EntryScore, { where: { enrolmentId } }));
  const scoreOf = (enrolmentId: string, criterionKey: string, judgeUserId: string) => t.db.run((m) => m.findOne(Score, { where: { enrolmentId, criterionKey, judgeUserId } }));
  const revisions = (token: string, enrolmentId: string) => t.http().get(`/api/enrolments/${enrolmentId}/revisions`).set(bearer(token));

  describe('assignment', () => {
    let c: StartedCompetition;
    beforeAll(async () => {
      c = await start({ contestants: 2, until: 'enrolment_closed' });
    });

    it('puts a judge on the panel for all criteria as chief, another for a subset, and lists each its own assignment', async () => {
      const chief = await assignJudge(t, organizer.token, c.id, { userId: panel[0].id, chief: true });
      expect(chief.status).toBe(201);
      expect(chief.body).toMatchObject({ competitionId: c.id, userId: panel[0].id, criteria: null, chief: true });
      const subset = await assignJudge(t, organizer.token, c.id, { userId: panel[1].id, criteria: ['wiring', 'safety'] });
      expect(subset.status).toBe(201);
      expect(subset.body).toMatchObject({ competitionId: c.id, userId: panel[1].id, criteria: ['wiring', 'safety'], chief: false });

      const mine = await t.http().get('/api/judging/assignments').set(bearer(panel[1].token));
      expect(mine.status).toBe(200);
      expect(mine.body.filter((a: { competitionId: string }) => a.competitionId === c.id)).toEqual([
        expect.objectContaining({ competitionId: c.id, status: 'enrolment_closed', criteria: ['wiring', 'safety'], chief: false }),
      ]);
      const chiefs = await t.http().get('/api/judging/assignments').set(bearer(panel[0].token));
      expect(chiefs.body.find((a: { competitionId: string }) => a.competitionId === c.id)).toMatchObject({ criteria: null, chief: true });
      const other = await t.http().get('/api/judging/assignments').set(bearer(panel[2].token));
      expect(other.body.find((a: { competitionId: string }) => a.competitionId === c.id)).toBeUndefined();

      const list = await t.http().get(`/api/competitions/${c.id}/judges`).set(bearer(organizer.token));
      expect(list.status).toBe(200);
      expect(list.body.map((j: { userId: string }) => j.userId).sort()).toEqual([panel[0].id, panel[1].id].sort());
    });

    it('refuses to seat a user who does not hold the judge role (422 NOT_A_JUDGE)', async () => {
      const res = await assignJudge(t, organizer.token, c.id, { userId: organizer.id });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('NOT_A_JUDGE');
    });

    it('refuses a criterion key the scheme does not have (400)', async () => {
      const res = await assignJudge(t, organizer.token, c.id, { userId: panel[2].id, criteria: ['wiring', 'welding'] });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.body.message)).toContain('welding');
      const list = await t.http().get(`/api/competitions/${c.id}/judges`).set(bearer(organizer.token));
      expect(list.body.map((j: { userId: string }) => j.userId)).not.toContain(panel[2].id);
    });

    it('refuses to seat the same judge twice (409)', async () => {
      const res = await assignJudge(t, organizer.token, c.id, { userId: panel[1].id, criteria: ['exam'] });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('ALREADY_ASSIGNED');
    });

    it("seats a judge once when two organizers' requests race (201 and 409, never 500)", async () => {
      const both = await Promise.all([assignJudge(t, organizer.token, c.id, { userId: panel[4].id }), assignJudge(t, organizer.token, c.id, { userId: panel[4].id })]);
      expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    });

    it('lets only the organizers of the competition seat judges', async () => {
      const res = await assignJudge(t, panel[0].token, c.id, { userId: panel[3].id });
      expect(res.status).toBe(403);
    });
  });

  describe('blind sheet', () => {
    it('shows bib, station, the criteria I mark and my own marks, and nothing that identifies a contestant', async () => {
      const c = await start({
        employers: [orgs.enterprise.id, orgs.otherEnterprise.id, orgs.team.id],
        worker: (i) => ({ name: chineseName(1000 + i) }),
      });
      await assignJudges(t, organizer.token, c.id, [{ userId: panel[0].id, chief: true }, { userId: panel[1].id, criteria: ['safety'] }]);
      const [first] = c.entries;
      expect((await submitMarks(t, panel[1].token, c.id, [{ enrolmentId: first.enrolmentId, criterion: 'safety', value: 8.5, clientId: newClientId() }])).body.rejected).toEqual([]);
      expect((await submitMarks(t, panel[0].token, c.id, [{ enrolmentId: first.enrolmentId, criterion: 'exam', value: 91, clientId: newClientId() }])).body.rejected).toEqual([]);

      const mine = await sheet(t, panel[1].token, c.id);
      expect(mine.status).toBe(200);
      expect(mine.body.criteria.map((k: { key: string }) => k.key)).toEqual(['safety']);
      expect(mine.body.contestants).toHaveLength(3);
      for (const row of mine.body.contestants) expect(Object.keys(row).sort()).toEqual(['bib', 'enrolmentId', 'markable', 'marks', 'station']);
      expect(mine.body.contestants.map((r: { bib: number; station: string; enrolmentId: string }) => [r.bib, r.station, r.enrolmentId])).toEqual(
        c.entries.map((e) => [e.bib, e.station, e.enrolmentId]),
      );
      expect(mine.body.contestants[0].marks).toEqual({ safety: 8.5 }); // not the chief's exam mark
      expect(mine.body.contestants[1].marks).toEqual({});

      const chiefs = await sheet(t, panel[0].token, c.id);
      expect(chiefs.body.criteria.map((k: { key: string }) => k.key)).toEqual(['exam', 'wiring', 'safety']);
      expect(chiefs.body.contestants[0].marks).toEqual({ exam: 91 });

      // Nothing personal, in any form, for either judge.
      const people = await t.http().get(`/api/competitions/${c.id}/enrolments`).set(bearer(organizer.token));
      const orgNames = [orgs.city, orgs.county, orgs.enterprise, orgs.otherCounty, orgs.otherEnterprise, orgs.team].map((o) => o.name);
      for (const text of [JSON.stringify(mine.body), JSON.stringify(chiefs.body)]) {
        for (const e of c.entries) {
          const name = [...e.name];
          for (const forbidden of [
            e.name,
            `${name[0]}*${name[name.length - 1]}`,
            e.idNumber,
            `${e.idNumber.slice(0, 4)}**********${e.idNumber.slice(-4)}`,
            e.idNumber.slice(6, 14), // the birth date
            e.phone,
            `${e.phone.slice(0, 3)}****${e.phone.slice(-4)}`,
            e.workerId,
            e.employerOrgId,
          ]) {
            expect(text).not.toContain(forbidden);
          }
        }
        for (const p of people.body.items) expect(text).not.toContain(p.worker.id);
        for (const n of orgNames) expect(text).not.toContain(n);
        for (const id of Object.values(orgs).map((o) => o.id)) expect(text).not.toContain(id);
        expect(text).not.toMatch(/\*{2,}/);
      }
    });

    it('is for the judges of the competition only', async () => {
      const c = await start({ contestants: 2 });
      await assignJudges(t, organizer.token, c.id, [{ userId: panel[0].id, chief: true }]);
      expect((await sheet(t, panel[1].token, c.id)).status).toBe(403);
      expect((await sheet(t, organizer.token, c.id)).status).toBe(403);
    });
  });

  describe('recusal', () => {
    it("shows a judge the entries of its own enterprise, or of a team under it, as not markable and rejects their marks as conflict_of_interest", async () => {
      const c = await start({ employers: [orgs.team.id, orgs.enterprise.id, orgs.otherEnterprise.id] });
      await assignJudges(t, organizer.token, c.id, [{ userId: enterpriseJudge.id }, { userId: teamJudge.id }]);
      const own = new Set([orgs.team.id, orgs.enterprise.id]);

      for (const judge of [enterpriseJudge, teamJudge]) {
        const s = await sheet(t, judge.token, c.id);
        expect(s.status).toBe(200);
        const label = (orgId: string) => (orgId === orgs.team.id ? 'team' : orgId === orgs.enterprise.id ? 'enterprise' : 'other');
        expect(s.body.contestants.map((r: { enrolmentId: string; markable: boolean }) => [label(c.entries.find((e) => e.enrolmentId === r.enrolmentId)!.employerOrgId), r.markable])).toEqual(
          c.entries.map((e) => [label(e.employerOrgId), !own.has(e.employerOrgId)]),
        );
        const marks = c.entries.map((e) => ({ enrolmentId: e.enrolmentId, criterion: 'safety', value: 7, clientId: newClientId() }));
        const res = await submitMarks(t, judge.token, c.id, marks);
        expect(res.status).toBe(200);
        const expectedRejected = c.entries.flatMap((e, i) => (own.has(e.employerOrgId) ? [{ clientId: marks[i].clientId, reason: 'conflict_of_interest' }] : []));
        expect(res.body.rejected).toEqual(expectedRejected);
        expect(res.body.accepted).toEqual(c.entries.flatMap((e, i) => (own.has(e.employerOrgId) ? [] : [marks[i].clientId])));
        for (const e of c.entries) expect(!!(await scoreOf(e.enrolmentId, 'safety', judge.id))).toBe(!own.has(e.employerOrgId));
      }
    });

    it('does not recuse judges of the county or city federation above the contestants’ enterprise', async () => {
      const c = await start({ employers: [orgs.team.id, orgs.enterprise.id, orgs.otherEnterprise.id] });
      await assignJudges(t, organizer.token, c.id, [{ userId: countyJudge.id }, { userId: panel[0].id }]);
      for (const judge of [countyJudge, panel[0]]) {
        const s = await sheet(t, judge.token, c.id);
        expect(s.body.contestants.map((r: { markable: boolean }) => r.markable)).toEqual([true, true, true]);
        const res = await submitMarks(t, judge.token, c.id, c.entries.map((e) => ({ enrolmentId: e.enrolmentId, criterion: 'wiring', value: 33.5, clientId: newClientId() })));
        expect(res.body.rejected).toEqual([]);
        expect(res.body.accepted).toHaveLength(3);
      }
    });

    it('recuses a judge from a worker once an organizer declares a conflict, and the marks it already gave stop counting', async () => {
      const c = await start({ contestants: 2 });
      await seatFullPanel(c);
      await markComplete(c, c.entries);
      const [a, b] = c.entries;
      expect(await entryScore(a.enrolmentId)).toMatchObject({ complete: true, total: COMPLETE_TOTAL });

      const judge = panel[2];
      const byJudge = await t.http().post(`/api/competitions/${c.id}/conflicts`).set(bearer(judge.token)).send({ judgeUserId: judge.id, workerId: a.workerId });
      expect(byJudge.status).toBe(403);
      const declared = await t.http().post(`/api/competitions/${c.id}/conflicts`).set(bearer(organizer.token)).send({ judgeUserId: judge.id, workerId: a.workerId, reason: '与选手系亲属关系' });
      expect(declared.status).toBe(201);

      // The judge's wiring and safety marks for A no longer count: wiring has 4 of 5 marks.
      expect(await entryScore(a.enrolmentId)).toMatchObject({ complete: false, total: null });
      expect(await entryScore(b.enrolmentId)).toMatchObject({ complete: true, total: COMPLETE_TOTAL });

      const s = await sheet(t, judge.token, c.id);
      expect(s.body.contestants.find((r: { enrolmentId: string }) => r.enrolmentId === a.enrolmentId).markable).toBe(false);
      expect(s.body.contestants.find((r: { enrolmentId: string }) => r.enrolmentId === b.enrolmentId).markable).toBe(true);
      const again = [
        { enrolmentId: a.enrolmentId, criterion: 'wiring', value: 35, clientId: newClientId() },
        { bib: a.bib, criterion: 'safety', value: 9, clientId: newClientId() },
        { enrolmentId: b.enrolmentId, criterion: 'safety', value: 9, clientId: newClientId() },
      ];
      const res = await submitMarks(t, judge.token, c.id, again);
      expect(res.body.rejected).toEqual([
        { clientId: again[0].clientId, reason: 'conflict_of_interest' },
        { clientId: again[1].clientId, reason: 'conflict_of_interest' },
      ]);
      expect(res.body.accepted).toEqual([again[2].clientId]);
      expect((await scoreOf(a.enrolmentId, 'wiring', judge.id))?.value).toBe(3000 + 2 * 2 * 100); // unchanged

      const twice = await t.http().post(`/api/competitions/${c.id}/conflicts`).set(bearer(organizer.token)).send({ judgeUserId: judge.id, workerId: a.workerId });
      expect(twice.status).toBe(409);
    });
  });

  describe('mark submission', () => {
    it('accepts or rejects each mark of one batch on its own, naming the reason, and applies the accepted ones', async () => {
      const c = await start();
      const other = await start({ contestants: 2 });
      await assignJudges(t, organizer.token, c.id, [{ userId: panel[0].id, chief: true }, { userId: panel[1].id, criteria: ['wiring', 'safety'] }]);
      const [e0, e1, e2] = c.entries;
      const marks: Record<string, MarkInput> = {
        wiring: { enrolmentId: e0.enrolmentId, criterion: 'wiring', value: 35.5, clientId: newClientId() },
        notAssigned: { enrolmentId: e0.enrolmentId, criterion: 'exam', value: 80, clientId: newClientId() },
        negative: { enrolmentId: e0.enrolmentId, criterion: 'safety', value: -1, clientId: newClientId() },
        aboveMax: { enrolmentId: e1.enrolmentId, criterion: 'safety', value: 10.01, clientId: newClientId() },
        atMax: { enrolmentId: e1.enrolmentId, criterion: 'safety', value: 10, clientId: newClientId() },
        threeDecimals: { enrolmentId: e1.enrolmentId, criterion: 'wiring', value: 8.755, clientId: newClientId() },
        unknownId: { enrolmentId: randomUUID(), criterion: 'wiring', value: 30, clientId: newClientId() },
        otherCompetition: { enrolmentId: other.entries[0].enrolmentId, criterion: 'wiring', value: 30, clientId: newClientId() },
        unknownBib: { bib: 999, criterion: 'wiring', value: 30, clientId: newClientId() },
        byBib: { bib: e2.bib, criterion: 'safety', value: 9.25, clientId: newClientId() },
        zero: { enrolmentId: e2.enrolmentId, criterion: 'wiring', value: 0, clientId: newClientId() },
      };
      const res = await submitMarks(t, panel[1].token, c.id, Object.values(marks));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        accepted: [marks.wiring.clientId, marks.atMax.clientId, marks.byBib.clientId, marks.zero.clientId],
        rejected: [
          { clientId: marks.notAssigned.clientId, reason: 'not_assigned' },
          { clientId: marks.negative.clientId, reason: 'out_of_range' },
          { clientId: marks.aboveMax.clientId, reason: 'out_of_range' },
          { clientId: marks.threeDecimals.clientId, reason: 'too_many_decimals' },
          { clientId: marks.unknownId.clientId, reason: 'unknown_entry' },
          { clientId: marks.otherCompetition.clientId, reason: 'unknown_entry' },
          { clientId: marks.unknownBib.clientId, reason: 'unknown_entry' },
        ],
      });
      const s = await sheet(t, panel[1].token, c.id);
      expect(s.body.contestants.map((r: { marks: unknown }) => r.marks)).toEqual([{ wiring: 35.5 }, { safety: 10 }, { safety: 9.25, wiring: 0 }]);
      expect(await t.db.run((m) => m.count(Score, { where: { competitionId: c.id } }))).toBe(4);
      expect(await t.db.run((m) => m.count(Score, { where: { competitionId: other.id } }))).toBe(0);
    });

    it('rejects every mark with wrong_state before the competition is in progress, and accepts them once it is', async () => {
      const c = await start({ contestants: 2, until: 'enrolment_closed' });
      await assignJudges(t, organizer.token, c.id, [{ userId: panel[0].id, chief: true }]);
      const marks = c.entries.map((e) => ({ enrolmentId: e.enrolmentId, criterion: 'exam', value: 75.25, clientId: newClientId() }));
      const early = await submitMarks(t, panel[0].token, c.id, marks);
      expect(early.status).toBe(200);
      expect(early.body).toEqual({ accepted: [], rejected: marks.map((m) => ({ clientId: m.clientId, reason: 'wrong_state' })) });
      expect(await t.db.run((m) => m.count(Score, { where: { competitionId: c.id } }))).toBe(0);

      expect((await transition(t, organizer.token, c.id, 'in_progress')).status).toBe(200);
      const later = await submitMarks(t, panel[0].token, c.id, marks);
      expect(later.body).toEqual({ accepted: marks.map((m) => m.clientId), rejected: [] });
    });

    it("lets only the chief judge address another judge's mark", async () => {
      const c = await start({ contestants: 2 });
      await seatFullPanel(c);
      const [e] = c.entries;
      const mark = { enrolmentId: e.enrolmentId, criterion: 'wiring', value: 30, clientId: newClientId(), judgeId: panel[2].id };
      expect((await submitMarks(t, panel[1].token, c.id, [mark])).body.rejected).toEqual([{ clientId: mark.clientId, reason: 'not_chief' }]);
      expect(await scoreOf(e.enrolmentId, 'wiring', panel[2].id)).toBeNull();
    });

    it('refuses a judge who is not on the panel (403) and a malformed batch (400)', async () => {
      const c = await start({ contestants: 2 });
      await assignJudges(t, organizer.token, c.id, [{ userId: panel[0].id, chief: true }]);
      const mark = { enrolmentId: c.entries[0].enrolmentId, criterion: 'exam', value: 80, clientId: newClientId() };
      expect((await submitMarks(t, panel[1].token, c.id, [mark])).status).toBe(403);
      expect((await submitMarks(t, panel[0].token, c.id, [])).status).toBe(400);
      expect((await submitMarks(t, panel[0].token, c.id, [{ ...mark, clientId: 'has space' }])).status).toBe(400);
      expect((await submitMarks(t, panel[0].token, c.id, [{ ...mark, value: '80' as unknown as number }])).status).toBe(400);
    });
  });

  describe('replay', () => {
    const counts = (competitionId: string, enrolmentIds: string[]) =>
      t.db.run(async (m) => ({
        scores: await m.count(Score, { where: { competitionId } }),
        revisions: await m.count(ScoreRevision, { where: { competitionId } }),
        receipts: await m.count(MarkReceipt, { where: { enrolmentId: In(enrolmentIds) } }),
        values: (await m.find(Score, { where: { competitionId }, order: { enrolmentId: 'ASC', criterionKey: 'ASC', judgeUserId: 'ASC' } })).map((s) => [s.enrolmentId, s.criterionKey, s.judgeUserId, s.value, s.clientId, s.updatedAt.toISOString()]),
        standings: (await m.find(EntryScore, { where: { competitionId }, order: { enrolmentId: 'ASC' } })).map((s) => [s.enrolmentId, s.total, s.complete, s.criteria, s.updatedAt.toISOString()]),
      }));

    it('answers a replayed batch exactly as the first time and changes nothing', async () => {
      const c = await start({ contestants: 2 });
      await seatFullPanel(c);
      const [a, b] = c.entries;
      const batch: MarkInput[] = [
        { enrolmentId: a.enrolmentId, criterion: 'wiring', value: 31.25, clientId: newClientId() },
        { enrolmentId: a.enrolmentId, criterion: 'safety', value: 7.5, clientId: newClientId() },
        { bib: b.bib, criterion: 'wiring', value: 36, clientId: newClientId() },
        { enrolmentId: b.enrolmentId, criterion: 'exam', value: 90, clientId: newClientId() }, // not_assigned
        { enrolmentId: b.enrolmentId, criterion: 'safety', value: 11, clientId: newClientId() }, // out_of_range
        { enrolmentId: a.enrolmentId, criterion: 'wiring', value: 32.75, clientId: newClientId() }, // changes the first, in the same batch
      ];
      const first = await submitMarks(t, panel[1].token, c.id, batch);
      expect(first.status).toBe(200);
      expect(first.body.accepted).toHaveLength(4);
      const before = await counts(c.id, [a.enrolmentId, b.enrolmentId]);
      expect(before).toMatchObject({ scores: 3, revisions: 4, receipts: 4 });

      const replay = await submitMarks(t, panel[1].token, c.id, batch);
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual(first.body);
      expect(await counts(c.id, [a.enrolmentId, b.enrolmentId])).toEqual(before);
      expect((await scoreOf(a.enrolmentId, 'wiring', panel[1].id))?.value).toBe(3275);
      // The change within the batch follows the mark it changed, though both carry the same time.
      const revs = await revisions(organizer.token, a.enrolmentId);
      expect(revs.body.filter((r: { criterion: string }) => r.criterion === 'wiring').map((r: { oldValue: number | null; newValue: number }) => [r.oldValue, r.newValue])).toEqual([
        [null, 31.25],
        [31.25, 32.75],
      ]);
    });

    it('answers a batch resent while the first is still in flight the same, and stores it once', async () => {
      const c = await start({ contestants: 3 });
      await seatFullPanel(c);
      const batch = c.entries.flatMap((e) => [
        { enrolmentId: e.enrolmentId, criterion: 'wiring', value: 30.5, clientId: newClientId() },
        { enrolmentId: e.enrolmentId, criterion: 'safety', value: 8.25, clientId: newClientId() },
      ]);
      const [x, y] = await Promise.all([submitMarks(t, panel[3].token, c.id, batch), submitMarks(t, panel[3].token, c.id, batch)]);
      expect([x.status, y.status]).toEqual([200, 200]);
      expect(x.body).toEqual({ accepted: batch.map((m) => m.clientId), rejected: [] });
      expect(y.body).toEqual(x.body);
      expect(await counts(c.id, c.entries.map((e) => e.enrolmentId))).toMatchObject({ scores: 6, revisions: 6, receipts: 6 });
    });

    it('rejects a clientId reused for a different mark as client_id_reused and keeps the first value', async () => {
      const c = await start({ contestants: 2 });
      await seatFullPanel(c);
      const [a, b] = c.entries;
      const clientId = newClientId();
      expect((await submitMarks(t, panel[1].token, c.id, [{ enrolmentId: a.enrolmentId, criterion: 'wiring', value: 30, clientId }])).body.accepted).toEqual([clientId]);
      const before = await counts(c.id, [a.enrolmentId, b.enrolmentId]);
      for (const reuse of [
        { enrolmentId: a.enrolmentId, criterion: 'wiring', value: 31, clientId },
        { enrolmentId: a.enrolmentId, criterion: 'safety', value: 30 / 10, clientId },
        { enrolmentId: b.enrolmentId, criterion: 'wiring', value: 30, clientId },
        { bib: b.bib, criterion: 'wiring', value: 30, clientId },
      ]) {
        const res = await submitMarks(t, panel[1].token, c.id, [reuse]);
        expect([JSON.stringify(reuse), res.body]).toEqual([JSON.stringify(reuse), { accepted: [], rejected: [{ clientId, reason: 'client_id_reused' }] }]);
      }
      expect(await counts(c.id, [a.enrolmentId, b.enrolmentId])).toEqual(before);
      // Another judge's tablet may well generate the same id: client ids are per judge.
      expect((await submitMarks(t, panel[2].token, c.id, [{ enrolmentId: a.enrolmentId, criterion: 'wiring', value: 33, clientId }])).body.accepted).toEqual([clientId]);
    });
  });

  describe('changes', () => {
    it('keeps the old value in a revision when a judge changes its own mark while in progress', async () => {
      const c = await start({ contestants: 2 });
      await seatFullPanel(c);
      const [e] = c.entries;
      const judge = panel[1];
      expect((await submitMarks(t, judge.token, c.id, [{ enrolmentId: e.enrolmentId, criterion: 'wiring', value: 30, clientId: newClientId() }])).body.rejected).toEqual([]);
      expect((await submitMarks(t, judge.token, c.id, [{ bib: e.bib, criterion: 'wiring', value: 32.5, clientId: newClientId() }])).body.rejected).toEqual([]);
      expect((await scoreOf(e.enrolmentId, 'wiring', judge.id))?.value).toBe(3250);

      const res = await revisions(organizer.token, e.enrolmentId);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        expect.objectContaining({ criterion: 'wiring', judgeId: judge.id, oldValue: null, newValue: 30, reason: null, byUserId: judge.id }),
        expect.objectContaining({ criterion: 'wiring', judgeId: judge.id, oldValue: 30, newValue: 32.5, reason: null, byUserId: judge.id }),
      ]);
      expect((await revisions(judge.token, e.enrolmentId)).status).toBe(403);
      expect((await revisions(panel[0].token, e.enrolmentId)).status).toBe(200);
    });

    it("after scores are locked refuses a judge's change, asks the chief judge for a reason, and keeps the chief's change in revisions and the audit trail", async () => {
      const c = await start({ contestants: 2 });
      await seatFullPanel(c);
      await markComplete(c, c.entries);
      const [e] = c.entries;
      const [chief, judge] = panel;
      // Only the chief judge signs the scores off.
      expect((await transition(t, judge.token, c.id, 'scores_locked')).status).toBe(403);
      const locked = await transition(t, chief.token, c.id, 'scores_locked');
      expect(locked.status).toBe(200);
      expect(locked.body.status).toBe('scores_locked');

      const own = { enrolmentId: e.enrolmentId, criterion: 'wiring', value: 39, clientId: newClientId() };
      expect((await submitMarks(t, judge.token, c.id, [own])).body).toEqual({ accepted: [], rejected: [{ clientId: own.clientId, reason: 'wrong_state' }] });
      const withReason = { ...own, clientId: newClientId(), reason: '我想改' };
      expect((await submitMarks(t, judge.token, c.id, [withReason])).body.rejected).toEqual([{ clientId: withReason.clientId, reason: 'wrong_state' }]);

      const noReason = { enrolmentId: e.enrolmentId, criterion: 'wiring', value: 31, clientId: newClientId(), judgeId: judge.id };
      expect((await submitMarks(t, chief.token, c.id, [noReason])).body.rejected).toEqual([{ clientId: noReason.clientId, reason: 'reason_required' }]);
      const blank = { ...noReason, clientId: newClientId(), reason: '   ' };
      expect((await submitMarks(t, chief.token, c.id, [blank])).body.rejected).toEqual([{ clientId: blank.clientId, reason: 'reason_required' }]);
      expect((await scoreOf(e.enrolmentId, 'wiring', judge.id))?.value).toBe(3200);

      const reason = '成绩复核：录入错误，依评分表更正';
      const fix = { ...noReason, clientId: newClientId(), reason };
      expect((await submitMarks(t, chief.token, c.id, [fix])).body).toEqual({ accepted: [fix.clientId], rejected: [] });
      expect((await scoreOf(e.enrolmentId, 'wiring', judge.id))?.value).toBe(3100);
      // wiring 30, 31, 34, 36, 38 ⇒ trimmed mean 33.67; practical (33.67 + 8) / 50 ⇒ total 24 + 70 × 41.67 / 50 = 82.338 ⇒ 82.34
      expect((await entryScore(e.enrolmentId)).total).toBe(8234);

      const revs = await revisions(organizer.token, e.enrolmentId);
      expect(revs.body[revs.body.length - 1]).toEqual(expect.objectContaining({ criterion: 'wiring', judgeId: judge.id, oldValue: 32, newValue: 31, reason, byUserId: chief.id }));

      const trail = await t.app.get(AuditService).forEntity('enrolment', e.enrolmentId);
      const change = trail.filter((a) => a.action === 'score.change');
      expect(change).toHaveLength(1);
      expect(change[0]).toMatchObject({ actorId: chief.id, before: { criterion: 'wiring', judgeId: judge.id, value: 32 }, after: { criterion: 'wiring', judgeId: judge.id, value: 31, reason } });
    });
  });

  describe('penalties', () => {
    let c: StartedCompetition;
    beforeAll(async () => {
      c = await start({ contestants: 2 });
      await seatFullPanel(c);
      await markComplete(c, c.entries);
    });
    const penalise = (token: string, body: Record<string, unknown>) => t.http().post(`/api/competitions/${c.id}/penalties`).set(bearer(token)).send(body);

    it("lowers the entry's total by the chief judge's penalty", async () => {
      const [e] = c.entries;
      expect((await entryScore(e.enrolmentId)).total).toBe(COMPLETE_TOTAL);
      const res = await penalise(panel[0].token, { enrolmentId: e.enrolmentId, points: 2.5, reason: '未按规定佩戴绝缘手套' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ enrolmentId: e.enrolmentId, points: 2.5, reason: '未按规定佩戴绝缘手套' });
      expect(await entryScore(e.enrolmentId)).toMatchObject({ total: COMPLETE_TOTAL - 250, penalties: 250, complete: true });
      const more = await penalise(panel[0].token, { enrolmentId: e.enrolmentId, points: 0.05, reason: '工位清理不彻底' });
      expect(more.status).toBe(201);
      expect(await entryScore(e.enrolmentId)).toMatchObject({ total: COMPLETE_TOTAL - 255, penalties: 255 });
      const trail = await t.app.get(AuditService).forEntity('enrolment', e.enrolmentId);
      expect(trail.filter((a) => a.action === 'penalty.create')).toHaveLength(2);
    });

    it('floors the total at 0 when penalties exceed it', async () => {
      const [, e] = c.entries;
      expect((await penalise(panel[0].token, { enrolmentId: e.enrolmentId, points: 90, reason: '严重违反安全操作规程' })).status).toBe(201);
      expect(await entryScore(e.enrolmentId)).toMatchObject({ total: 0, penalties: 9000, complete: true });
    });

    it('refuses penalties from a plain judge or an organizer (403) and points with more than two decimals (400)', async () => {
      const [e] = c.entries;
      const before = await t.db.run((m) => m.count(Penalty, { where: { competitionId: c.id } }));
      expect((await penalise(panel[1].token, { enrolmentId: e.enrolmentId, points: 1, reason: '扣分' })).status).toBe(403);
      expect((await penalise(organizer.token, { enrolmentId: e.enrolmentId, points: 1, reason: '扣分' })).status).toBe(403);
      const decimals = await penalise(panel[0].token, { enrolmentId: e.enrolmentId, points: 1.255, reason: '扣分' });
      expect(decimals.status).toBe(400);
      expect(JSON.stringify(decimals.body.message)).toContain('two decimals');
      expect((await penalise(panel[0].token, { enrolmentId: e.enrolmentId, points: 0, reason: '扣分' })).status).toBe(400);
      expect((await penalise(panel[0].token, { enrolmentId: e.enrolmentId, points: 1 })).status).toBe(400);
      expect((await penalise(panel[0].token, { enrolmentId: randomUUID(), points: 1, reason: '扣分' })).status).toBe(422);
      expect(await t.db.run((m) => m.count(Penalty, { where: { competitionId: c.id } }))).toBe(before);
    });
  });

  describe('completeness', () => {
    let c: StartedCompetition;
    beforeAll(async () => {
      c = await start({ contestants: 4 });
      await seatFullPanel(c);
      const [a, b, d] = c.entries;
      await markComplete(c, [a, b]);
      await markComplete(c, [d], panel.slice(0, 4)); // wiring 4 of the 5 marks it needs
    });

    it('refuses to lock scores while entries are incomplete and names how many and which bibs', async () => {
      const res = await transition(t, panel[0].token, c.id, 'scores_locked');
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('SCORES_INCOMPLETE');
      const bibs = c.entries.slice(2).map((e) => e.bib);
      expect(res.body.message).toContain('2 are not');
      expect(res.body.message).toContain(`bibs ${bibs.join(', ')}`);
    });

    it('does not let a worker or an organizer of another organization lock scores', async () => {
      const worker = await registeredWorker(t, orgs.otherEnterprise.id);
      const outsider = await createUser(t, await t.adminToken(), { roles: ['organizer'], organizationId: orgs.otherCounty.id });
      for (const token of [worker.token, outsider.token]) {
        const res = await transition(t, token, c.id, 'scores_locked');
        expect([403, 404]).toContain(res.status);
      }
    });

    it('lets the chief judge lock once every present entry is complete, absent ones aside', async () => {
      const [, , d, absent] = c.entries;
      await markComplete(c, [d], [panel[4]]);
      const away = await t.http().patch(`/api/enrolments/${absent.enrolmentId}`).set(bearer(panel[0].token)).send({ status: 'absent', reason: '未到场' });
      expect(away.status).toBe(200);
      const late = { enrolmentId: absent.enrolmentId, criterion: 'wiring', value: 30, clientId: newClientId() };
      expect((await submitMarks(t, panel[1].token, c.id, [late])).body.rejected).toEqual([{ clientId: late.clientId, reason: 'not_competing' }]);
      const res = await transition(t, panel[0].token, c.id, 'scores_locked');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('scores_locked');
    });
  });
});
