/**
 * One competition from draft to certificates, through the HTTP API only (workers in the same process), on
 * SQLite or, with DATABASE_URL, on PostgreSQL: configure → enrol (self and by the organizer) → approve →
 * draw → judge (a panel of five, trimmed mean) → lock → publish → appeal upheld, a mark changed → finalize
 * (refused during the notice period and with an open appeal, then forced by an admin) → awards → signed
 * certificates, verified publicly, downloaded by the recipients, listed as honours, exported.
 * Each `it` continues the story of the one before.
 */
import { parse } from 'csv-parse/sync';
import { createHash } from 'node:crypto';
import { competitionBody, newWorker, registeredWorker, transition } from '../factories/competition.factory';
import { createOrgTree, createUser } from '../factories/identity.factory';
import { Progress, downloadCertificate, waitForProgress } from '../factories/certificates.factory';
import { must } from '../factories/lifecycle.factory';
import { nextClientId } from '../factories/ranking.factory';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';
import { pdfText } from '../utils/pdf-text';
import { parsePublicKey, verifySignature } from '../../src/modules/certificates/render/signing';

jest.setTimeout(90_000);

type Orgs = Awaited<ReturnType<typeof createOrgTree>>;
type User = { id: string; token: string };

const RARE = '张㛃𠇔'; // 㛃 is in Noto Sans SC, 𠇔 (U+201D4) only in the fallback (Debian's Noto Sans CJK)
const EMPLOYER = '国网衢州供电公司工会';
const ISSUER = '衢州市总工会';
const MEDAL = '市五一劳动奖章';
const EXPERT = '市技术能手';
const AWARD_RULES = [
  { fromRank: 1, toRank: 1, award: 'may_day_medal' },
  { fromRank: 1, toRank: 3, award: 'technical_expert', minTotal: 60 },
];

/**
 * The marks of each contestant under the API.md scheme: exam (the chief alone), wiring (all five judges,
 * trimmed mean: highest and lowest dropped), safety (the first three, mean). wiring[0] is the chief's.
 * total = 0.3 × exam + 0.7 × (wiring + safety) ÷ 50 × 100.
 */
const MARKS: Record<string, { exam: number; wiring: number[]; safety: number }> = {
  // (35 + 36 + 37) ÷ 3 = 36 → practical 90 → 27 + 63 = 90.00; after the appeal, (36 + 37 + 40) ÷ 3 = 37.67 → 93.34 → 92.34
  张小明: { exam: 90, wiring: [35, 30, 36, 37, 40], safety: 9 },
  李建国: { exam: 95, wiring: [36, 36, 36, 36, 36], safety: 9 }, // 28.5 + 63 = 91.50
  [RARE]: { exam: 80, wiring: [34, 33, 34, 35, 34], safety: 8 }, // 24 + 58.8 = 82.80
  王大力: { exam: 70, wiring: [30, 30, 29, 31, 30], safety: 7 }, // 21 + 51.8 = 72.80
  欧阳明: { exam: 50, wiring: [25, 25, 25, 25, 25], safety: 5 }, // 15 + 42 = 57.00
};

/** A binary body (csv, pdf) as a Buffer. */
const binary = (r: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  r.on('data', (c: Buffer) => chunks.push(c));
  r.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe(`a competition from draft to certificates, over HTTP (${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  let t: TestApp;
  let admin: string;
  let orgs: Orgs;
  let organizer: User;
  let competitionId: string;
  /** registered workers with their own logins */
  let zhang: Awaited<ReturnType<typeof registeredWorker>>;
  let rare: Awaited<ReturnType<typeof registeredWorker>>;
  /** name → enrolment id */
  const entry = new Map<string, string>();
  let rejectedEntry: string;
  let judges: User[];
  let appealId: string;

  const ranking = async (token?: string) => {
    const req = t.http().get(`/api/competitions/${competitionId}/ranking`);
    const res = await (token ? req.set(bearer(token)) : req);
    return res;
  };
  const mine = async (token: string) => {
    const res = await t.http().get('/api/workers/me/results').set(bearer(token));
    expect(res.status).toBe(200);
    return res.body.items.find((i: { competitionId: string }) => i.competitionId === competitionId);
  };
  const organizerAwards = async () => (await must(t.http().get(`/api/competitions/${competitionId}/awards`).set(bearer(organizer.token)), 'list awards')).items as any[];
  /** A new worker of the enterprise, eligible (electrician, skill level 3 — 1 is the highest —, of working age). */
  const workerBody = (name: string) => newWorker(orgs.enterprise.id, { name });
  const awardFor = async (name: string, type: string) => (await organizerAwards()).find((a) => a.recipient.name === name && a.type === type);

  beforeAll(async () => {
    t = await createTestApp({ workers: true });
    admin = await t.adminToken();
    orgs = await createOrgTree(t);
    organizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id, displayName: '市总工会竞赛办' });
  });
  afterAll(async () => t?.dispose());

  it('1. the organizer creates the competition in draft with its scheme and award rules, edits it, and opens enrolment', async () => {
    const created = await t.http().post('/api/competitions').set(bearer(organizer.token)).send(
      competitionBody(orgs.city.id, {
        enrolmentRules: { minAge: 18, maxAge: 55, minSkillLevel: 3, quotaPerOrganization: 10 },
        awardRules: AWARD_RULES,
        publicityDays: 5,
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', level: 'city', awardRules: AWARD_RULES, publicityDays: 5 });
    competitionId = created.body.id;
    expect(created.body.scoring.sections.map((s: { key: string; weight: number }) => [s.key, s.weight])).toEqual([['theory', 30], ['practical', 70]]);

    const edited = await t.http().patch(`/api/competitions/${competitionId}`).set(bearer(organizer.token)).send({ trade: '电工', version: created.body.version });
    expect(edited.status).toBe(200);
    const opened = await transition(t, organizer.token, competitionId, 'enrolment_open');
    expect(opened.status).toBe(200);
    expect(opened.body.status).toBe('enrolment_open');
    // The scheme is frozen once the competition left draft.
    const late = await t.http().patch(`/api/competitions/${competitionId}`).set(bearer(organizer.token)).send({ publicityDays: 1, version: opened.body.version });
    expect(late.status).toBe(409);
  });

  it('2. a self-registered worker enrols itself; the organizer enrols the others (new workers and a registered one); approvals and a rejection', async () => {
    zhang = await registeredWorker(t, orgs.enterprise.id, { name: '张小明' });
    const self = await t.http().post(`/api/competitions/${competitionId}/enrolments`).set(bearer(zhang.token)).send({});
    expect(self.status).toBe(201);
    expect(self.body).toMatchObject({ status: 'pending' });
    entry.set('张小明', self.body.id);

    rare = await registeredWorker(t, orgs.enterprise.id, { name: RARE });
    const byWorkerId = await t.http().post(`/api/competitions/${competitionId}/enrolments`).set(bearer(organizer.token)).send({ workerId: rare.workerId });
    expect(byWorkerId.status).toBe(201);
    entry.set(RARE, byWorkerId.body.id);
    for (const name of ['李建国', '王大力', '欧阳明']) {
      const res = await must(t.http().post(`/api/competitions/${competitionId}/enrolments`).set(bearer(organizer.token)).send({ worker: workerBody(name) }), `enrol ${name}`);
      expect(res.status).toBe('pending');
      entry.set(name, res.id);
    }
    const extra = await t.http().post(`/api/competitions/${competitionId}/enrolments`).set(bearer(organizer.token)).send({ worker: workerBody('赵六') });
    expect(extra.status).toBe(201);
    rejectedEntry = extra.body.id;

    for (const id of entry.values()) await must(t.http().post(`/api/enrolments/${id}/decision`).set(bearer(organizer.token)).send({ decision: 'approve' }), 'approve');
    await must(t.http().post(`/api/enrolments/${rejectedEntry}/decision`).set(bearer(organizer.token)).send({ decision: 'reject', reason: '未提供技能等级证书' }), 'reject');
    const approved = await must(t.http().get(`/api/competitions/${competitionId}/enrolments?status=approved`).set(bearer(organizer.token)), 'list approved');
    expect(approved.total).toBe(5);
    expect(await mine(zhang.token)).toMatchObject({ enrolmentId: entry.get('张小明'), enrolmentStatus: 'approved', rank: null });
  });

  it('3. closes enrolment, draws bibs for the approved entries only, assigns a panel of five judges (one chief) and starts', async () => {
    expect((await transition(t, organizer.token, competitionId, 'enrolment_closed')).status).toBe(200);
    const draw = await must(t.http().post(`/api/competitions/${competitionId}/draw`).set(bearer(organizer.token)).send({ seed: '2026-衢州-电工' }), 'draw');
    expect(draw.entries.map((e: { bib: number }) => e.bib).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(draw.entries.map((e: { enrolmentId: string }) => e.enrolmentId).sort()).toEqual([...entry.values()].sort());

    judges = [];
    for (let i = 0; i < 5; i++) {
      const j = await createUser(t, organizer.token, { roles: ['judge'], organizationId: orgs.city.id, displayName: `裁判${i + 1}` });
      await must(t.http().post(`/api/competitions/${competitionId}/judges`).set(bearer(organizer.token)).send({ userId: j.id, chief: i === 0 }), 'assign judge');
      judges.push(j);
    }
    expect((await transition(t, organizer.token, competitionId, 'in_progress')).status).toBe(200);
    const assignments = await must(t.http().get('/api/judging/assignments').set(bearer(judges[0].token)), 'assignments');
    expect(JSON.stringify(assignments)).toContain(competitionId);
  });

  it('4. the judges mark on a blind sheet (no names); a trimmed mean drops the highest and lowest wiring marks', async () => {
    const sheet = await must(t.http().get(`/api/judging/competitions/${competitionId}/sheet`).set(bearer(judges[1].token)), 'sheet');
    expect(sheet.contestants).toHaveLength(5);
    for (const name of [...entry.keys(), EMPLOYER]) expect(JSON.stringify(sheet)).not.toContain(name);

    for (const [k, judge] of judges.entries()) {
      const marks = [...entry].flatMap(([name, enrolmentId]) => {
        const m = MARKS[name];
        const out = [{ enrolmentId, criterion: 'wiring', value: m.wiring[k], clientId: nextClientId() }];
        if (k === 0) out.push({ enrolmentId, criterion: 'exam', value: m.exam, clientId: nextClientId() });
        if (k < 3) out.push({ enrolmentId, criterion: 'safety', value: m.safety, clientId: nextClientId() });
        return out;
      });
      const res = await must(t.http().put(`/api/judging/competitions/${competitionId}/marks`).set(bearer(judge.token)).send({ marks }), `marks of judge ${k + 1}`);
      expect(res.rejected).toEqual([]);
      expect(res.accepted).toHaveLength(marks.length);
    }
    const live = await must(ranking(organizer.token), 'organizer ranking');
    expect(live.items.map((i: any) => [i.rank, i.name, i.total, i.complete])).toEqual([
      [1, '李建国', 91.5, true],
      [2, '张小明', 90, true],
      [3, RARE, 82.8, true],
      [4, '王大力', 72.8, true],
      [5, '欧阳明', 57, true],
    ]);
    expect(live.items[1].sections).toEqual({ theory: 90, practical: 90 });
  });

  it('5. only the chief judge locks the scores; the ranking is not public before publication', async () => {
    expect((await transition(t, judges[1].token, competitionId, 'scores_locked')).status).toBe(403);
    const locked = await transition(t, judges[0].token, competitionId, 'scores_locked');
    expect(locked.status).toBe(200);
    expect(locked.body.status).toBe('scores_locked');
    const hidden = await ranking();
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('RANKING_NOT_PUBLISHED');
  });

  it('6. the organizer publishes: the public ranking shows masked names only, and each contestant sees a provisional rank', async () => {
    const published = await transition(t, organizer.token, competitionId, 'published');
    expect(published.status).toBe(200);
    const pub = await ranking();
    expect(pub.status).toBe(200);
    expect(pub.body.items.map((i: any) => [i.rank, i.name, i.total])).toEqual([
      [1, '李*国', 91.5],
      [2, '张*明', 90],
      [3, '张*𠇔', 82.8],
      [4, '王*力', 72.8],
      [5, '欧*明', 57],
    ]);
    for (const full of entry.keys()) expect(pub.text).not.toContain(full);
    expect(await mine(zhang.token)).toMatchObject({ competitionStatus: 'published', rank: 2, total: 90, final: false, noticePeriodEndsAt: expect.any(String) });
  });

  it('7. the worker appeals; finalizing is refused while it is open, even forced by an admin (409 APPEALS_OPEN)', async () => {
    const filed = await t.http().post(`/api/enrolments/${entry.get('张小明')}/appeals`).set(bearer(zhang.token)).send({ reason: '线路安装项评分与现场记录不符，申请复核' });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ status: 'open', enrolmentId: entry.get('张小明') });
    appealId = filed.body.id;
    const forced = await t.http().post(`/api/competitions/${competitionId}/transitions`).set(bearer(admin)).send({ to: 'finalized', force: true });
    expect(forced.status).toBe(409);
    expect(forced.body.code).toBe('APPEALS_OPEN');
  });

  it('8. the organizer upholds it; the chief judge changes a mark with a reason; the provisional result moves and the appellant sees it', async () => {
    const upheld = await t.http().post(`/api/appeals/${appealId}/decision`).set(bearer(organizer.token)).send({ decision: 'upheld', resolution: '经裁判组复核，线路安装项重新评分' });
    expect(upheld.status).toBe(200);
    expect(upheld.body.status).toBe('upheld');

    const mark = { enrolmentId: entry.get('张小明'), criterion: 'wiring', value: 40, clientId: nextClientId() };
    const noReason = await must(t.http().put(`/api/judging/competitions/${competitionId}/marks`).set(bearer(judges[0].token)).send({ marks: [mark] }), 'mark without reason');
    expect(noReason.rejected).toEqual([expect.objectContaining({ reason: 'reason_required' })]);
    const notChief = await must(
      t.http().put(`/api/judging/competitions/${competitionId}/marks`).set(bearer(judges[1].token)).send({ marks: [{ ...mark, clientId: nextClientId(), reason: '复核' }] }),
      'mark by a judge',
    );
    expect(notChief.accepted).toEqual([]);
    const changed = await must(
      t.http().put(`/api/judging/competitions/${competitionId}/marks`).set(bearer(judges[0].token)).send({ marks: [{ ...mark, clientId: nextClientId(), reason: '申诉复核：线路安装重新评分' }] }),
      'chief mark',
    );
    expect(changed.rejected).toEqual([]);

    // Trimmed mean of 40, 30, 36, 37, 40 = (36 + 37 + 40) ÷ 3 = 37.67; practical 93.34; total 27 + 65.338 = 92.34.
    expect(await mine(zhang.token)).toMatchObject({ competitionStatus: 'published', rank: 1, total: 92.34, sections: { theory: 90, practical: 93.34 }, final: false });
    const pub = await ranking();
    expect(pub.body.items.slice(0, 2).map((i: any) => [i.rank, i.name, i.total])).toEqual([
      [1, '张*明', 92.34],
      [2, '李*国', 91.5],
    ]);
    const revisions = await must(t.http().get(`/api/enrolments/${entry.get('张小明')}/revisions`).set(bearer(organizer.token)), 'revisions');
    expect(JSON.stringify(revisions)).toContain('申诉复核：线路安装重新评分');
  });

  it('9. finalizing is refused during the notice period (409 NOTICE_PERIOD_RUNNING); an admin forces it and the awards follow the rules', async () => {
    const early = await transition(t, organizer.token, competitionId, 'finalized');
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('NOTICE_PERIOD_RUNNING');
    const forced = await t.http().post(`/api/competitions/${competitionId}/transitions`).set(bearer(admin)).send({ to: 'finalized', force: true });
    expect(forced.status).toBe(200);
    expect(forced.body.status).toBe('finalized');

    const awards = await organizerAwards();
    expect(awards.map((a) => [a.rank, a.type, a.recipient.name, a.level, a.label, a.status]).sort()).toEqual(
      [
        [1, 'may_day_medal', '张小明', 'city', MEDAL, 'issued'],
        [1, 'technical_expert', '张小明', 'city', EXPERT, 'issued'],
        [2, 'technical_expert', '李建国', 'city', EXPERT, 'issued'],
        [3, 'technical_expert', RARE, 'city', EXPERT, 'issued'],
      ].sort(),
    );
    expect(await mine(zhang.token)).toMatchObject({ competitionStatus: 'finalized', rank: 1, total: 92.34, final: true });
  });

  it('10. the workers render every certificate (progress polled until all are ready)', async () => {
    const p: Progress = await waitForProgress(t, organizer.token, competitionId, (x) => x.total === 4 && x.ready + x.failed === 4, 60_000);
    expect(p).toEqual({ total: 4, queued: 0, rendering: 0, ready: 4, failed: 0, revoked: 0 });
    for (const a of await organizerAwards()) expect(a.certificate).toMatchObject({ status: 'ready', serial: expect.stringMatching(/^QZ-\d{4}-\d{6}$/) });
  });

  it('11. the medal’s PDF, downloaded by the recipient, has the Chinese name and the serial in its text; another worker gets 404', async () => {
    const medal = await awardFor('张小明', 'may_day_medal');
    const res = await downloadCertificate(t, medal.id, zhang.token);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.body as Buffer;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(pdf);
    expect(text).toContain('张小明');
    expect(text).toContain(medal.certificate.serial);
    expect(text).toContain(MEDAL);
    expect(text).toContain(ISSUER);
    expect((await downloadCertificate(t, medal.id, rare.token)).status).toBe(404);
  });

  it('12. the certificate verifies publicly by its code (valid, masked name, the serial, the award, a signature good under the published key)', async () => {
    const medal = await awardFor('张小明', 'may_day_medal');
    const code = String(medal.certificate.verifyUrl).split('/').pop();
    expect(medal.certificate.verifyUrl).toBe(`${t.config.publicBaseUrl}/verify/${code}`);
    const res = await t.http().get(`/api/public/certificates/${code}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, revoked: false, serial: medal.certificate.serial, recipient: '张*明', award: MEDAL, issuer: ISSUER, competition: '2026年衢州市电工职业技能竞赛' });
    // The signed statement (with the full name, for holders of the code) verifies with the published key.
    expect(res.body.payload).toMatchObject({ serial: medal.certificate.serial, recipient: { name: '张小明', employer: EMPLOYER } });
    const keys = await must(t.http().get('/api/public/keys'), 'public keys');
    expect(verifySignature(res.body.payload, res.body.signature, parsePublicKey(keys.keys[0].pem))).toBe(true);
  });

  it('13. the honours of the worker list the medal with its ready certificate', async () => {
    const res = await must(t.http().get('/api/workers/me/honours').set(bearer(zhang.token)), 'honours');
    const here = res.items.filter((i: any) => i.competition.id === competitionId);
    expect(here.map((i: any) => [i.type, i.label, i.level, i.rank, i.status]).sort()).toEqual(
      [
        ['may_day_medal', MEDAL, 'city', 1, 'issued'],
        ['technical_expert', EXPERT, 'city', 1, 'issued'],
      ].sort(),
    );
    for (const h of here) expect(h.certificate).toMatchObject({ status: 'ready', serial: expect.any(String) });
  });

  it('14. the results export (CSV) has the 奖项 column filled for the award winners only', async () => {
    const csv = await t.http().get(`/api/competitions/${competitionId}/results/export?format=csv`).set(bearer(organizer.token)).buffer(true).parse(binary);
    expect(csv.status).toBe(200);
    const bytes = csv.body as Buffer;
    const table = parse(bytes.subarray(bytes[0] === 0xef ? 3 : 0).toString('utf8')) as string[][];
    expect(table[0]).toEqual(['名次', '参赛号', '姓名', '工作单位', '理论知识', '技能操作', '扣分', '总分', '奖项']);
    const row = (name: string) => table.find((r) => r[2] === name)!;
    expect(table.slice(1).map((r) => [r[0], r[2], r[7]])).toEqual([
      ['1', '张小明', '92.34'],
      ['2', '李建国', '91.50'],
      ['3', RARE, '82.80'],
      ['4', '王大力', '72.80'],
      ['5', '欧阳明', '57.00'],
    ]);
    expect(row('张小明')[8]).toContain(MEDAL);
    expect(row('张小明')[8]).toContain(EXPERT);
    expect(row('李建国')[8]).toContain(EXPERT);
    expect(row(RARE)[8]).toContain(EXPERT);
    expect(row('王大力')[8]).toBe('');
    expect(row('欧阳明')[8]).toBe('');
    expect(JSON.stringify(table)).not.toContain('赵六');
  });

  it(`15. a recipient named ${RARE} gets a correct PDF too: the rare characters and the serial are in its text, the file matches what verification says`, async () => {
    const award = await awardFor(RARE, 'technical_expert');
    const res = await downloadCertificate(t, award.id, rare.token);
    expect(res.status).toBe(200);
    const pdf = res.body as Buffer;
    const text = await pdfText(pdf);
    expect(text).toContain(RARE);
    expect(text).toContain(award.certificate.serial);
    expect(text).toContain(EXPERT);
    const code = String(award.certificate.verifyUrl).split('/').pop();
    const pub = await must(t.http().get(`/api/public/certificates/${code}`), 'verify');
    expect(pub).toMatchObject({ valid: true, serial: award.certificate.serial, recipient: '张*𠇔', award: EXPERT });
    expect(pub.payload).toMatchObject({ serial: award.certificate.serial, recipient: { name: RARE } });
    // Downloaded twice, the same bytes (the stored file, not a new rendering).
    const again = (await downloadCertificate(t, award.id, organizer.token)).body as Buffer;
    expect(createHash('sha256').update(again).digest('hex')).toBe(createHash('sha256').update(pdf).digest('hex'));
    const honours = await must(t.http().get('/api/workers/me/honours').set(bearer(rare.token)), 'honours');
    expect(honours.items.filter((i: any) => i.competition.id === competitionId).map((i: any) => [i.type, i.rank, i.certificate?.status])).toEqual([['technical_expert', 3, 'ready']]);
  });
});
