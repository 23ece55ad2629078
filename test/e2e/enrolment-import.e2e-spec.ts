import ExcelJS from 'exceljs';
import * as iconv from 'iconv-lite';
import { Enrolment } from '../../src/modules/enrolment/enrolment.entity';
import { ENROLMENT_IMPORT_QUEUE, EnrolmentImportPayload, importFileKey } from '../../src/modules/enrolment/import/enrolment-import.queue';
import { EnrolmentImportService, ImportResult } from '../../src/modules/enrolment/import/enrolment-import.service';
import { FILE_STORE, FileStore } from '../../src/modules/files/file-store';
import { QueueService } from '../../src/modules/queue/queue.service';
import { Worker } from '../../src/modules/identity/worker.entity';
import { createOrganization, createOrgTree, createUser, workerRegistration } from '../factories/identity.factory';
import { chineseName, createOpenCompetition, csvOf, generateImport, IMPORT_HEADERS, Row, uniqueIdNumber, xlsxOf } from '../factories/import.factory';
import { bearer, createTestApp, randomUUID, TestApp } from '../utils/create-test-app';

// Boots an app with workers and imports 10,000 rows twice.
jest.setTimeout(300_000);

interface JobView {
  id: string;
  queue: string;
  state: string;
  progress: number;
  result: ImportResult | null;
  failedReason: string | null;
  attemptsMade: number;
}

const BIG_ROWS = 10_000;

describe('bulk enrolment import (CSV, GBK, XLSX) through a BullMQ job', () => {
  let t: TestApp;
  let organizer: string;
  let otherOrganizer: string;
  let workerToken: string;
  let tree: Awaited<ReturnType<typeof createOrgTree>>;
  let workshop: { id: string; name: string };

  beforeAll(async () => {
    t = await createTestApp({ workers: true });
    const admin = await t.adminToken();
    tree = await createOrgTree(t);
    workshop = await createOrganization(t, admin, { name: '国网衢州供电公司柯城分公司工会', level: 'enterprise', parentId: tree.county.id });
    organizer = (await createUser(t, admin, { roles: ['organizer'], organizationId: tree.county.id })).token;
    otherOrganizer = (await createUser(t, admin, { roles: ['organizer'], organizationId: tree.otherCounty.id })).token;
    const reg = workerRegistration(tree.enterprise.id);
    expect((await t.http().post('/api/auth/register').send(reg)).status).toBe(201);
    workerToken = await t.login(reg.username, reg.password);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const upload = (competitionId: string, data: Buffer, filename: string, token = organizer) =>
    t.http().post(`/api/competitions/${competitionId}/enrolments/import`).set(bearer(token)).attach('file', data, filename);

  /** GET /api/jobs/:id until the job is finished (bounded), recording the progress seen on the way. */
  async function finishedJob(jobId: string, opts: { timeoutMs?: number; progress?: number[] } = {}): Promise<JobView> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      const res = await t.http().get(`/api/jobs/${jobId}`).set(bearer(organizer));
      expect(res.status).toBe(200);
      const job = res.body as JobView;
      opts.progress?.push(typeof job.progress === 'number' ? job.progress : 0);
      if (job.state === 'completed' || job.state === 'failed') return job;
      if (Date.now() > deadline) throw new Error(`job ${jobId} not finished after ${opts.timeoutMs ?? 30_000} ms (state ${job.state}, progress ${job.progress})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function importAndWait(competitionId: string, data: Buffer, filename: string): Promise<ImportResult> {
    const res = await upload(competitionId, data, filename);
    expect(res.status).toBe(202);
    const job = await finishedJob(res.body.jobId);
    expect(job).toMatchObject({ state: 'completed', progress: 100, failedReason: null });
    return job.result!;
  }

  const enrolmentCount = (competitionId: string) => t.db.run((m) => m.count(Enrolment, { where: { competitionId } }));
  const workerCount = () => t.db.run((m) => m.count(Worker));

  async function enrolledNames(competitionId: string): Promise<string[]> {
    const res = await t.http().get(`/api/competitions/${competitionId}/enrolments?limit=100`).set(bearer(organizer));
    expect(res.status).toBe(200);
    return (res.body.items as Array<{ worker: { name: string } }>).map((e) => e.worker.name).sort();
  }

  describe('the template', () => {
    it('downloads as XLSX with the six Chinese headers, ID and phone columns as text, and the organizations one may name', async () => {
      const id = await createOpenCompetition(t, organizer, tree.county.id);
      const res = await t
        .http()
        .get(`/api/competitions/${id}/enrolments/import-template.xlsx`)
        .set(bearer(organizer))
        .buffer(true)
        .parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => cb(null, Buffer.concat(chunks)));
        });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      expect(res.headers['content-disposition']).toContain(`attachment; filename="enrolment-import-template-${id}.xlsx"`);
      expect(res.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('报名导入模板')}-${id}.xlsx`);

      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as ExcelJS.Buffer);
      const sheet = wb.getWorksheet('报名表')!;
      expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(IMPORT_HEADERS);
      expect(sheet.getColumn(2).numFmt).toBe('@');
      expect(sheet.getColumn(3).numFmt).toBe('@');
      const help = wb.getWorksheet('填写说明')!;
      const names: string[] = [];
      help.eachRow((r) => names.push(String(r.getCell(1).value)));
      expect(names).toEqual(expect.arrayContaining([tree.county.name, tree.enterprise.name, workshop.name]));
      expect(names).not.toContain(tree.otherEnterprise.name);
    });

    it('is refused to another county’s organizer (403) and to a worker (403)', async () => {
      const id = await createOpenCompetition(t, organizer, tree.county.id);
      const other = await t.http().get(`/api/competitions/${id}/enrolments/import-template.xlsx`).set(bearer(otherOrganizer));
      expect(other.status).toBe(403);
      const worker = await t.http().get(`/api/competitions/${id}/enrolments/import-template.xlsx`).set(bearer(workerToken));
      expect(worker.status).toBe(403);
    });
  });

  describe('CSV encodings', () => {
    const rowsFor = (names: string[]): Row[] => names.map((name, i) => [name, uniqueIdNumber(), '13800001234', i % 2 ? tree.enterprise.name : workshop.name, '电工', ['三级/高级工', '技师', '4'][i % 3]]);

    it('imports a UTF-8 CSV with a BOM, keeping the Chinese names', async () => {
      const id = await createOpenCompetition(t, organizer, tree.county.id);
      const names = ['张小明', '欧阳娜娜', '王㛃', '李𠇔'];
      const data = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvOf(rowsFor(names)), 'utf8')]);
      const result = await importAndWait(id, data, '报名表.csv');
      expect(result).toEqual({ total: 4, imported: 4, alreadyEnrolled: 0, rejected: [] });
      expect(await enrolledNames(id)).toEqual([...names].sort());
    });

    it('imports a GBK CSV as Excel in China writes it, keeping the Chinese names', async () => {
      const id = await createOpenCompetition(t, organizer, tree.county.id);
      const names = ['赵钱孙', '周吴郑', '冯陈褚'];
      const data = iconv.encode(csvOf(rowsFor(names)), 'gbk');
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(data)).toThrow();
      const result = await importAndWait(id, data, 'export.csv');
      expect(result).toEqual({ total: 3, imported: 3, alreadyEnrolled: 0, rejected: [] });
      expect(await enrolledNames(id)).toEqual([...names].sort());
    });

    it('refuses bytes that are neither UTF-8 nor GBK with 400 and a message that says what to do', async () => {
      const id = await createOpenCompetition(t, organizer, tree.county.id);
      const garbage = Buffer.concat([Buffer.from('姓名,身份证号,工作单位\n', 'utf8'), Buffer.from([0xff, 0xfe, 0xfd, 0xff, 0x0a, 0x80, 0xff])]);
      const res = await upload(id, garbage, 'broken.csv');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('IMPORT_FILE_INVALID');
      expect(res.body.message).toEqual([expect.stringMatching(/neither UTF-8 nor GBK .*CSV UTF-8/)]);
      expect(await enrolmentCount(id)).toBe(0);
    });
  });

  describe('refusals before the job', () => {
    let id: string;
    beforeAll(async () => {
      id = await createOpenCompetition(t, organizer, tree.county.id);
    });

    it('answers 400 naming `file` when no file is sent', async () => {
      const res = await t.http().post(`/api/competitions/${id}/enrolments/import`).set(bearer(organizer)).field('note', 'no file');
      expect(res.status).toBe(400);
      expect(res.body.message).toEqual([expect.stringMatching(/^file is required/)]);
      const misnamed = await t.http().post(`/api/competitions/${id}/enrolments/import`).set(bearer(organizer)).attach('upload', Buffer.from('a,b\n'), 'a.csv');
      expect(misnamed.status).toBe(400);
      expect(misnamed.body.message).toEqual([expect.stringMatching(/multipart field "file"/)]);
    });

    it('answers 400, never 500, to two files, a JSON body instead of a form, or a broken multipart body, and starts no job', async () => {
      const url = `/api/competitions/${id}/enrolments/import`;
      const queue = t.app.get(QueueService).queue(ENROLMENT_IMPORT_QUEUE);
      const allJobs = () => queue.getJobCountByTypes('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized');
      const jobsBefore = await allJobs();
      const two = await t.http().post(url).set(bearer(organizer)).attach('file', Buffer.from('a,b\n'), 'a.csv').attach('file', Buffer.from('c,d\n'), 'b.csv');
      expect(two.status).toBe(400);
      expect(two.body).toMatchObject({ code: 'VALIDATION_FAILED', message: [expect.stringMatching(/only one file/)] });
      const json = await t.http().post(url).set(bearer(organizer)).send({ file: 'a,b' });
      expect(json.status).toBe(400);
      expect(json.body.message).toEqual([expect.stringMatching(/^file is required/)]);
      const broken = await t.http().post(url).set(bearer(organizer)).set('Content-Type', 'multipart/form-data; boundary=XYZ').send('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nno closing boundary');
      expect(broken.status).toBe(400);
      expect(broken.body.code).toMatch(/^(MALFORMED_BODY|VALIDATION_FAILED)$/);
      expect(await allJobs()).toBe(jobsBefore);
    });

    it('answers 413 to a file over 20 MB', async () => {
      const res = await upload(id, Buffer.alloc(20 * 1024 * 1024 + 1, 0x41), 'huge.csv');
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ code: 'FILE_TOO_LARGE', message: expect.stringMatching(/20 MB/) });
    });

    it('answers 400 listing every missing column of a CSV (工种 too, as the competition has a trade)', async () => {
      const res = await upload(id, Buffer.from(csvOf([['张三', '13800001234']], ['姓名', '手机号'])), 'a.csv');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('IMPORT_COLUMNS_MISSING');
      expect(res.body.message[0]).toMatch(/^missing required columns: 身份证号, 工作单位, 工种 /);
    });

    it('answers 400 to an old .xls file', async () => {
      const res = await upload(id, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'old.xls');
      expect(res.status).toBe(400);
      expect(res.body.message[0]).toMatch(/\.xls.*not supported/);
    });

    it('answers 409 while the competition is not open for enrolment', async () => {
      const draft = await createOpenCompetition(t, organizer, tree.county.id, {}, { draft: true });
      const res = await upload(draft, Buffer.from(csvOf([])), 'a.csv');
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('WRONG_STATE');
    });

    it('refuses another county’s organizer (403) and a worker (403)', async () => {
      const data = Buffer.from(csvOf([['张三', uniqueIdNumber(), '', tree.enterprise.name, '电工', '3']]));
      const other = await upload(id, data, 'a.csv', otherOrganizer);
      expect(other.status).toBe(403);
      expect(other.body.code).toBe('OUT_OF_SCOPE');
      const worker = await upload(id, data, 'a.csv', workerToken);
      expect(worker.status).toBe(403);
      expect(await enrolmentCount(id)).toBe(0);
    });

    it('fails the job at once, without retries, when an XLSX lacks required columns', async () => {
      const res = await upload(id, await xlsxOf([['张三', '电工']], ['姓名', '工种']), 'a.xlsx');
      expect(res.status).toBe(202);
      const job = await finishedJob(res.body.jobId);
      expect(job).toMatchObject({ state: 'failed', attemptsMade: 1, failedReason: expect.stringMatching(/^missing required columns: 身份证号, 工作单位 /) });
    });
  });

  describe('rows refused by the entry rules', () => {
    it('names each such row with the rules’ reasons and leaves no worker behind for it', async () => {
      const id = await createOpenCompetition(t, organizer, tree.county.id, { enrolmentRules: { minSkillLevel: 3 } });
      const registered = workerRegistration(tree.enterprise.id, { name: '钱已登', skillLevel: 3 });
      const renamed = workerRegistration(tree.enterprise.id, { name: '郑原名', skillLevel: 3 });
      for (const w of [registered, renamed]) expect((await t.http().post('/api/auth/register').send(w)).status).toBe(201);
      const before = await workerCount();
      const rows: Row[] = [
        ['孙合格', uniqueIdNumber(), '', tree.enterprise.name, '电工', '三级/高级工'],
        ['周等级低', uniqueIdNumber(), '', tree.enterprise.name, '电工', '四级'],
        ['吴焊工', uniqueIdNumber(), '', tree.enterprise.name, '焊工', '二级'],
        ['郑改名', renamed.idNumber, '', tree.enterprise.name, '电工', '三级'],
        // A registered worker is found by ID number (its own record decides eligibility), not created again.
        ['钱已登', registered.idNumber.toLowerCase(), '', workshop.name, '电工', '三级'],
        ['钱已登', registered.idNumber, '', workshop.name, '电工', '三级'],
      ];
      const result = await importAndWait(id, await xlsxOf(rows), 'a.xlsx');
      expect(result).toEqual({
        total: 6,
        imported: 2,
        alreadyEnrolled: 0,
        rejected: [
          { row: 3, reasons: [expect.stringMatching(/skill level 4 is below the required level 3/)] },
          { row: 4, reasons: [expect.stringMatching(/trade 电工, the worker's trade is 焊工/)] },
          { row: 5, reasons: ['姓名: does not match the name of the worker registered with this 身份证号'] },
          { row: 7, reasons: ['身份证号: the same ID number is already in row 6'] },
        ],
      });
      // Only the accepted new worker was created: the refused rows' workers were rolled back with them.
      expect(await workerCount()).toBe(before + 1);
      expect(await enrolmentCount(id)).toBe(2);
    });
  });

  describe(`an XLSX of ${BIG_ROWS} rows with 5 % bad rows`, () => {
    let id: string;
    let generated: ReturnType<typeof generateImport>;
    let file: Buffer;
    let first: ImportResult;

    beforeAll(async () => {
      id = await createOpenCompetition(t, organizer, tree.county.id);
      generated = generateImport(BIG_ROWS, { employers: [tree.enterprise.name, workshop.name, tree.county.name, workshop.id], outside: [tree.otherEnterprise.name, tree.city.name], trade: '电工' });
      file = await xlsxOf(generated.rows);
    });

    it('imports in one job, naming every bad row with its row number and reason, while the API keeps answering', async () => {
      expect(generated.bad.size).toBe(BIG_ROWS / 20);
      const started = Date.now();
      const res = await upload(id, file, '报名表.xlsx');
      expect(res.status).toBe(202);
      expect(res.body.jobId).toMatch(/^import-[0-9a-f-]{36}$/);

      // While it runs, the API answers other requests.
      const latencies: number[] = [];
      const answeredAt: number[] = [];
      const progress: number[] = [];
      const probing = (async () => {
        for (let i = 0; i < 20; i++) {
          const s = Date.now();
          const r = await t.http().get(`/api/competitions/${id}`).set(bearer(organizer));
          expect(r.status).toBe(200);
          answeredAt.push(Date.now());
          latencies.push(Date.now() - s);
          await new Promise((r2) => setTimeout(r2, 50));
        }
      })();
      const job = await finishedJob(res.body.jobId, { timeoutMs: 240_000, progress });
      const importDoneAt = Date.now();
      await probing;
      const ms = Date.now() - started;
      process.stdout.write(`\n[enrolment-import] ${BIG_ROWS} rows on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}: ${ms} ms (API latency during import max ${Math.max(...latencies)} ms)\n`);

      expect(job).toMatchObject({ queue: ENROLMENT_IMPORT_QUEUE, state: 'completed', progress: 100, attemptsMade: 1, failedReason: null });
      first = job.result!;
      expect(first.total).toBe(BIG_ROWS);
      expect(first.imported + first.rejected.length).toBe(BIG_ROWS);
      expect(first.alreadyEnrolled).toBe(0);
      expect(first.rejected.map((r) => r.row)).toEqual([...generated.bad.keys()]);
      for (const r of first.rejected) {
        const bad = generated.bad.get(r.row)!;
        const expected = {
          check_digit: /^身份证号: check digit is wrong$/,
          impossible_date: /^身份证号: birth date 19900230 is not a real date$/,
          unknown_employer: /^工作单位: ".+" matches no organization within 柯城区总工会$/,
          bad_skill_level: /^职业技能等级: ".+" is not a skill level/,
          duplicate_id: new RegExp(`^身份证号: the same ID number is already in row ${bad.duplicates}$`),
        }[bad.kind];
        expect({ row: r.row, reasons: r.reasons }).toEqual({ row: r.row, reasons: [expect.stringMatching(expected)] });
      }
      expect(await enrolmentCount(id)).toBe(first.imported);

      // Progress moved up chunk by chunk to 100.
      expect(progress.some((p) => p > 0 && p < 100)).toBe(true);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      // The API answered while the import ran (not only after it): a count, not a time limit, as this machine's
      // speed moves the latencies (printed above) from run to run.
      expect(answeredAt.filter((at) => at < importDoneAt).length).toBeGreaterThanOrEqual(5);
    });

    it('adds nothing when the same file is imported again', async () => {
      const workersBefore = await workerCount();
      const second = await importAndWait(id, file, '报名表.xlsx');
      expect(second).toEqual({ total: BIG_ROWS, imported: 0, alreadyEnrolled: first.imported, rejected: first.rejected });
      expect(await enrolmentCount(id)).toBe(first.imported);
      expect(await workerCount()).toBe(workersBefore);
    });

    it('shows the job to its owner only', async () => {
      const res = await upload(id, await xlsxOf(generated.rows.slice(0, 2)), 'a.xlsx');
      await finishedJob(res.body.jobId);
      const other = await t.http().get(`/api/jobs/${res.body.jobId}`).set(bearer(otherOrganizer));
      expect(other.status).toBe(404);
    });
  });

  describe('a job that runs again', () => {
    it('resumes after the last committed chunk, with exact counts, and keeps no copy of the file', async () => {
      const id = await createOpenCompetition(t, organizer, tree.county.id);
      const imports = t.app.get(EnrolmentImportService);
      const files = t.app.get<FileStore>(FILE_STORE);
      const rows: Row[] = Array.from({ length: 600 }, (_, i) => [chineseName(i + 777), uniqueIdNumber(), '', tree.enterprise.name, '电工', '3']);
      const importId = randomUUID();
      const payload: EnrolmentImportPayload = { competitionId: id, fileKey: importFileKey(importId, 'csv'), format: 'csv', ownerId: randomUUID() };
      await files.put(payload.fileKey, Buffer.from(csvOf(rows)));

      // The first run commits one chunk, then loses Redis while reporting progress.
      const lostRedis = async () => {
        throw new Error('Redis is not connected');
      };
      await expect(imports.run(`import-${importId}`, payload, lostRedis)).rejects.toThrow('Redis is not connected');
      const committed = await enrolmentCount(id);
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(600);

      const seen: number[] = [];
      const second = await imports.run(`import-${importId}`, payload, async (p) => {
        seen.push(p);
      });
      expect(second).toEqual({ total: 600, imported: 600, alreadyEnrolled: 0, rejected: [] });
      expect(seen[seen.length - 1]).toBe(100);
      expect(await enrolmentCount(id)).toBe(600);

      // The uploaded file (ID numbers in the clear) is gone; a third run answers the same result from the progress file.
      await expect(files.get(payload.fileKey)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(imports.run(`import-${importId}`, payload, async () => undefined)).resolves.toEqual(second);
      expect(await enrolmentCount(id)).toBe(600);
    });
  });
});
