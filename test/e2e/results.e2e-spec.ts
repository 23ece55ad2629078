import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { AuditEntry } from '../../src/modules/audit/audit-entry.entity';
import { Appeal } from '../../src/modules/results/appeal.entity';
import { Result } from '../../src/modules/results/result.entity';
import { ResultsService } from '../../src/modules/results/results.service';
import { transition, uniqueIdNumber, registeredWorker } from '../factories/competition.factory';
import { createOrgTree, createUser } from '../factories/identity.factory';
import { chiefMark, decideAppeal, fileAppeal, finalize, LockedContest, lockedContest, myResults } from '../factories/results.factory';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';

type Orgs = Awaited<ReturnType<typeof createOrgTree>>;

const EMPLOYER = '国网衢州供电公司工会';
const DAY_MS = 86_400_000;

/** A binary body (xlsx, csv) as a Buffer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const binary = (r: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  r.on('data', (c: Buffer) => chunks.push(c));
  r.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('results, appeals and finalization', () => {
  let t: TestApp;
  let orgs: Orgs;
  let organizer: { id: string; token: string };
  /** an organizer whose subtree does not own the competitions */
  let outsider: { token: string };
  /** contestants with a login: 张小明 and 李建国; 王大力 has none */
  let zhang: Awaited<ReturnType<typeof registeredWorker>>;
  let li: Awaited<ReturnType<typeof registeredWorker>>;
  let c: LockedContest;
  let A: LockedContest['entries'][number];
  let B: LockedContest['entries'][number];
  let C: LockedContest['entries'][number];
  let appealA: string;
  let appealB: string;

  beforeAll(async () => {
    t = await createTestApp();
    orgs = await createOrgTree(t);
    const admin = await t.adminToken();
    organizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    outsider = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.otherCounty.id });
    zhang = await registeredWorker(t, orgs.enterprise.id, { name: '张小明' });
    li = await registeredWorker(t, orgs.enterprise.id, { name: '李建国' });
    // total = exam × 0.3 + wiring × 0.7: 张小明 83, 李建国 87, 王大力 70.
    c = await lockedContest(t, organizer.token, {
      organizationId: orgs.city.id,
      employerOrgId: orgs.enterprise.id,
      judgeOrgId: orgs.city.id,
      contestants: [
        { name: '张小明', workerId: zhang.workerId, exam: 90, wiring: 80 },
        { name: '李建国', workerId: li.workerId, exam: 80, wiring: 90 },
        { name: '王大力', exam: 70, wiring: 70 },
      ],
    });
    [A, B, C] = c.entries;
  });
  afterAll(async () => t?.dispose());

  const results = () => t.db.run((m) => m.find(Result, { where: { competitionId: c.id } }));
  const byEntry = async () => new Map((await results()).map((r) => [r.enrolmentId, r]));
  const mine = async (token: string, competitionId = c.id) => {
    const res = await myResults(t, token);
    expect(res.status).toBe(200);
    return res.body.items.find((i: { competitionId: string }) => i.competitionId === competitionId);
  };
  const publicRanking = async () => {
    const res = await t.http().get(`/api/competitions/${c.id}/ranking`);
    expect(res.status).toBe(200);
    return new Map(res.body.items.map((i: { enrolmentId: string; rank: number; total: number; name: string }) => [i.enrolmentId, i]));
  };

  it('shows a contestant the entry without a rank before publication, and refuses appeals then (409 WRONG_STATE)', async () => {
    const item = await mine(zhang.token);
    expect(item).toMatchObject({ competitionId: c.id, title: c.title, competitionStatus: 'scores_locked', enrolmentId: A.enrolmentId, enrolmentStatus: 'approved', bib: A.bib, rank: null, total: null, sections: null, final: false });
    expect(await results()).toHaveLength(0);
    const res = await fileAppeal(t, zhang.token, A.enrolmentId);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('WRONG_STATE');
  });

  it('freezes a provisional result per entry on publication, the same as the ranking, visible to each contestant', async () => {
    const pub = await transition(t, organizer.token, c.id, 'published');
    expect(pub.status).toBe(200);
    const rows = await byEntry();
    expect(rows.size).toBe(3);
    expect([A, B, C].map((e) => { const r = rows.get(e.enrolmentId)!; return [r.rank, r.total, r.sections, r.penalties, r.complete, r.final, r.workerId]; })).toEqual([
      [2, 8300, { theory: 9000, practical: 8000 }, 0, true, false, A.workerId],
      [1, 8700, { theory: 8000, practical: 9000 }, 0, true, false, B.workerId],
      [3, 7000, { theory: 7000, practical: 7000 }, 0, true, false, C.workerId],
    ]);
    const ranking = await publicRanking();
    for (const e of [A, B, C]) expect((ranking.get(e.enrolmentId) as { rank: number }).rank).toBe(rows.get(e.enrolmentId)!.rank);

    const item = await mine(zhang.token);
    expect(item).toMatchObject({ competitionStatus: 'published', rank: 2, total: 83, sections: { theory: 90, practical: 80 }, penalties: 0, final: false });
    expect(Date.parse(item.noticePeriodEndsAt) - Date.parse(pub.body.publishedAt)).toBe(5 * DAY_MS);
    expect(await mine(li.token)).toMatchObject({ rank: 1, total: 87 });
    const audit = await t.db.run((m) => m.find(AuditEntry, { where: { entityId: c.id, action: 'results.publish' } }));
    expect(audit).toHaveLength(1);
  });

  it('lets only the contestant appeal, one open appeal per entry even when filed at once: 401 anonymous, 403 organizer, 404 another worker, 400 without a reason', async () => {
    expect((await fileAppeal(t, undefined, A.enrolmentId)).status).toBe(401);
    const byOrganizer = await fileAppeal(t, organizer.token, A.enrolmentId);
    expect(byOrganizer.status).toBe(403);
    expect(byOrganizer.body.code).toBe('NOT_CONTESTANT');
    const byOther = await fileAppeal(t, li.token, A.enrolmentId);
    expect(byOther.status).toBe(404);
    expect(byOther.body.code).toBe('ENROLMENT_NOT_FOUND');
    const blank = await fileAppeal(t, zhang.token, A.enrolmentId, { reason: '  ' });
    expect(blank.status).toBe(400);
    expect(blank.body.code).toBe('VALIDATION_FAILED');

    const filed = await fileAppeal(t, zhang.token, A.enrolmentId);
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ competitionId: c.id, enrolmentId: A.enrolmentId, workerId: A.workerId, filedBy: zhang.userId, status: 'open', resolution: null, decidedBy: null });
    appealA = filed.body.id;
    const again = await fileAppeal(t, zhang.token, A.enrolmentId);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('APPEAL_OPEN');

    // Five filings at once for another entry: exactly one is accepted.
    const racing = await Promise.all(Array.from({ length: 5 }, () => fileAppeal(t, li.token, B.enrolmentId, { reason: '理论考试成绩有误' })));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(racing.filter((r) => r.status === 409).every((r) => r.body.code === 'APPEAL_OPEN')).toBe(true);
    appealB = racing.find((r) => r.status === 201)!.body.id;
  });

  it('lists appeals to the contestant and the organizers, and to nobody else', async () => {
    const own = await t.http().get(`/api/enrolments/${A.enrolmentId}/appeals`).set(bearer(zhang.token));
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ total: 1, items: [{ id: appealA, status: 'open' }] });
    expect((await t.http().get(`/api/enrolments/${A.enrolmentId}/appeals`).set(bearer(organizer.token))).body.total).toBe(1);
    expect((await t.http().get(`/api/enrolments/${A.enrolmentId}/appeals`).set(bearer(li.token))).status).toBe(404);
    const all = await t.http().get(`/api/competitions/${c.id}/appeals`).set(bearer(organizer.token));
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(2);
    expect(all.body.items.map((a: { id: string }) => a.id).sort()).toEqual([appealA, appealB].sort());
    expect((await t.http().get(`/api/competitions/${c.id}/appeals?status=upheld`).set(bearer(organizer.token))).body.total).toBe(0);
    expect((await t.http().get(`/api/competitions/${c.id}/appeals`).set(bearer(outsider.token))).status).toBe(403);
    expect((await t.http().get(`/api/competitions/${c.id}/appeals`).set(bearer(zhang.token))).status).toBe(403);
  });

  it('refuses to finalize while an appeal is open (409 APPEALS_OPEN), even forced by an admin', async () => {
    for (const [token, force] of [[organizer.token, undefined], [await t.adminToken(), true]] as const) {
      const res = await finalize(t, token, c.id, force);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('APPEALS_OPEN');
    }
  });

  it('keeps marks locked for the chief judge while an appeal is open or after it is dismissed (wrong_state)', async () => {
    const open = await chiefMark(t, c, A.enrolmentId, 'wiring', 100, '复核');
    expect(open.status).toBe(200);
    expect(open.body.rejected).toEqual([expect.objectContaining({ reason: 'wrong_state' })]);

    expect((await decideAppeal(t, zhang.token, appealB, 'dismissed')).status).toBe(403);
    expect((await decideAppeal(t, outsider.token, appealB, 'dismissed')).status).toBe(403);
    const bad = await t.http().post(`/api/appeals/${appealB}/decision`).set(bearer(organizer.token)).send({ decision: 'maybe', resolution: 'x' });
    expect(bad.status).toBe(400);
    const dismissed = await decideAppeal(t, organizer.token, appealB, 'dismissed', '经复核，评分无误');
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toMatchObject({ id: appealB, status: 'dismissed', resolution: '经复核，评分无误', decidedBy: organizer.id });
    const twice = await decideAppeal(t, organizer.token, appealB, 'upheld');
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('APPEAL_DECIDED');

    const after = await chiefMark(t, c, B.enrolmentId, 'exam', 100, '复核');
    expect(after.body.rejected).toEqual([expect.objectContaining({ reason: 'wrong_state' })]);
    const penalty = await t.http().post(`/api/competitions/${c.id}/penalties`).set(bearer(c.chief.token)).send({ enrolmentId: B.enrolmentId, points: 1, reason: '复核' });
    expect(penalty.status).toBe(409);
    expect((await byEntry()).get(B.enrolmentId)!.total).toBe(8700);
    const audit = await t.db.run((m) => m.find(AuditEntry, { where: { entityId: appealB } }));
    expect(audit.map((a) => a.action).sort()).toEqual(['appeal.dismiss', 'appeal.file']);
  });

  it('reopens an upheld entry for the chief judge: a changed mark moves the provisional results and ranks, and the appellant sees it', async () => {
    const upheld = await decideAppeal(t, organizer.token, appealA, 'upheld', '线路安装项重新评分');
    expect(upheld.status).toBe(200);
    expect(upheld.body.status).toBe('upheld');

    const noReason = await chiefMark(t, c, A.enrolmentId, 'wiring', 100);
    expect(noReason.body.rejected).toEqual([expect.objectContaining({ reason: 'reason_required' })]);
    // Only the reopened entry: 王大力's marks stay locked.
    const other = await chiefMark(t, c, C.enrolmentId, 'wiring', 100, '复核');
    expect(other.body.rejected).toEqual([expect.objectContaining({ reason: 'wrong_state' })]);

    // 张小明: 90 × 0.3 + 100 × 0.7 = 97, above 李建国's 87.
    const changed = await chiefMark(t, c, A.enrolmentId, 'wiring', 100, '申诉复核：线路安装重新评分');
    expect(changed.status).toBe(200);
    expect(changed.body.rejected).toEqual([]);
    let rows = await byEntry();
    expect([A, B, C].map((e) => [rows.get(e.enrolmentId)!.rank, rows.get(e.enrolmentId)!.total])).toEqual([[1, 9700], [2, 8700], [3, 7000]]);
    expect(rows.get(A.enrolmentId)!.final).toBe(false);

    // A penalty on the reopened entry counts too: 97 − 2 = 95.
    const penalty = await t.http().post(`/api/competitions/${c.id}/penalties`).set(bearer(c.chief.token)).send({ enrolmentId: A.enrolmentId, points: 2, reason: '复核发现违规操作' });
    expect(penalty.status).toBe(201);
    rows = await byEntry();
    expect([rows.get(A.enrolmentId)!.rank, rows.get(A.enrolmentId)!.total, rows.get(A.enrolmentId)!.penalties]).toEqual([1, 9500, 200]);

    expect(await mine(zhang.token)).toMatchObject({ rank: 1, total: 95, sections: { theory: 90, practical: 100 }, penalties: 2, final: false });
    expect(await mine(li.token)).toMatchObject({ rank: 2, total: 87 });
    const ranking = await publicRanking();
    expect(ranking.get(A.enrolmentId)).toMatchObject({ rank: 1, total: 95, name: '张*明' });
    expect(ranking.get(B.enrolmentId)).toMatchObject({ rank: 2 });

    const audit = await t.db.run((m) => m.find(AuditEntry, { where: { entityId: c.id, action: 'results.recompute' }, order: { at: 'ASC' } }));
    expect(audit.length).toBeGreaterThanOrEqual(2);
    // The mark and the penalty that moved the results were the chief judge's.
    expect(audit.map((a) => a.actorId)).toEqual(audit.map(() => c.chief.id));
    expect((audit[0].after as { changes: unknown[] }).changes).toEqual(
      expect.arrayContaining([
        { enrolmentId: A.enrolmentId, before: { rank: 2, total: 8300 }, after: { rank: 1, total: 9700 } },
        { enrolmentId: B.enrolmentId, before: { rank: 1, total: 8700 }, after: { rank: 2, total: 8700 } },
      ]),
    );
    expect((await t.db.run((m) => m.find(AuditEntry, { where: { entityId: appealA } }))).map((a) => a.action).sort()).toEqual(['appeal.file', 'appeal.uphold']);
  });

  it('exports the provisional results as CSV (UTF-8 with BOM) and XLSX with the Chinese headers and one column per section', async () => {
    const labels = t.app.get(ResultsService);
    labels.registerAwardLabels(async (_m, competitionId) => new Map(competitionId === c.id ? [[A.enrolmentId, ['测试奖']]] : []));

    const csv = await t.http().get(`/api/competitions/${c.id}/results/export?format=csv`).set(bearer(organizer.token)).buffer(true).parse(binary);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toContain(`attachment; filename="results-${c.id}.csv"`);
    expect(csv.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(c.title)}`);
    const bytes = csv.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const table = parse(bytes.subarray(3).toString('utf8')) as string[][];
    expect(table[0]).toEqual(['名次', '参赛号', '姓名', '工作单位', '理论知识', '技能操作', '扣分', '总分', '奖项']);
    expect(table.slice(1).map((r) => r.slice(0, 8))).toEqual([
      ['1', String(A.bib), '张小明', EMPLOYER, '90.00', '100.00', '2.00', '95.00'],
      ['2', String(B.bib), '李建国', EMPLOYER, '80.00', '90.00', '0.00', '87.00'],
      ['3', String(C.bib), '王大力', EMPLOYER, '70.00', '70.00', '0.00', '70.00'],
    ]);
    expect(table[1][8]).toContain('测试奖');

    const xlsx = await t.http().get(`/api/competitions/${c.id}/results/export?format=xlsx`).set(bearer(organizer.token)).buffer(true).parse(binary);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as never);
    const ws = wb.worksheets[0];
    const values = (n: number) => (ws.getRow(n).values as unknown[]).slice(1);
    expect(values(1)).toEqual(['名次', '参赛号', '姓名', '工作单位', '理论知识', '技能操作', '扣分', '总分', '奖项']);
    expect(values(2).slice(0, 8)).toEqual([1, A.bib, '张小明', EMPLOYER, 90, 100, 2, 95]);
    expect(String(values(2)[8])).toContain('测试奖');
    expect(values(3).slice(0, 8)).toEqual([2, B.bib, '李建国', EMPLOYER, 80, 90, 0, 87]);
    expect(values(4).slice(0, 8)).toEqual([3, C.bib, '王大力', EMPLOYER, 70, 70, 0, 70]);
    expect(ws.rowCount).toBe(4);
  });

  it('refuses exports to others and for bad formats: 403 outside organizer or worker, 400 format', async () => {
    const url = `/api/competitions/${c.id}/results/export`;
    expect((await t.http().get(url).set(bearer(outsider.token))).status).toBe(403);
    expect((await t.http().get(url).set(bearer(zhang.token))).status).toBe(403);
    const bad = await t.http().get(`${url}?format=pdf`).set(bearer(organizer.token));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('refuses to finalize during the notice period (409 NOTICE_PERIOD_RUNNING) and a non-admin force (403); an admin forces it and final rows are written', async () => {
    const running = await finalize(t, organizer.token, c.id);
    expect(running.status).toBe(409);
    expect(running.body.code).toBe('NOTICE_PERIOD_RUNNING');
    const forcedByOrganizer = await finalize(t, organizer.token, c.id, true);
    expect(forcedByOrganizer.status).toBe(403);
    expect(forcedByOrganizer.body.code).toBe('FORCE_NOT_ALLOWED');
    expect([...(await byEntry()).values()].every((r) => !r.final)).toBe(true);

    const forced = await finalize(t, await t.adminToken(), c.id, true);
    expect(forced.status).toBe(200);
    expect(forced.body.status).toBe('finalized');
    const rows = await byEntry();
    expect([A, B, C].map((e) => [rows.get(e.enrolmentId)!.rank, rows.get(e.enrolmentId)!.total, rows.get(e.enrolmentId)!.final])).toEqual([[1, 9500, true], [2, 8700, true], [3, 7000, true]]);
    for (const r of rows.values()) expect(r.finalizedAt).toBeInstanceOf(Date);
    expect(await mine(zhang.token)).toMatchObject({ competitionStatus: 'finalized', rank: 1, total: 95, final: true, noticePeriodEndsAt: null });

    // Finalized: no more appeals, and the reopened entry is closed again.
    expect((await fileAppeal(t, li.token, B.enrolmentId)).status).toBe(409);
    const late = await chiefMark(t, c, A.enrolmentId, 'exam', 100, '复核');
    expect(late.body.rejected).toEqual([expect.objectContaining({ reason: 'wrong_state' })]);
    const open = await t.db.run((m) => m.count(Appeal, { where: { competitionId: c.id, status: 'open' } }));
    expect(open).toBe(0);
  });

  it('finalizes without force once the notice period is over (publicityDays 0), writing final rows', async () => {
    const d = await lockedContest(t, organizer.token, {
      organizationId: orgs.city.id,
      employerOrgId: orgs.enterprise.id,
      judgeOrgId: orgs.city.id,
      contestants: [
        { name: '赵一', exam: 60, wiring: 60 },
        { name: '钱二', exam: 60, wiring: 60 },
      ],
      over: { publicityDays: 0 },
    });
    const early = await t.http().get(`/api/competitions/${d.id}/results/export?format=csv`).set(bearer(organizer.token));
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('RESULTS_NOT_PUBLISHED');
    expect((await transition(t, organizer.token, d.id, 'published')).status).toBe(200);
    const res = await finalize(t, organizer.token, d.id);
    expect(res.status).toBe(200);
    const rows = await t.db.run((m) => m.find(Result, { where: { competitionId: d.id } }));
    // Equal totals and equal practical sections: a shared first place.
    expect(rows.map((r) => [r.rank, r.total, r.final]).sort()).toEqual([[1, 6000, true], [1, 6000, true]]);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = await t.http().get('/api/docs-json');
    expect(doc.status).toBe(200);
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    for (const [path, method] of [
      ['/api/workers/me/results', 'get'],
      ['/api/public/results', 'get'],
      ['/api/competitions/{id}/results/export', 'get'],
      ['/api/enrolments/{id}/appeals', 'post'],
      ['/api/enrolments/{id}/appeals', 'get'],
      ['/api/competitions/{id}/appeals', 'get'],
      ['/api/appeals/{id}/decision', 'post'],
    ]) {
      expect(paths[path]?.[method]).toBeDefined();
    }
  });

  describe('me/results', () => {
    it('answers 403 to users without the worker role or a worker profile', async () => {
      expect((await myResults(t, organizer.token)).status).toBe(403);
      const admin = await myResults(t, await t.adminToken());
      expect(admin.status).toBe(403);
      expect(admin.body.code).toBe('NOT_A_WORKER');
    });

    it('lists every entry with {items,total}', async () => {
      const res = await myResults(t, zhang.token);
      expect(res.body.total).toBe(1);
      expect(res.body.items).toHaveLength(1);
    });
  });

  it('answers the public look-up with masked names, the same shape for unknown people and wrong names, and 429 RATE_LIMITED after 5 a minute', async () => {
    const lookup = (idNumber: string, name: string) => t.http().get('/api/public/results').query({ idNumber, name });
    const known = await lookup(zhang.idNumber, '张小明');
    expect(known.status).toBe(200);
    expect(known.body).toEqual({
      total: 1,
      items: [{ competitionId: c.id, title: c.title, level: 'city', status: 'finalized', name: '张*明', rank: 1, total: 95, sections: { theory: 90, practical: 100 }, final: true }],
    });
    expect(known.text).not.toContain('张小明');
    const unknown = await lookup(uniqueIdNumber(), '张小明');
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ items: [], total: 0 });
    const wrongName = await lookup(zhang.idNumber, '张大明');
    expect(wrongName.status).toBe(200);
    expect(wrongName.body).toEqual({ items: [], total: 0 });
    const malformed = await lookup('ABCDEFGHIJKLMNOPQR', '张小明');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('VALIDATION_FAILED');
    expect((await lookup(li.idNumber, '李建国')).status).toBe(200);

    const limited = await lookup(zhang.idNumber, '张小明');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', code: 'RATE_LIMITED' });
    expect(Object.keys(limited.body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    // Other routes are not throttled.
    expect((await myResults(t, zhang.token)).status).toBe(200);

    // The count is kept in Redis: another API process refuses the same client at once.
    const other = await createTestApp({ reuse: t });
    try {
      const elsewhere = await other.http().get('/api/public/results').query({ idNumber: li.idNumber, name: '李建国' });
      expect(elsewhere.status).toBe(429);
      expect(elsewhere.body.code).toBe('RATE_LIMITED');
      expect(elsewhere.headers['retry-after']).toMatch(/^\d+$/);
      // Without TRUST_PROXY a client cannot escape the limit by sending its own X-Forwarded-For.
      const spoofed = await other.http().get('/api/public/results').set('X-Forwarded-For', '203.0.113.7').query({ idNumber: li.idNumber, name: '李建国' });
      expect(spoofed.status).toBe(429);
    } finally {
      await other.close();
    }
    // Behind a trusted proxy (TRUST_PROXY) each forwarded client has its own count.
    const proxied = await createTestApp({ reuse: t, env: { TRUST_PROXY: 'loopback' } });
    try {
      const viaProxy = (client: string) => proxied.http().get('/api/public/results').set('X-Forwarded-For', client).query({ idNumber: li.idNumber, name: '李建国' });
      expect((await viaProxy('203.0.113.8')).status).toBe(200);
      expect((await viaProxy('127.0.0.1')).status).toBe(429);
    } finally {
      await proxied.close();
    }
  });
});
