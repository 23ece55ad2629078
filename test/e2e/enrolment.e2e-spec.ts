import { In } from 'typeorm';
import { AuditService } from '../../src/modules/audit/audit.service';
import { Enrolment } from '../../src/modules/enrolment/enrolment.entity';
import { Worker } from '../../src/modules/identity/worker.entity';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';
import { createOrgTree, createUser } from '../factories/identity.factory';
import {
  CompetitionView,
  createCompetition,
  decide,
  enrolNewWorker,
  enrolNewWorkers,
  newWorker,
  openCompetition,
  readyToStart,
  registeredWorker,
  scheduleOpeningTomorrow,
  transition,
  uniqueIdNumber,
} from '../factories/competition.factory';
import { withWrongCheckDigit } from '../factories/identity-extra.factory';

// jest ignores the e2e project's testTimeout in jest.config.js (a global-only option): set it here.
jest.setTimeout(60_000);

type Orgs = Awaited<ReturnType<typeof createOrgTree>>;
type Organizer = { id: string; token: string };
type RegisteredWorker = Awaited<ReturnType<typeof registeredWorker>>;

/** Open to workers of the owner's subtree aged 18–55 with skill level 4 or better, no quota. */
const RULES = { enrolmentRules: { minAge: 18, maxAge: 55, minSkillLevel: 4 } };

describe('enrolment (e2e)', () => {
  let t: TestApp;
  let orgs: Orgs;
  /** Organizers of 衢州市总工会 (the root), 柯城区总工会 and 衢江区总工会 (its sibling). */
  let cityOrganizer: Organizer;
  let countyOrganizer: Organizer;
  let otherCountyOrganizer: Organizer;
  /** An eligible electrician at 国网衢州供电公司 (in 柯城区). */
  let alice: RegisteredWorker;
  /** Employed by 柯城区总工会 itself: inside the owner's organization, but no organizer. */
  let countyClerk: RegisteredWorker;
  /** A county-owned competition open for enrolment, schedule around now. */
  let main: CompetitionView;

  const enrol = (competitionId: string, token: string, body: Record<string, unknown> = {}) =>
    t.http().post(`/api/competitions/${competitionId}/enrolments`).set(bearer(token)).send(body);
  const listEntries = (competitionId: string, token: string, query = '') =>
    t.http().get(`/api/competitions/${competitionId}/enrolments${query}`).set(bearer(token));
  const withdraw = (enrolmentId: string, token: string) => t.http().post(`/api/enrolments/${enrolmentId}/withdraw`).set(bearer(token)).send();
  const mark = (enrolmentId: string, token: string, body: Record<string, unknown>) => t.http().patch(`/api/enrolments/${enrolmentId}`).set(bearer(token)).send(body);
  const draw = (competitionId: string, token: string, body: Record<string, unknown> = {}) => t.http().post(`/api/competitions/${competitionId}/draw`).set(bearer(token)).send(body);
  const entry = (id: string) => t.db.run((m) => m.findOneByOrFail(Enrolment, { id }));
  const trail = (type: string, id: string) => t.app.get(AuditService).forEntity(type, id);
  const count = (entity: typeof Worker | typeof Enrolment) => t.db.run((m) => m.count(entity));

  beforeAll(async () => {
    t = await createTestApp();
    const admin = await t.adminToken();
    orgs = await createOrgTree(t);
    cityOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    countyOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.county.id });
    otherCountyOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.otherCounty.id });
    alice = await registeredWorker(t, orgs.enterprise.id, { name: '张小明' });
    countyClerk = await registeredWorker(t, orgs.county.id, { name: '赵文书' });
    main = await openCompetition(t, countyOrganizer.token, orgs.county.id, { ...RULES, level: 'county' });
  });
  afterAll(async () => t?.dispose());

  describe('a worker enrolling itself', () => {
    it('enrols a worker in an open competition as pending (201 {id, status: pending}) and audits it', async () => {
      const res = await enrol(main.id, alice.token);

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ id: expect.any(String), status: 'pending', source: 'self', competitionId: main.id, nominatingOrgId: orgs.enterprise.id });
      const audit = await trail('enrolment', res.body.id);
      expect(audit).toEqual([expect.objectContaining({ action: 'enrolment.create', actorId: alice.userId, after: expect.objectContaining({ status: 'pending', workerId: alice.workerId }) })]);
    });

    it('answers 409 ALREADY_ENROLLED to a second enrolment of the same worker', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      await expect(enrol(c.id, alice.token).then((r) => r.status)).resolves.toBe(201);

      const again = await enrol(c.id, alice.token);
      const byOrganizer = await enrol(c.id, countyOrganizer.token, { workerId: alice.workerId });

      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'ALREADY_ENROLLED', message: expect.stringMatching(/already enrolled/) });
      expect(byOrganizer.status).toBe(409);
      expect(byOrganizer.body.code).toBe('ALREADY_ENROLLED');
    });

    it('answers 422 with all four reasons at once for a worker too old, below the skill level, of another trade and employed outside the eligible subtree', async () => {
      const welder = await registeredWorker(t, orgs.otherEnterprise.id, { name: '钱老师傅', idNumber: uniqueIdNumber('19500101'), trade: '焊工', skillLevel: 5 });

      const res = await enrol(main.id, welder.token);

      expect(res.status).toBe(422);
      expect(res.body.code).toBe('INELIGIBLE');
      expect(res.body.message).toEqual([
        expect.stringMatching(/^age 7\d on the competition's start date is above the maximum of 55$/),
        expect.stringMatching(/^skill level 5 is below the required level 4/),
        expect.stringMatching(/trade 电工, the worker's trade is 焊工/),
        expect.stringMatching(/employer is not within the organizations/),
      ]);
      await expect(t.db.run((m) => m.count(Enrolment, { where: { workerId: welder.workerId } }))).resolves.toBe(0);
    });

    it('answers 422 naming the window before enrolmentOpensAt, while an organizer may still enrol the same worker (the state bounds organizers, not the schedule)', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, { ...RULES, schedule: scheduleOpeningTomorrow() });

      const self = await enrol(c.id, alice.token);
      const byOrganizer = await enrol(c.id, countyOrganizer.token, { workerId: alice.workerId });

      expect(self.status).toBe(422);
      expect(self.body).toMatchObject({ code: 'INELIGIBLE', message: [expect.stringMatching(/^enrolment opens at /)] });
      expect(byOrganizer.status).toBe(201);
      expect(byOrganizer.body).toMatchObject({ status: 'pending', source: 'organizer' });
    });

    it('answers 404 to a worker for a draft, and 422 naming the state to its organizer', async () => {
      const draft = await createCompetition(t, countyOrganizer.token, orgs.county.id, RULES);

      const self = await enrol(draft.id, alice.token);
      const byOrganizer = await enrol(draft.id, countyOrganizer.token, { workerId: alice.workerId });

      expect(self.status).toBe(404);
      expect(byOrganizer.status).toBe(422);
      expect(byOrganizer.body.message).toEqual([expect.stringMatching(/enrolment is not open \(the competition is draft\)/)]);
    });

    it('refuses a worker enrolling someone else (403)', async () => {
      const res = await enrol(main.id, countyClerk.token, { workerId: alice.workerId });

      expect(res.status).toBe(403);
      expect(res.body.code).toBe('ROLE_REQUIRED');
    });
  });

  describe('an organizer enrolling workers', () => {
    it('enrols an existing worker by workerId', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      const first = await enrolNewWorker(t, countyOrganizer.token, main.id, orgs.enterprise.id);
      const { workerId } = await entry(first.body.id);

      const res = await enrol(c.id, countyOrganizer.token, { workerId });

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'pending', source: 'organizer' });
      await expect(entry(res.body.id).then((e) => e.workerId)).resolves.toBe(workerId);
    });

    it('creates the worker record for {worker:{…}} and enrols it', async () => {
      const worker = newWorker(orgs.enterprise.id, { name: '孙电工' });
      const workersBefore = await count(Worker);

      const res = await enrol(main.id, countyOrganizer.token, { worker });

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'pending', source: 'organizer', nominatingOrgId: orgs.enterprise.id });
      await expect(count(Worker)).resolves.toBe(workersBefore + 1);
      const list = await listEntries(main.id, countyOrganizer.token);
      expect(list.body.items.find((e: { id: string }) => e.id === res.body.id).worker).toMatchObject({
        name: '孙电工',
        idNumber: worker.idNumber,
        employerOrgId: orgs.enterprise.id,
        employerName: orgs.enterprise.name,
        trade: '电工',
        skillLevel: 3,
      });
    });

    it('reuses a known worker for the same ID number and name, and answers 422 WORKER_NAME_MISMATCH for another name without writing anything', async () => {
      const other = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      const worker = newWorker(orgs.enterprise.id, { name: '周师傅' });
      await expect(enrol(main.id, countyOrganizer.token, { worker }).then((r) => r.status)).resolves.toBe(201);
      const [workersBefore, entriesBefore] = [await count(Worker), await count(Enrolment)];

      const mismatch = await enrol(other.id, countyOrganizer.token, { worker: { ...worker, name: '周大师傅' } });

      expect(mismatch.status).toBe(422);
      expect(mismatch.body).toMatchObject({ code: 'WORKER_NAME_MISMATCH', message: expect.stringMatching(/another name/) });
      await expect(count(Enrolment)).resolves.toBe(entriesBefore);
      const same = await enrol(other.id, countyOrganizer.token, { worker });
      expect(same.status).toBe(201);
      await expect(count(Worker)).resolves.toBe(workersBefore);
    });

    it('answers 400 naming idNumber for an ID number with a wrong check digit, and writes nothing', async () => {
      const [workersBefore, entriesBefore] = [await count(Worker), await count(Enrolment)];

      const res = await enrol(main.id, countyOrganizer.token, { worker: newWorker(orgs.enterprise.id, { idNumber: withWrongCheckDigit(uniqueIdNumber()) }) });

      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toEqual([expect.stringMatching(/idNumber.*check digit/)]);
      await expect(count(Worker)).resolves.toBe(workersBefore);
      await expect(count(Enrolment)).resolves.toBe(entriesBefore);
    });

    it('treats workerId: null and worker: null as not given (an organizer without a worker profile cannot enrol itself: 403, not 500)', async () => {
      const byId = await enrol(main.id, countyOrganizer.token, { workerId: null });
      const byBody = await enrol(main.id, countyOrganizer.token, { worker: null });

      expect([byId.status, byBody.status]).toEqual([403, 403]);
      expect(byId.body.code).toBe('NOT_A_WORKER');
    });

    it('answers 400 naming the field for a worker body with an unknown field', async () => {
      const res = await enrol(main.id, countyOrganizer.token, { worker: { ...newWorker(orgs.enterprise.id), nickname: '小孙' } });

      expect(res.status).toBe(400);
      expect(res.body.message).toEqual([expect.stringMatching(/^worker\.nickname\b/)]);
    });

    it('refuses an organizer of another subtree (403), and an organizer enrolling a new worker employed outside its subtree (403)', async () => {
      const otherCounty = await enrolNewWorker(t, otherCountyOrganizer.token, main.id, orgs.otherEnterprise.id);
      const byId = await enrol(main.id, otherCountyOrganizer.token, { workerId: alice.workerId });
      const outsideEmployer = await enrolNewWorker(t, countyOrganizer.token, main.id, orgs.otherEnterprise.id);

      expect([otherCounty.status, byId.status, outsideEmployer.status]).toEqual([403, 403, 403]);
      expect(otherCounty.body.code).toBe('OUT_OF_SCOPE');
    });
  });

  describe('GET /api/competitions/:id/enrolments', () => {
    let c: CompetitionView;
    const sent: Array<ReturnType<typeof newWorker>> = [];
    const ids: string[] = [];

    beforeAll(async () => {
      c = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      for (const name of ['吴一', '郑二', '王三']) {
        const worker = newWorker(orgs.enterprise.id, { name });
        const res = await enrol(c.id, countyOrganizer.token, { worker });
        sent.push(worker);
        ids.push(res.body.id);
      }
      await decide(t, countyOrganizer.token, ids[0], 'approve');
      await decide(t, countyOrganizer.token, ids[1], 'reject', '工种证书过期');
    });

    it('shows organizers every entry with the worker’s full ID number', async () => {
      const res = await listEntries(c.id, cityOrganizer.token);

      expect(res.status).toBe(200);
      expect(res.body.total).toBe(3);
      const byId = new Map(res.body.items.map((e: { id: string; worker: { name: string; idNumber: string } }) => [e.id, e.worker]));
      expect(ids.map((id) => byId.get(id))).toEqual(sent.map((w) => expect.objectContaining({ name: w.name, idNumber: w.idNumber })));
    });

    it.each([
      ['approved', 0],
      ['rejected', 1],
      ['pending', 2],
    ])('filters by status=%s', async (status, index) => {
      const res = await listEntries(c.id, countyOrganizer.token, `?status=${status}`);

      expect(res.status).toBe(200);
      expect(res.body.items.map((e: { id: string }) => e.id)).toEqual([ids[index]]);
      expect(res.body.total).toBe(1);
    });

    it('pages with limit and offset', async () => {
      const page = await listEntries(c.id, countyOrganizer.token, '?limit=2&offset=2');

      expect(page.body.items).toHaveLength(1);
      expect(page.body.total).toBe(3);
    });

    it('answers 403 to a worker and to an organizer of another subtree', async () => {
      await expect(listEntries(c.id, alice.token).then((r) => r.status)).resolves.toBe(403);
      await expect(listEntries(c.id, otherCountyOrganizer.token).then((r) => r.status)).resolves.toBe(403);
    });
  });

  describe('POST /api/enrolments/:id/decision', () => {
    it('approves a pending entry and audits the decision with its actor', async () => {
      const [id] = await enrolNewWorkers(t, countyOrganizer.token, main.id, orgs.enterprise.id, 1);

      const res = await decide(t, countyOrganizer.token, id, 'approve');

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, status: 'approved' });
      expect((await trail('enrolment', id)).map((e) => [e.action, e.actorId, (e.before as { status?: string } | null)?.status, (e.after as { status: string }).status])).toEqual([
        ['enrolment.create', countyOrganizer.id, undefined, 'pending'],
        ['enrolment.approve', countyOrganizer.id, 'pending', 'approved'],
      ]);
    });

    it('answers 400 naming the reason for a rejection without one, and rejects with a reason', async () => {
      const [id] = await enrolNewWorkers(t, countyOrganizer.token, main.id, orgs.enterprise.id, 1);

      const missing = await decide(t, countyOrganizer.token, id, 'reject');
      const blank = await decide(t, countyOrganizer.token, id, 'reject', '   ');
      const rejected = await decide(t, countyOrganizer.token, id, 'reject', '未提供职业技能等级证书');

      expect([missing.status, blank.status]).toEqual([400, 400]);
      expect(missing.body.message).toEqual([expect.stringMatching(/reason/)]);
      expect(rejected.status).toBe(200);
      expect(rejected.body).toMatchObject({ status: 'rejected', reason: '未提供职业技能等级证书' });
      expect((await trail('enrolment', id)).at(-1)).toMatchObject({ action: 'enrolment.reject', after: { status: 'rejected', reason: '未提供职业技能等级证书' } });
    });

    it('answers 409 NOT_PENDING to a second decision', async () => {
      const [id] = await enrolNewWorkers(t, countyOrganizer.token, main.id, orgs.enterprise.id, 1);
      await decide(t, countyOrganizer.token, id, 'approve');

      const res = await decide(t, countyOrganizer.token, id, 'reject', '改主意了');

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'NOT_PENDING', message: expect.stringMatching(/approved/) });
      await expect(entry(id).then((e) => e.status)).resolves.toBe('approved');
    });

    it('refuses an organizer of another subtree (403) and a worker (403)', async () => {
      const [id] = await enrolNewWorkers(t, countyOrganizer.token, main.id, orgs.enterprise.id, 1);

      await expect(decide(t, otherCountyOrganizer.token, id, 'approve').then((r) => r.status)).resolves.toBe(403);
      await expect(decide(t, alice.token, id, 'approve').then((r) => r.status)).resolves.toBe(403);
      await expect(entry(id).then((e) => e.status)).resolves.toBe('pending');
    });
  });

  describe('withdrawal and marking absent or disqualified', () => {
    /** A competition in progress with alice's entry and two more, all approved and drawn. */
    let started: CompetitionView;
    let aliceEntry: string;
    let others: string[];

    beforeAll(async () => {
      started = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      aliceEntry = (await enrol(started.id, alice.token)).body.id;
      others = await enrolNewWorkers(t, countyOrganizer.token, started.id, orgs.enterprise.id, 2);
      await readyToStart(t, countyOrganizer.token, started.id, [aliceEntry, ...others]);
      await transition(t, countyOrganizer.token, started.id, 'in_progress');
    });

    it('lets a worker withdraw its own entry while enrolment is open, and audits it', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      const { id } = (await enrol(c.id, alice.token)).body;

      const res = await withdraw(id, alice.token);

      expect(res.status).toBe(200);
      expect(res.body.status).toBe('withdrawn');
      expect((await trail('enrolment', id)).map((e) => [e.action, e.actorId])).toEqual([
        ['enrolment.create', alice.userId],
        ['enrolment.withdraw', alice.userId],
      ]);
    });

    it('lets an organizer withdraw an approved entry after enrolment closes, and refuses withdrawing it twice (409)', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      const ids = await enrolNewWorkers(t, countyOrganizer.token, c.id, orgs.enterprise.id, 3);
      for (const id of ids) await decide(t, countyOrganizer.token, id, 'approve');
      await transition(t, countyOrganizer.token, c.id, 'enrolment_closed');

      const res = await withdraw(ids[0], countyOrganizer.token);
      const again = await withdraw(ids[0], countyOrganizer.token);

      expect([res.status, res.body.status]).toEqual([200, 'withdrawn']);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('NOT_WITHDRAWABLE');
      expect((await trail('enrolment', ids[0])).at(-1)).toMatchObject({ action: 'enrolment.withdraw', actorId: countyOrganizer.id, before: { status: 'approved' }, after: { status: 'withdrawn' } });
    });

    it('refuses a worker withdrawing someone else’s entry, even one employed by the owning organization itself (403)', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      const { id } = (await enrol(c.id, alice.token)).body;

      const res = await withdraw(id, countyClerk.token);

      expect(res.status).toBe(403);
      await expect(entry(id).then((e) => e.status)).resolves.toBe('pending');
    });

    it('refuses withdrawal once the competition is in progress (409), to the worker and the organizer alike', async () => {
      const byWorker = await withdraw(aliceEntry, alice.token);
      const byOrganizer = await withdraw(others[0], countyOrganizer.token);

      expect([byWorker.status, byOrganizer.status]).toEqual([409, 409]);
      expect(byWorker.body).toMatchObject({ code: 'WRONG_STATE', message: expect.stringMatching(/before the competition starts.*in_progress/) });
      await expect(entry(aliceEntry).then((e) => e.status)).resolves.toBe('approved');
    });

    it('answers 400 naming the reason when marking an entry absent or disqualified without one', async () => {
      const absent = await mark(others[0], countyOrganizer.token, { status: 'absent' });
      const disqualified = await mark(others[0], countyOrganizer.token, { status: 'disqualified', reason: ' ' });

      expect([absent.status, disqualified.status]).toEqual([400, 400]);
      expect(absent.body.message).toEqual([expect.stringMatching(/reason is required to mark an entry absent/)]);
    });

    it('marks approved entries absent and disqualified with a reason while the competition is in progress, and audits it', async () => {
      const absent = await mark(others[0], countyOrganizer.token, { status: 'absent', reason: '未按时检录' });
      const disqualified = await mark(others[1], countyOrganizer.token, { status: 'disqualified', reason: '违反安全操作规程' });

      expect(absent.status).toBe(200);
      expect(absent.body).toMatchObject({ status: 'absent', reason: '未按时检录' });
      expect(disqualified.body).toMatchObject({ status: 'disqualified', reason: '违反安全操作规程' });
      expect((await trail('enrolment', others[1])).at(-1)).toMatchObject({
        action: 'enrolment.update',
        actorId: countyOrganizer.id,
        before: { status: 'approved' },
        after: { status: 'disqualified', reason: '违反安全操作规程' },
      });
    });

    it('answers 409 for marking an entry while enrolment is still open, or one that is not approved', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      const [id] = await enrolNewWorkers(t, countyOrganizer.token, c.id, orgs.enterprise.id, 1);
      await decide(t, countyOrganizer.token, id, 'approve');

      const tooEarly = await mark(id, countyOrganizer.token, { status: 'absent', reason: '未到场' });
      const markedAbsent = await mark(others[0], countyOrganizer.token, { status: 'disqualified', reason: '重复标记' });

      expect(tooEarly.status).toBe(409);
      expect(tooEarly.body).toMatchObject({ code: 'WRONG_STATE', message: expect.stringMatching(/enrolment_open/) });
      expect(markedAbsent.status).toBe(409);
      expect(markedAbsent.body.code).toBe('NOT_APPROVED');
    });

    it('refuses a worker marking an entry (403)', async () => {
      const res = await mark(aliceEntry, alice.token, { status: 'absent', reason: '我不来了' });

      expect(res.status).toBe(403);
    });
  });

  describe('quotas per nominating organization', () => {
    /** City-owned: the nominating organization of a worker is the county it works in. */
    const QUOTA_RULES = { enrolmentRules: { minAge: 18, maxAge: 55, minSkillLevel: 4, quotaPerOrganization: 3 } };

    it('admits exactly 3 of 20 parallel enrolments from one county and refuses the other 17 with 422 QUOTA_FULL', async () => {
      const c = await openCompetition(t, cityOrganizer.token, orgs.city.id, QUOTA_RULES);
      const workersBefore = await count(Worker);

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => enrolNewWorker(t, cityOrganizer.token, c.id, orgs.enterprise.id, { name: `并发${i + 1}` })),
      );

      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(3);
      expect(statuses.filter((s) => s === 422)).toHaveLength(17);
      for (const r of results.filter((x) => x.status === 422)) {
        expect(r.body).toMatchObject({ code: 'QUOTA_FULL', message: [expect.stringMatching(/quota of 3 entries for 柯城区总工会 is full/)] });
      }
      const held = await t.db.run((m) => m.find(Enrolment, { where: { competitionId: c.id } }));
      expect(held.map((e) => [e.nominatingOrgId, e.status])).toEqual(Array(3).fill([orgs.county.id, 'pending']));
      // The refused enrolments' new workers were rolled back with them.
      await expect(count(Worker)).resolves.toBe(workersBefore + 3);
    });

    it('counts the quota per county: the workers of another county still get their own 3 places', async () => {
      const c = await openCompetition(t, cityOrganizer.token, orgs.city.id, QUOTA_RULES);
      await enrolNewWorkers(t, cityOrganizer.token, c.id, orgs.enterprise.id, 3);

      const results = await Promise.all(Array.from({ length: 4 }, () => enrolNewWorker(t, cityOrganizer.token, c.id, orgs.otherEnterprise.id)));

      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 422]);
      const perCounty = await t.db.run((m) =>
        Promise.all([orgs.county.id, orgs.otherCounty.id].map((org) => m.count(Enrolment, { where: { competitionId: c.id, nominatingOrgId: org, status: In(['pending', 'approved']) } }))),
      );
      expect(perCounty).toEqual([3, 3]);
    });

    it('frees a place when an entry of the county is rejected or withdrawn, and counts approved entries', async () => {
      const c = await openCompetition(t, cityOrganizer.token, orgs.city.id, QUOTA_RULES);
      const [a, b, d] = await enrolNewWorkers(t, cityOrganizer.token, c.id, orgs.enterprise.id, 3);
      await decide(t, cityOrganizer.token, a, 'approve');
      await expect(enrolNewWorker(t, cityOrganizer.token, c.id, orgs.enterprise.id).then((r) => r.body.code)).resolves.toBe('QUOTA_FULL');

      await decide(t, cityOrganizer.token, b, 'reject', '资格不符');
      const afterReject = await enrolNewWorker(t, cityOrganizer.token, c.id, orgs.enterprise.id);
      await withdraw(d, cityOrganizer.token);
      const afterWithdraw = await enrolNewWorker(t, cityOrganizer.token, c.id, orgs.enterprise.id);
      const full = await enrolNewWorker(t, cityOrganizer.token, c.id, orgs.enterprise.id);

      expect([afterReject.status, afterWithdraw.status]).toEqual([201, 201]);
      expect(full.status).toBe(422);
      expect(full.body.code).toBe('QUOTA_FULL');
    });
  });

  describe('POST /api/competitions/:id/draw', () => {
    let c: CompetitionView;
    let approved: string[];
    let notApproved: string[];
    let first: { seed: string; entries: Array<{ enrolmentId: string; bib: number }> };
    const bibsOf = (d: { entries: Array<{ enrolmentId: string; bib: number }> }) => Object.fromEntries(d.entries.map((e) => [e.enrolmentId, e.bib]));

    beforeAll(async () => {
      c = await openCompetition(t, countyOrganizer.token, orgs.county.id, RULES);
      const ids = await enrolNewWorkers(t, countyOrganizer.token, c.id, orgs.enterprise.id, 7);
      approved = ids.slice(0, 4);
      for (const id of approved) await decide(t, countyOrganizer.token, id, 'approve');
      await decide(t, countyOrganizer.token, ids[4], 'reject', '年龄证明缺失');
      await withdraw(ids[5], countyOrganizer.token);
      notApproved = ids.slice(4);
    });

    it('refuses a draw while enrolment is open (409)', async () => {
      const res = await draw(c.id, countyOrganizer.token, { seed: 'abc' });

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'WRONG_STATE', message: expect.stringMatching(/after enrolment closes.*enrolment_open/) });
    });

    it('numbers the approved entries 1..N, each bib once, and gives no bib to pending, rejected or withdrawn entries', async () => {
      await expect(transition(t, countyOrganizer.token, c.id, 'enrolment_closed').then((r) => r.status)).resolves.toBe(200);

      const res = await draw(c.id, countyOrganizer.token, { seed: 'abc' });

      expect(res.status).toBe(200);
      first = res.body;
      expect(first.seed).toBe('abc');
      expect(first.entries.map((e) => e.bib)).toEqual([1, 2, 3, 4]);
      expect(first.entries.map((e) => e.enrolmentId).sort()).toEqual([...approved].sort());
      const stored = await t.db.run((m) => m.find(Enrolment, { where: { competitionId: c.id } }));
      expect(Object.fromEntries(stored.filter((e) => e.bib !== null).map((e) => [e.id, e.bib]))).toEqual(bibsOf(first));
      expect(stored.filter((e) => notApproved.includes(e.id)).map((e) => e.bib)).toEqual([null, null, null]);
    });

    it('gives every entry the same bib again for the same seed, after a draw with a generated seed in between', async () => {
      const unseeded = await draw(c.id, countyOrganizer.token);
      const again = await draw(c.id, countyOrganizer.token, { seed: 'abc' });

      expect(unseeded.status).toBe(200);
      expect(unseeded.body.seed).toMatch(/^[0-9a-f]{32}$/);
      expect(unseeded.body.entries.map((e: { bib: number }) => e.bib)).toEqual([1, 2, 3, 4]);
      expect(bibsOf(again.body)).toEqual(bibsOf(first));
      const draws = (await trail('competition', c.id)).filter((e) => e.action === 'competition.draw');
      expect(draws.map((e) => [e.actorId, (e.after as { drawSeed: string }).drawSeed])).toEqual([
        [countyOrganizer.id, 'abc'],
        [countyOrganizer.id, unseeded.body.seed],
        [countyOrganizer.id, 'abc'],
      ]);
      expect((draws[0].after as { entries: unknown[] }).entries).toEqual(first.entries);
    });

    it('refuses a draw by an organizer of another subtree (403)', async () => {
      const res = await draw(c.id, otherCountyOrganizer.token, { seed: 'abc' });

      expect(res.status).toBe(403);
    });

    it('refuses a second draw once the competition is in progress (409) and keeps the bibs', async () => {
      await expect(transition(t, countyOrganizer.token, c.id, 'in_progress').then((r) => r.status)).resolves.toBe(200);

      const res = await draw(c.id, countyOrganizer.token, { seed: 'other' });

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'WRONG_STATE', message: expect.stringMatching(/in_progress/) });
      const stored = await t.db.run((m) => m.find(Enrolment, { where: { id: In(approved) } }));
      expect(Object.fromEntries(stored.map((e) => [e.id, e.bib]))).toEqual(bibsOf(first));
    });
  });
});
