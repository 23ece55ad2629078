import { AuditEntry } from '../../src/modules/audit/audit-entry.entity';
import { Award } from '../../src/modules/awards/award.entity';
import { AwardsService } from '../../src/modules/awards/awards.service';
import { Competition } from '../../src/modules/competitions/competition.entity';
import { OutboxEvent } from '../../src/modules/queue/outbox-event.entity';
import { AwardContest, decideAward, finalize, honours, listAwards, publishedContest, revokeAward } from '../factories/awards.factory';
import { createOrgTree, createUser } from '../factories/identity.factory';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';

type Orgs = Awaited<ReturnType<typeof createOrgTree>>;
type User = { id: string; token: string };

const EMPLOYER = '国网衢州供电公司工会';

/** The queue of certificate rendering: the certificates module writes one outbox event per issued award. */
const CERTIFICATES_QUEUE = 'certificates';

describe('awards', () => {
  let t: TestApp;
  let admin: string;
  let orgs: Orgs;
  let cityOrganizer: User;
  let countyOrganizer: User;
  let otherCountyOrganizer: User;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.adminToken();
    orgs = await createOrgTree(t);
    cityOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    countyOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.county.id });
    otherCountyOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.otherCounty.id });
  });
  afterAll(async () => t?.dispose());

  const awardsOf = (competitionId: string) => t.db.run((m) => m.find(Award, { where: { competitionId }, order: { rank: 'ASC', type: 'ASC', enrolmentId: 'ASC' } }));
  /** Outbox events of the certificates queue about these awards (by the award id in the payload). */
  const certificateEvents = (awardIds: string[]) =>
    t.db.run((m) => m.find(OutboxEvent, { where: { queue: CERTIFICATES_QUEUE } })).then((rows) => rows.filter((r) => awardIds.includes(String(r.payload.awardId))));

  describe('a city competition with a tie for first (direct medal policy)', () => {
    let c: AwardContest;
    const RULES = [
      { fromRank: 1, toRank: 1, award: 'may_day_medal' },
      { fromRank: 1, toRank: 4, award: 'technical_expert', minTotal: 60 },
    ];

    beforeAll(async () => {
      c = await publishedContest(t, cityOrganizer.token, {
        organizationId: orgs.city.id,
        employerOrgId: orgs.enterprise.id,
        judgeOrgId: orgs.city.id,
        over: { awardRules: RULES },
        entries: [
          // 90 and 90 (tied after every tie-breaker: same practical section, no time used), 70, 57.
          { name: '张小明', marks: { exam: 90, wiring: 36, safety: 9 }, registered: true },
          { name: '李建国', marks: { exam: 90, wiring: 36, safety: 9 } },
          { name: '王大力', marks: { exam: 70, wiring: 28, safety: 7 } },
          { name: '欧阳明', marks: { exam: 50, wiring: 25, safety: 5 } },
        ],
      });
    });

    it('shows no awards before the competition is final: 404 to the public, an empty list to its organizers', async () => {
      const pub = await listAwards(t, c.id);
      expect(pub.status).toBe(404);
      expect(pub.body.code).toBe('AWARDS_NOT_PUBLISHED');
      const own = await listAwards(t, c.id, cityOrganizer.token);
      expect(own.status).toBe(200);
      expect(own.body).toEqual({ items: [], total: 0 });
    });

    it('answers exactly one of 50 concurrent finalize requests 200 and the rest 409, and applies the rules once', async () => {
      const answers = await Promise.all(Array.from({ length: 50 }, () => finalize(t, admin, c.id)));
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(49);
      for (const r of answers.filter((a) => a.status === 409)) expect(r.body.code).toBe('INVALID_TRANSITION');

      const awards = await awardsOf(c.id);
      expect(awards).toHaveLength(5);
      const audits = await t.db.run((m) => m.find(AuditEntry, { where: { entityType: 'award' } }));
      expect(audits.filter((a) => awards.some((w) => w.id === a.entityId))).toHaveLength(5);
      const events = await certificateEvents(awards.map((a) => a.id));
      expect(events.map((e) => e.jobId).sort()).toEqual(awards.map((a) => `certificate-${a.id}`).sort());
    });

    it('gives the May-Day medal of the competition level to both contestants tied for first after all tie-breakers', async () => {
      const awards = await awardsOf(c.id);
      const medals = awards.filter((a) => a.type === 'may_day_medal');
      expect(medals.map((a) => a.enrolmentId).sort()).toEqual([c.byName('张小明').enrolmentId, c.byName('李建国').enrolmentId].sort());
      for (const m of medals) {
        expect(m).toMatchObject({ level: 'city', rank: 1, total: 9000, status: 'issued' });
        expect(m.issuedAt).toBeInstanceOf(Date);
        expect(m.workerId).toBe(c.entries.find((e) => e.enrolmentId === m.enrolmentId)!.workerId);
      }
    });

    it('gives 技术能手 to ranks 1–4 with a total of at least 60, so not to rank 4 with 57', async () => {
      const expert = (await awardsOf(c.id)).filter((a) => a.type === 'technical_expert');
      expect(expert.map((a) => [a.enrolmentId, a.rank, a.total]).sort()).toEqual(
        [
          [c.byName('张小明').enrolmentId, 1, 9000],
          [c.byName('李建国').enrolmentId, 1, 9000],
          [c.byName('王大力').enrolmentId, 3, 7000],
        ].sort(),
      );
      const ranked4 = await t.db.run((m) => m.find(Award, { where: { enrolmentId: c.byName('欧阳明').enrolmentId } }));
      expect(ranked4).toEqual([]);
    });

    it('inserts nothing when the rules are applied a second time', async () => {
      const before = await awardsOf(c.id);
      const auditsBefore = await t.db.run((m) => m.count(AuditEntry, { where: { entityType: 'award' } }));
      const awards = t.app.get(AwardsService);
      await t.db.transaction(async (m) => {
        const competition = await m.findOneByOrFail(Competition, { id: c.id });
        await awards.applyOnFinalize(m, competition, { user: { id: 'test', username: 'test', roles: ['admin'], organizationId: null, workerId: null } });
      });
      expect(await awardsOf(c.id)).toEqual(before);
      expect(await t.db.run((m) => m.count(AuditEntry, { where: { entityType: 'award' } }))).toBe(auditsBefore);
    });

    it('lists the awards to its organizers with full names, labels and totals in points, ranked', async () => {
      const res = await listAwards(t, c.id, cityOrganizer.token);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(5);
      expect(res.body.items.map((i: { type: string; rank: number }) => [i.rank, i.type])).toEqual([
        [1, 'may_day_medal'],
        [1, 'may_day_medal'],
        [1, 'technical_expert'],
        [1, 'technical_expert'],
        [3, 'technical_expert'],
      ]);
      const first = res.body.items[0];
      expect(first).toMatchObject({ level: 'city', label: '市五一劳动奖章', total: 90, status: 'issued', recipient: { organization: EMPLOYER } });
      expect(['张小明', '李建国']).toContain(first.recipient.name);
      expect(res.body.items[4]).toMatchObject({ label: '市技术能手', total: 70, recipient: { name: '王大力' } });
      for (const i of res.body.items) expect(i.certificate).toMatchObject({ id: expect.any(String), status: expect.any(String), serial: expect.any(String) });
    });

    it('lists them to anyone once final with masked names (张*明), never the full ones', async () => {
      const res = await listAwards(t, c.id);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(5);
      const names = res.body.items.map((i: { recipient: { name: string } }) => i.recipient.name);
      expect(names).toEqual(expect.arrayContaining(['张*明', '李*国', '王*力']));
      for (const full of ['张小明', '李建国', '王大力']) expect(JSON.stringify(res.body)).not.toContain(full);
      const page = await listAwards(t, c.id, undefined, '?limit=2&offset=4');
      expect(page.body).toMatchObject({ total: 5, items: [{ rank: 3, recipient: { name: '王*力' } }] });
    });

    it('labels the entries of the results export (市五一劳动奖章, 市技术能手)', async () => {
      const res = await t.http().get(`/api/competitions/${c.id}/results/export?format=csv`).set(bearer(cityOrganizer.token)).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (d: Buffer) => chunks.push(d));
        r.on('end', () => cb(null, Buffer.concat(chunks).toString('utf8')));
      });
      expect(res.status).toBe(200);
      const csv = res.body as string;
      const line = (name: string) => csv.split(/\r?\n/).find((l) => l.includes(name)) ?? '';
      expect(line('张小明')).toContain('市五一劳动奖章');
      expect(line('张小明')).toContain('市技术能手');
      expect(line('王大力')).toContain('市技术能手');
      expect(line('王大力')).not.toContain('五一劳动奖章');
      expect(line('欧阳明')).not.toMatch(/奖章|技术能手/);
    });

    it('shows a worker its honours: competition, award, rank, status and when it was issued', async () => {
      const me = c.byName('张小明');
      const res = await honours(t, me.token!);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(2);
      expect(res.body.items.map((i: { type: string }) => i.type)).toEqual(['may_day_medal', 'technical_expert']);
      expect(res.body.items[0]).toMatchObject({
        competition: { id: c.id, title: '2026年衢州市电工职业技能竞赛', level: 'city' },
        label: '市五一劳动奖章',
        level: 'city',
        rank: 1,
        total: 90,
        status: 'issued',
      });
      expect(Date.parse(res.body.items[0].issuedAt)).toBeGreaterThan(Date.now() - 600_000);
      expect(res.body.items[0]).toHaveProperty('certificate');
    });

    it('answers honours only for a worker: 403 for an organizer', async () => {
      const res = await honours(t, countyOrganizer.token);
      expect(res.status).toBe(403);
    });

    describe('revoking', () => {
      it('is refused to a worker (403), to an organizer outside the competition (403) and needs a reason (400)', async () => {
        const [award] = await awardsOf(c.id);
        expect((await revokeAward(t, c.byName('张小明').token!, award.id, '违规')).status).toBe(403);
        const outsider = await revokeAward(t, otherCountyOrganizer.token, award.id, '违规');
        expect(outsider.status).toBe(403);
        expect(outsider.body.code).toBe('OUT_OF_SCOPE');
        const noReason = await t.http().post(`/api/awards/${award.id}/revoke`).set(bearer(cityOrganizer.token)).send({});
        expect(noReason.status).toBe(400);
      });

      it('revokes an award for an organizer of the competition, audited; a second revocation is 409', async () => {
        const award = (await awardsOf(c.id)).find((a) => a.enrolmentId === c.byName('李建国').enrolmentId && a.type === 'technical_expert')!;
        const res = await revokeAward(t, cityOrganizer.token, award.id, '经查实理论考试成绩有误');
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: award.id, status: 'revoked', revokeReason: '经查实理论考试成绩有误' });
        const row = await t.db.run((m) => m.findOneByOrFail(Award, { id: award.id }));
        expect(row).toMatchObject({ status: 'revoked', revokedBy: cityOrganizer.id, revokeReason: '经查实理论考试成绩有误' });
        const trail = await t.db.run((m) => m.find(AuditEntry, { where: { entityType: 'award', entityId: award.id }, order: { at: 'ASC' } }));
        expect(trail.map((a) => a.action)).toEqual(['award.issue', 'award.revoke']);
        expect(trail[1]).toMatchObject({ actorId: cityOrganizer.id, before: { status: 'issued' }, after: { status: 'revoked' } });
        const again = await revokeAward(t, cityOrganizer.token, award.id, '再次撤销');
        expect(again.status).toBe(409);
        expect(again.body.code).toBe('AWARD_ALREADY_REVOKED');
        // The public still sees it, as revoked (a certificate verifies as revoked).
        const pub = await listAwards(t, c.id);
        expect(pub.body.items.find((i: { id: string }) => i.id === award.id)).toMatchObject({ status: 'revoked' });
      });

      it('answers 404 for an unknown award and 400 for a malformed id', async () => {
        expect((await revokeAward(t, cityOrganizer.token, '00000000-0000-4000-8000-000000000000', '撤销')).status).toBe(404);
        expect((await revokeAward(t, cityOrganizer.token, 'not-a-uuid', '撤销')).status).toBe(400);
      });
    });
  });

  describe('a county competition under medalPolicy nominate', () => {
    let c: AwardContest;

    beforeAll(async () => {
      c = await publishedContest(t, countyOrganizer.token, {
        organizationId: orgs.county.id,
        employerOrgId: orgs.enterprise.id,
        judgeOrgId: orgs.county.id,
        over: { level: 'county', medalPolicy: 'nominate', title: '2026年柯城区电工技能竞赛', awardRules: [] },
        entries: [
          { name: '赵一鸣', marks: { exam: 95, wiring: 38, safety: 9 }, registered: true },
          { name: '钱二宝', marks: { exam: 95, wiring: 38, safety: 9 } },
          { name: '孙三立', marks: { exam: 60, wiring: 30, safety: 6 } },
        ],
      });
      const res = await finalize(t, admin, c.id);
      if (res.status !== 200) throw new Error(`finalize failed: ${res.status} ${JSON.stringify(res.body)}`);
    });

    const medalOf = async (name: string) => (await awardsOf(c.id)).find((a) => a.enrolmentId === c.byName(name).enrolmentId)!;

    it('nominates everyone tied for first for the county medal, by the default rule (no award issued, no certificate yet)', async () => {
      const awards = await awardsOf(c.id);
      expect(awards.map((a) => [a.enrolmentId, a.type, a.level, a.status, a.issuedAt]).sort()).toEqual(
        [
          [c.byName('赵一鸣').enrolmentId, 'may_day_medal', 'county', 'nominated', null],
          [c.byName('钱二宝').enrolmentId, 'may_day_medal', 'county', 'nominated', null],
        ].sort(),
      );
      expect(await certificateEvents(awards.map((a) => a.id))).toHaveLength(0);
    });

    it('hides nominations from the public, shows them to the organizers and to the nominee', async () => {
      const pub = await listAwards(t, c.id);
      expect(pub.status).toBe(200);
      expect(pub.body).toEqual({ items: [], total: 0 });
      const own = await listAwards(t, c.id, countyOrganizer.token);
      expect(own.body.total).toBe(2);
      expect(own.body.items.map((i: { status: string; label: string }) => [i.status, i.label])).toEqual([
        ['nominated', '县五一劳动奖章'],
        ['nominated', '县五一劳动奖章'],
      ]);
      for (const i of own.body.items) expect(i.certificate).toBeNull();
      const mine = await honours(t, c.byName('赵一鸣').token!);
      expect(mine.body.items).toMatchObject([{ type: 'may_day_medal', status: 'nominated', issuedAt: null, competition: { id: c.id, level: 'county' } }]);
    });

    it('refuses the decision to the organizer of the competition’s own organization (403) and hides it from another county (404)', async () => {
      const award = await medalOf('赵一鸣');
      const own = await decideAward(t, countyOrganizer.token, award.id, 'approve');
      expect(own.status).toBe(403);
      expect(own.body.code).toBe('PARENT_ORGANIZATION_ONLY');
      const other = await decideAward(t, otherCountyOrganizer.token, award.id, 'approve');
      expect(other.status).toBe(404);
      const worker = await decideAward(t, c.byName('赵一鸣').token!, award.id, 'approve');
      expect(worker.status).toBe(403);
      expect((await medalOf('赵一鸣')).status).toBe('nominated');
    });

    it('issues the medal once when an organizer of the parent organization approves (10 at once: one 200, nine 409), audited', async () => {
      const award = await medalOf('赵一鸣');
      const answers = await Promise.all(Array.from({ length: 10 }, () => decideAward(t, cityOrganizer.token, award.id, 'approve', '经市总工会审核同意')));
      expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(409)]);
      for (const a of answers.filter((x) => x.status === 409)) expect(a.body.code).toBe('AWARD_NOT_NOMINATED');
      const res = answers.find((a) => a.status === 200)!;
      expect(res.body).toMatchObject({ id: award.id, status: 'issued', label: '县五一劳动奖章', decisionReason: '经市总工会审核同意' });
      const row = await medalOf('赵一鸣');
      expect(row).toMatchObject({ status: 'issued', decidedBy: cityOrganizer.id });
      expect(row.issuedAt).toBeInstanceOf(Date);
      const trail = await t.db.run((m) => m.find(AuditEntry, { where: { entityType: 'award', entityId: award.id }, order: { at: 'ASC' } }));
      expect(trail.map((a) => a.action)).toEqual(['award.nominate', 'award.approve']);
      expect((await certificateEvents([award.id])).map((e) => e.jobId)).toEqual([`certificate-${award.id}`]);

      const again = await decideAward(t, cityOrganizer.token, award.id, 'decline');
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('AWARD_NOT_NOMINATED');
      const pub = await listAwards(t, c.id);
      expect(pub.body).toMatchObject({ total: 1, items: [{ id: award.id, status: 'issued', recipient: { name: '赵*鸣' }, certificate: { serial: expect.any(String) } }] });
      const mine = await honours(t, c.byName('赵一鸣').token!);
      expect(mine.body.items).toMatchObject([{ id: award.id, status: 'issued' }]);
    });

    it('declines a nomination for an admin; a declined one cannot be revoked and stays hidden from the public', async () => {
      const award = await medalOf('钱二宝');
      const res = await decideAward(t, admin, award.id, 'decline', '名额已满');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'declined', issuedAt: null });
      expect(await certificateEvents([award.id])).toHaveLength(0);
      const revoke = await revokeAward(t, countyOrganizer.token, award.id, '撤销');
      expect(revoke.status).toBe(409);
      expect(revoke.body.code).toBe('AWARD_DECLINED');
      const pub = await listAwards(t, c.id);
      expect(pub.body.items.map((i: { id: string }) => i.id)).not.toContain(award.id);
    });

    it('answers 400 for a decision that is neither approve nor decline', async () => {
      const award = await medalOf('赵一鸣');
      const res = await t.http().post(`/api/awards/${award.id}/decision`).set(bearer(cityOrganizer.token)).send({ decision: 'maybe' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('a team competition', () => {
    it('gives the first team 工人先锋号 instead of the medal', async () => {
      const c = await publishedContest(t, cityOrganizer.token, {
        organizationId: orgs.city.id,
        employerOrgId: orgs.otherEnterprise.id,
        judgeOrgId: orgs.city.id,
        over: { contestantType: 'team', title: '2026年衢州市班组技能竞赛', awardRules: [] },
        entries: [
          { name: '运检一班', marks: { exam: 90, wiring: 36, safety: 9 } },
          { name: '运检二班', marks: { exam: 80, wiring: 30, safety: 8 } },
        ],
      });
      expect((await finalize(t, admin, c.id)).status).toBe(200);
      const awards = await awardsOf(c.id);
      expect(awards.map((a) => [a.enrolmentId, a.type, a.status])).toEqual([[c.byName('运检一班').enrolmentId, 'worker_pioneer', 'issued']]);
      const res = await listAwards(t, c.id);
      expect(res.body.items[0]).toMatchObject({ label: '市工人先锋号', recipient: { organization: '巨化集团工会' } });
    });
  });
});
