import { randomBytes } from 'node:crypto';
import { AuditService } from '../../src/modules/audit/audit.service';
import { Competition } from '../../src/modules/competitions/competition.entity';
import { bearer, createTestApp, randomUUID, TestApp } from '../utils/create-test-app';
import { createOrgTree, createUser } from '../factories/identity.factory';
import {
  competitionBody,
  createCompetition,
  decide,
  enrolNewWorkers,
  openCompetition,
  readyToStart,
  scheduleAroundNow,
  transition,
} from '../factories/competition.factory';

// jest ignores the e2e project's testTimeout in jest.config.js (a global-only option): set it here.
jest.setTimeout(60_000);

type Orgs = Awaited<ReturnType<typeof createOrgTree>>;
type Organizer = { id: string; token: string };

describe('competitions (e2e)', () => {
  let t: TestApp;
  let orgs: Orgs;
  /** Organizers of 衢州市总工会 (the root), 柯城区总工会 and 衢江区总工会 (its sibling). */
  let cityOrganizer: Organizer;
  let countyOrganizer: Organizer;
  let otherCountyOrganizer: Organizer;
  /** A user with the worker role only. */
  let workerToken: string;

  const audit = (id: string) => t.app.get(AuditService).forEntity('competition', id);
  const get = (id: string, token?: string) => {
    const req = t.http().get(`/api/competitions/${id}`);
    return token ? req.set(bearer(token)) : req;
  };
  const patch = (id: string, token: string, body: Record<string, unknown>) => t.http().patch(`/api/competitions/${id}`).set(bearer(token)).send(body);

  beforeAll(async () => {
    t = await createTestApp();
    const admin = await t.adminToken();
    orgs = await createOrgTree(t);
    cityOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    countyOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.county.id });
    otherCountyOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.otherCounty.id });
    workerToken = (await createUser(t, admin, { roles: ['worker'], organizationId: orgs.enterprise.id })).token;
  });
  afterAll(async () => t?.dispose());

  describe('POST /api/competitions', () => {
    it('creates a draft with rank 1 ⇒ may_day_medal, the direct medal policy and the owner’s level when they are not given', async () => {
      const res = await t
        .http()
        .post('/api/competitions')
        .set(bearer(countyOrganizer.token))
        .send({ title: '柯城区电工岗位练兵', kind: 'skills', organizationId: orgs.county.id });

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        title: '柯城区电工岗位练兵',
        kind: 'skills',
        level: 'county',
        organizationId: orgs.county.id,
        contestantType: 'individual',
        status: 'draft',
        awardRules: [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }],
        medalPolicy: 'direct',
        publicityDays: 5,
        scoring: null,
        schedule: {},
      });
      const trail = await audit(res.body.id);
      expect(trail.map((e) => e.action)).toEqual(['competition.create']);
      expect(trail[0].actorId).toBe(countyOrganizer.id);
    });

    it('accepts the create body of API.md and returns its schedule, rules, scheme, tie-breakers and award rules as sent', async () => {
      const body = competitionBody(orgs.city.id);

      const res = await t.http().post('/api/competitions').set(bearer(cityOrganizer.token)).send(body);

      expect(res.status).toBe(201);
      const { organizationId, title, kind, level, trade, contestantType, schedule, enrolmentRules, scoring, tieBreakers, awardRules, publicityDays, medalPolicy } = body;
      expect(res.body).toMatchObject({ organizationId, title, kind, level, trade, contestantType, enrolmentRules, scoring, tieBreakers, awardRules, publicityDays, medalPolicy, status: 'draft' });
      expect(res.body.schedule).toEqual(schedule);
      const read = await get(res.body.id, cityOrganizer.token);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(res.body);
    });

    it('answers 400 naming every failure of the scheme at once: weights not summing to 100, trimmed_mean with 2 judges and a duplicate key', async () => {
      const body = competitionBody(orgs.city.id, {
        scoring: {
          sections: [
            { key: 'theory', name: '理论知识', weight: 30, criteria: [{ key: 'exam', name: '笔试', maxScore: 100, type: 'measurement', judgesRequired: 1, aggregation: 'single' }] },
            {
              key: 'practical',
              name: '技能操作',
              weight: 60,
              criteria: [
                { key: 'wiring', name: '线路安装', maxScore: 40, type: 'judgement', judgesRequired: 2, aggregation: 'trimmed_mean' },
                { key: 'exam', name: '安全文明生产', maxScore: 10, type: 'judgement', judgesRequired: 3, aggregation: 'mean' },
              ],
            },
          ],
        },
      });
      const before = await t.db.run((m) => m.count(Competition));

      const res = await t.http().post('/api/competitions').set(bearer(cityOrganizer.token)).send(body);

      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/weights must sum to 100 \(they sum to 90\)/),
          expect.stringMatching(/^scoring\.sections\[1\]\.criteria\[0\].*trimmed_mean.*judgesRequired of at least 3/),
          expect.stringMatching(/^scoring\.sections\[1\]\.criteria\[1\]\.key "exam" is used by another criterion/),
        ]),
      );
      expect(res.body.message).toHaveLength(3);
      await expect(t.db.run((m) => m.count(Competition))).resolves.toBe(before);
    });

    it('answers 400 naming a tie-breaker of an unknown section, an inverted rank range, a minTotal above 100 and a schedule out of order', async () => {
      const s = scheduleAroundNow();
      const body = competitionBody(orgs.city.id, {
        tieBreakers: [{ by: 'section', key: 'oral', order: 'desc' }],
        awardRules: [{ fromRank: 3, toRank: 1, award: 'prize_1' }, { fromRank: 1, toRank: 1, award: 'technical_expert', minTotal: 120 }],
        schedule: { ...s, startsAt: s.enrolmentOpensAt },
      });

      const res = await t.http().post('/api/competitions').set(bearer(cityOrganizer.token)).send(body);

      expect(res.status).toBe(400);
      expect(res.body.message).toEqual([
        expect.stringMatching(/^tieBreakers\[0\]\.key "oral" names no section/),
        expect.stringMatching(/^awardRules\[0\]\.toRank must be a whole number not below fromRank/),
        expect.stringMatching(/^awardRules\[1\]\.minTotal must be from 0 to 100/),
        expect.stringMatching(/^schedule\.startsAt must come after schedule\.enrolmentClosesAt/),
      ]);
    });

    it('answers 400 naming an award type that is not in the glossary', async () => {
      const body = competitionBody(orgs.city.id, { awardRules: [{ fromRank: 1, toRank: 1, award: 'golden_spanner' }] });

      const res = await t.http().post('/api/competitions').set(bearer(cityOrganizer.token)).send(body);

      expect(res.status).toBe(400);
      expect(res.body.message).toEqual([expect.stringMatching(/^awardRules(\.0|\[0\])\.award: .*may_day_medal/)]);
    });

    it('answers 400 naming each unknown field, at the top level and nested in the scheme and the schedule', async () => {
      const body = competitionBody(orgs.city.id, { sponsor: '国网' });
      const scoring = body.scoring as { sections: Array<Record<string, unknown>> };
      scoring.sections[0].foo = 1;
      (body.schedule as Record<string, unknown>).registrationDeadline = new Date().toISOString();

      const res = await t.http().post('/api/competitions').set(bearer(cityOrganizer.token)).send(body);

      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const message = (res.body.message as string[]).join('\n');
      expect(message).toMatch(/^sponsor\b.*should not exist/m);
      expect(message).toMatch(/^scoring\.sections(\.0|\[0\])\.foo\b.*should not exist/m);
      expect(message).toMatch(/^schedule\.registrationDeadline\b.*should not exist/m);
    });

    it('answers 400 naming the title when it is blank, and trims title and trade', async () => {
      const blank = await t.http().post('/api/competitions').set(bearer(cityOrganizer.token)).send(competitionBody(orgs.city.id, { title: '   ' }));
      const padded = await t.http().post('/api/competitions').set(bearer(cityOrganizer.token)).send(competitionBody(orgs.city.id, { title: ' 电工比武 ', trade: ' 电工 ' }));

      expect(blank.status).toBe(400);
      expect(blank.body.message).toEqual([expect.stringMatching(/^title\b/)]);
      expect(padded.body).toMatchObject({ title: '电工比武', trade: '电工' });
    });

    it('refuses a worker creating a competition (403)', async () => {
      const res = await t.http().post('/api/competitions').set(bearer(workerToken)).send(competitionBody(orgs.enterprise.id));

      expect(res.status).toBe(403);
      expect(res.body.code).toBe('ROLE_REQUIRED');
    });

    it('refuses an organizer creating a competition for an organization outside its subtree (403)', async () => {
      const res = await t.http().post('/api/competitions').set(bearer(countyOrganizer.token)).send(competitionBody(orgs.otherCounty.id));

      expect(res.status).toBe(403);
      expect(res.body.code).toBe('OUT_OF_SCOPE');
    });
  });

  describe('GET /api/competitions and /api/competitions/:id', () => {
    /** Every title carries the marker, so that the other tests’ competitions stay out of these lists. */
    const marker = `L${randomBytes(4).toString('hex')}`;
    let cityOpen: { id: string };
    let countyOpen: { id: string };
    let countyDraft: { id: string };
    let otherCountyDraft: { id: string };

    const list = async (query: string, token?: string) => {
      const req = t.http().get(`/api/competitions?${query}`);
      const res = await (token ? req.set(bearer(token)) : req);
      expect(res.status).toBe(200);
      return res.body as { items: Array<{ id: string }>; total: number };
    };
    const ids = (page: { items: Array<{ id: string }> }) => page.items.map((c) => c.id).sort();
    const sorted = (...cs: Array<{ id: string }>) => cs.map((c) => c.id).sort();

    beforeAll(async () => {
      cityOpen = await openCompetition(t, cityOrganizer.token, orgs.city.id, { title: `${marker}-衢州市电工职业技能竞赛` });
      countyOpen = await openCompetition(t, countyOrganizer.token, orgs.county.id, { title: `${marker}-柯城区“安康杯”竞赛`, kind: 'safety', level: 'county', trade: '安全员' });
      countyDraft = await createCompetition(t, countyOrganizer.token, orgs.county.id, { title: `${marker}-柯城区焊工比武`, level: 'county', trade: '焊工' });
      otherCountyDraft = await createCompetition(t, otherCountyOrganizer.token, orgs.otherCounty.id, { title: `${marker}-衢江区电工比武`, level: 'county' });
    });

    it('lists only competitions past draft to anonymous users', async () => {
      const page = await list(`q=${marker}`);

      expect(ids(page)).toEqual(sorted(cityOpen, countyOpen));
      expect(page.total).toBe(2);
    });

    it('shows an organizer the drafts of its own subtree and no others', async () => {
      await expect(list(`q=${marker}`, cityOrganizer.token).then(ids)).resolves.toEqual(sorted(cityOpen, countyOpen, countyDraft, otherCountyDraft));
      await expect(list(`q=${marker}`, countyOrganizer.token).then(ids)).resolves.toEqual(sorted(cityOpen, countyOpen, countyDraft));
      await expect(list(`q=${marker}`, otherCountyOrganizer.token).then(ids)).resolves.toEqual(sorted(cityOpen, countyOpen, otherCountyDraft));
      await expect(list(`q=${marker}`, workerToken).then(ids)).resolves.toEqual(sorted(cityOpen, countyOpen));
    });

    it('answers 404 for a draft to anonymous users, workers and organizers of another subtree, and 200 to organizers of the owner’s subtree', async () => {
      await expect(get(countyDraft.id).then((r) => r.status)).resolves.toBe(404);
      await expect(get(countyDraft.id, workerToken).then((r) => r.status)).resolves.toBe(404);
      await expect(get(countyDraft.id, otherCountyOrganizer.token).then((r) => r.status)).resolves.toBe(404);
      await expect(get(countyDraft.id, countyOrganizer.token).then((r) => r.status)).resolves.toBe(200);
      await expect(get(countyDraft.id, cityOrganizer.token).then((r) => r.status)).resolves.toBe(200);
    });

    it('shows an open competition with its scheme and rules to anonymous users', async () => {
      const res = await get(countyOpen.id);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: countyOpen.id, status: 'enrolment_open', kind: 'safety' });
      expect(res.body.scoring.sections.map((s: { key: string }) => s.key)).toEqual(['theory', 'practical']);
      expect(res.body.enrolmentRules).toEqual({ minAge: 18, maxAge: 55, minSkillLevel: 4, quotaPerOrganization: 3 });
    });

    it.each([
      ['status=draft', () => [countyDraft, otherCountyDraft]],
      ['status=enrolment_open', () => [cityOpen, countyOpen]],
      ['kind=safety', () => [countyOpen]],
      ['level=county', () => [countyOpen, countyDraft, otherCountyDraft]],
      ['level=city', () => [cityOpen]],
      ['trade=焊工', () => [countyDraft]],
    ])('filters by %s', async (filter, expected) => {
      const page = await list(`q=${marker}&${encodeURI(filter)}`, cityOrganizer.token);

      expect(ids(page)).toEqual(sorted(...expected()));
      expect(page.total).toBe(expected().length);
    });

    it('filters by the owning organization', async () => {
      const page = await list(`q=${marker}&organizationId=${orgs.county.id}`, cityOrganizer.token);

      expect(ids(page)).toEqual(sorted(countyOpen, countyDraft));
    });

    it('filters by a part of the title, treating % and _ as plain characters', async () => {
      await expect(list(`q=${encodeURIComponent(`${marker}-柯城区`)}`, cityOrganizer.token).then(ids)).resolves.toEqual(sorted(countyOpen, countyDraft));
      await expect(list(`q=${encodeURIComponent(`${marker}%`)}`, cityOrganizer.token).then((p) => p.total)).resolves.toBe(0);
      await expect(list(`q=${encodeURIComponent(`${marker.slice(0, -1)}_`)}`, cityOrganizer.token).then((p) => p.total)).resolves.toBe(0);
    });

    it('pages with limit and offset, giving the total of all matches on every page', async () => {
      const first = await list(`q=${marker}&limit=3&offset=0`, cityOrganizer.token);
      const second = await list(`q=${marker}&limit=3&offset=3`, cityOrganizer.token);
      const beyond = await list(`q=${marker}&limit=3&offset=4`, cityOrganizer.token);

      expect(first.items).toHaveLength(3);
      expect(second.items).toHaveLength(1);
      expect(beyond.items).toHaveLength(0);
      expect([first.total, second.total, beyond.total]).toEqual([4, 4, 4]);
      expect([...ids(first), ...ids(second)].sort()).toEqual(sorted(cityOpen, countyOpen, countyDraft, otherCountyDraft));
    });

    it('answers 400 for an unknown status filter and a limit above 200', async () => {
      const badStatus = await t.http().get('/api/competitions?status=running');
      const badLimit = await t.http().get('/api/competitions?limit=1000');

      expect(badStatus.status).toBe(400);
      expect(badStatus.body.message).toEqual([expect.stringMatching(/^status/)]);
      expect(badLimit.status).toBe(400);
      expect(badLimit.body.message).toEqual([expect.stringMatching(/^limit/)]);
    });

    it('answers 404 for a competition that does not exist and 400 for a malformed id', async () => {
      await expect(get(randomUUID()).then((r) => [r.status, r.body.code])).resolves.toEqual([404, 'COMPETITION_NOT_FOUND']);
      await expect(get('not-a-uuid').then((r) => r.status)).resolves.toBe(400);
    });
  });

  describe('PATCH /api/competitions/:id', () => {
    it('edits a draft, keeps the schedule fields it was not sent, bumps the version and writes an audit entry', async () => {
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id, { title: '柯城区电工比武（草稿）', level: 'county' });
      const startsAt = new Date(Date.parse(c.schedule.startsAt as string) + 3_600_000).toISOString();

      const res = await patch(c.id, countyOrganizer.token, { title: '柯城区电工比武', publicityDays: 7, schedule: { startsAt }, version: c.version });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ title: '柯城区电工比武', publicityDays: 7, version: c.version + 1, status: 'draft' });
      expect(res.body.schedule).toEqual({ ...(c.schedule as object), startsAt });
      const trail = await audit(c.id);
      expect(trail.map((e) => e.action)).toEqual(['competition.create', 'competition.update']);
      expect(trail[1]).toMatchObject({
        actorId: countyOrganizer.id,
        before: expect.objectContaining({ title: '柯城区电工比武（草稿）', publicityDays: 5 }),
        after: expect.objectContaining({ title: '柯城区电工比武', publicityDays: 7 }),
      });
    });

    it('checks an edited scheme like a new one (400 naming the failure)', async () => {
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id, { level: 'county' });
      const scoring = competitionBody(orgs.county.id).scoring;
      scoring.sections[0].criteria[0].judgesRequired = 2;

      const res = await patch(c.id, countyOrganizer.token, { scoring });

      expect(res.status).toBe(400);
      expect(res.body.message).toEqual([expect.stringMatching(/^scoring\.sections\[0\]\.criteria\[0\]: single aggregation needs judgesRequired of exactly 1/)]);
    });

    it('puts fields sent as null back to their defaults: no trade, no tie-breakers, rank 1 ⇒ may_day_medal', async () => {
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id);

      const res = await patch(c.id, countyOrganizer.token, { trade: null, tieBreakers: null, awardRules: null, enrolmentRules: null, version: null });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ trade: null, tieBreakers: [], awardRules: [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }], enrolmentRules: {} });
    });

    it('answers 409 STALE_VERSION for a version that is no longer current and changes nothing', async () => {
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id, { title: '原标题', level: 'county' });
      await expect(patch(c.id, countyOrganizer.token, { publicityDays: 6, version: c.version }).then((r) => r.status)).resolves.toBe(200);

      const res = await patch(c.id, countyOrganizer.token, { title: '迟到的修改', version: c.version });

      expect(res.status).toBe(409);
      expect(res.body.code).toBe('STALE_VERSION');
      expect(res.body.message).toMatch(/version/);
      await expect(get(c.id, countyOrganizer.token).then((r) => r.body.title)).resolves.toBe('原标题');
    });

    it('answers 409 COMPETITION_NOT_EDITABLE once enrolment is open', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, { level: 'county' });

      const res = await patch(c.id, countyOrganizer.token, { title: '开放后修改' });

      expect(res.status).toBe(409);
      expect(res.body.code).toBe('COMPETITION_NOT_EDITABLE');
      expect(res.body.message).toMatch(/only in draft.*enrolment_open/);
    });

    it('answers 400 naming organizationId: the owner of a competition cannot be changed', async () => {
      const c = await createCompetition(t, cityOrganizer.token, orgs.city.id);

      const res = await patch(c.id, cityOrganizer.token, { organizationId: orgs.county.id });

      expect(res.status).toBe(400);
      expect(res.body.message).toEqual([expect.stringMatching(/^organizationId\b/)]);
      await expect(get(c.id, cityOrganizer.token).then((r) => r.body.organizationId)).resolves.toBe(orgs.city.id);
    });

    it('refuses an organizer of another subtree: 403 for an open competition, 404 for a draft, on edits and transitions alike', async () => {
      const open = await openCompetition(t, countyOrganizer.token, orgs.county.id, { level: 'county' });
      const draft = await createCompetition(t, countyOrganizer.token, orgs.county.id, { level: 'county' });

      const patchOpen = await patch(open.id, otherCountyOrganizer.token, { title: '越权' });
      const transitionOpen = await transition(t, otherCountyOrganizer.token, open.id, 'cancelled');
      const patchDraft = await patch(draft.id, otherCountyOrganizer.token, { title: '越权' });
      const transitionDraft = await transition(t, otherCountyOrganizer.token, draft.id, 'enrolment_open');

      expect([patchOpen.status, transitionOpen.status]).toEqual([403, 403]);
      expect(patchOpen.body.code).toBe('OUT_OF_SCOPE');
      expect([patchDraft.status, transitionDraft.status]).toEqual([404, 404]);
      await expect(get(open.id).then((r) => r.body.status)).resolves.toBe('enrolment_open');
      await expect(get(draft.id, countyOrganizer.token).then((r) => [r.body.status, r.body.title])).resolves.toEqual(['draft', draft.title]);
    });

    it('refuses an organizer of a child organization on its parent’s competition (403)', async () => {
      const open = await openCompetition(t, cityOrganizer.token, orgs.city.id);

      const res = await transition(t, countyOrganizer.token, open.id, 'cancelled');

      expect(res.status).toBe(403);
    });
  });

  describe('POST /api/competitions/:id/transitions', () => {
    it('answers 409 SCHEME_MISSING when opening enrolment without a scoring scheme', async () => {
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id, { scoring: undefined, tieBreakers: [{ by: 'timeUsed', order: 'asc' }] });

      const res = await transition(t, countyOrganizer.token, c.id, 'enrolment_open');

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'SCHEME_MISSING', message: expect.stringMatching(/scoring scheme/) });
    });

    it('answers 409 NO_ENROLMENT_WINDOW when opening enrolment without enrolmentOpensAt and enrolmentClosesAt', async () => {
      const { startsAt, endsAt } = scheduleAroundNow();
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id, { schedule: { startsAt, endsAt } });

      const res = await transition(t, countyOrganizer.token, c.id, 'enrolment_open');

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'NO_ENROLMENT_WINDOW', message: expect.stringMatching(/enrolmentOpensAt.*enrolmentClosesAt/) });
      await expect(get(c.id, countyOrganizer.token).then((r) => r.body.status)).resolves.toBe('draft');
    });

    it('answers 409 TOO_FEW_ENTRIES, saying how many are approved, when closing enrolment with fewer than 2 approved entries', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, { enrolmentRules: {} });
      const [first] = await enrolNewWorkers(t, countyOrganizer.token, c.id, orgs.enterprise.id, 2);
      await expect(decide(t, countyOrganizer.token, first, 'approve').then((r) => r.status)).resolves.toBe(200);

      const res = await transition(t, countyOrganizer.token, c.id, 'enrolment_closed');

      expect(res.status).toBe(409);
      expect(res.body.code).toBe('TOO_FEW_ENTRIES');
      expect(res.body.message).toMatch(/at least 2 approved entries \(there are 1\)/);
    });

    it('answers 409 BIBS_NOT_DRAWN when starting before the draw', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id, { enrolmentRules: {} });
      for (const id of await enrolNewWorkers(t, countyOrganizer.token, c.id, orgs.enterprise.id, 2)) await decide(t, countyOrganizer.token, id, 'approve');
      await expect(transition(t, countyOrganizer.token, c.id, 'enrolment_closed').then((r) => r.status)).resolves.toBe(200);

      const res = await transition(t, countyOrganizer.token, c.id, 'in_progress');

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'BIBS_NOT_DRAWN', message: expect.stringMatching(/bib numbers drawn/) });
    });

    it.each([
      ['draft', 'in_progress'],
      ['draft', 'enrolment_closed'],
      ['draft', 'finalized'],
    ])('answers 409 INVALID_TRANSITION for skipping from %s to %s, naming the possible next states', async (_from, to) => {
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id);

      const res = await transition(t, countyOrganizer.token, c.id, to);

      expect(res.status).toBe(409);
      expect(res.body.code).toBe('INVALID_TRANSITION');
      expect(res.body.message).toMatch(new RegExp(`draft cannot move to ${to} \\(possible: enrolment_open, cancelled\\)`));
    });

    it('answers 400 for a target that is not a lifecycle state, and 403 for an organizer asking to force', async () => {
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id);

      const unknown = await transition(t, countyOrganizer.token, c.id, 'archived');
      const forced = await t.http().post(`/api/competitions/${c.id}/transitions`).set(bearer(countyOrganizer.token)).send({ to: 'enrolment_open', force: true });

      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toEqual([expect.stringMatching(/^to\b/)]);
      expect(forced.status).toBe(403);
      expect(forced.body.code).toBe('FORCE_NOT_ALLOWED');
    });

    it('takes a competition draft → enrolment_open → enrolment_closed → (draw) → in_progress, auditing each transition with actor, before, after and time', async () => {
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id, { enrolmentRules: {} });
      const opened = await transition(t, countyOrganizer.token, c.id, 'enrolment_open');
      expect([opened.status, opened.body.status]).toEqual([200, 'enrolment_open']);
      const entries = await enrolNewWorkers(t, countyOrganizer.token, c.id, orgs.enterprise.id, 3);

      const draw = await readyToStart(t, countyOrganizer.token, c.id, entries, 'path');
      const started = await transition(t, countyOrganizer.token, c.id, 'in_progress');

      expect(draw.entries.map((e) => e.bib).sort()).toEqual([1, 2, 3]);
      expect([started.status, started.body.status]).toEqual([200, 'in_progress']);
      await expect(get(c.id).then((r) => r.body.status)).resolves.toBe('in_progress');
      const transitions = (await audit(c.id)).filter((e) => e.action === 'competition.transition');
      expect(transitions.map((e) => [e.before, e.after])).toEqual([
        [{ status: 'draft' }, { status: 'enrolment_open', force: false }],
        [{ status: 'enrolment_open' }, { status: 'enrolment_closed', force: false }],
        [{ status: 'enrolment_closed' }, { status: 'in_progress', force: false }],
      ]);
      for (const e of transitions) {
        expect(e.actorId).toBe(countyOrganizer.id);
        expect(e.at).toBeInstanceOf(Date);
        expect(Math.abs(e.at.getTime() - Date.now())).toBeLessThan(60_000);
      }
    });

    it('cancels an open competition, audits it, and refuses any transition after', async () => {
      const c = await openCompetition(t, countyOrganizer.token, orgs.county.id);

      const cancelled = await transition(t, countyOrganizer.token, c.id, 'cancelled');
      const after = await transition(t, countyOrganizer.token, c.id, 'enrolment_open');

      expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
      expect(after.status).toBe(409);
      expect(after.body).toMatchObject({ code: 'INVALID_TRANSITION', message: expect.stringMatching(/final/) });
      const last = (await audit(c.id)).at(-1)!;
      expect(last).toMatchObject({ action: 'competition.transition', actorId: countyOrganizer.id, before: { status: 'enrolment_open' }, after: { status: 'cancelled', force: false } });
    });

    it('cancels a draft', async () => {
      const c = await createCompetition(t, countyOrganizer.token, orgs.county.id);

      const res = await transition(t, countyOrganizer.token, c.id, 'cancelled');

      expect([res.status, res.body.status]).toEqual([200, 'cancelled']);
    });
  });
});
