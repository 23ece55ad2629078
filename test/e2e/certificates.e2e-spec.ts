import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Award } from '../../src/modules/awards/award.entity';
import { Certificate, CertificateSerialCounter } from '../../src/modules/certificates/certificate.entity';
import { CertificatesService } from '../../src/modules/certificates/certificates.service';
import { CERTIFICATE_JOBS, CERTIFICATES_QUEUE, certificateFileKey } from '../../src/modules/certificates/certificates.queue';
import { extractProof } from '../../src/modules/certificates/render/certificate-pdf';
import { allocateSerials } from '../../src/modules/certificates/serials';
import { canonicalJson } from '../../src/modules/certificates/render/canonical-json';
import { parsePublicKey, verifySignature } from '../../src/modules/certificates/render/signing';
import { FILE_STORE, FileStore } from '../../src/modules/files/file-store';
import { Worker } from '../../src/modules/identity/worker.entity';
import { QueueService } from '../../src/modules/queue/queue.service';
import { AwardContest, finalize, publishedContest, revokeAward } from '../factories/awards.factory';
import { certificateProgress, certificatesOf, downloadCertificate, retryCertificate, runVerifyScript, waitForCertificate, waitForProgress } from '../factories/certificates.factory';
import { registeredWorker } from '../factories/competition.factory';
import { createOrgTree, createUser } from '../factories/identity.factory';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';
import { pdfText } from '../utils/pdf-text';

type Orgs = Awaited<ReturnType<typeof createOrgTree>>;
type User = { id: string; token: string };

const RARE = '张㛃𠇔'; // 㛃 is in Noto Sans SC, 𠇔 (U+201D4) only in Debian's Noto Sans CJK
const MISSING = '王鿰'; // 鿰 (U+9FF0): in no installed font

describe('certificates', () => {
  let t: TestApp;
  let admin: string;
  let orgs: Orgs;
  let organizer: User;
  let otherOrganizer: User;
  let c: AwardContest;
  let awards: Award[];
  let tmp: string;

  const awardOf = (name: string, type = 'technical_expert') => awards.find((a) => a.workerId === c.byName(name).workerId && a.type === type)!;
  const certOf = async (awardId: string) => (await t.db.run((m) => m.findOne(Certificate, { where: { awardId } })))!;
  const publicKey = async () => parsePublicKey((await t.http().get('/api/public/keys')).body.keys[0].pem);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'certs-e2e-'));
    t = await createTestApp({ workers: true });
    admin = await t.adminToken();
    orgs = await createOrgTree(t);
    organizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.city.id });
    otherOrganizer = await createUser(t, admin, { roles: ['organizer'], organizationId: orgs.otherCounty.id });
    c = await publishedContest(t, organizer.token, {
      organizationId: orgs.city.id,
      employerOrgId: orgs.enterprise.id,
      judgeOrgId: orgs.city.id,
      over: { awardRules: [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }, { fromRank: 1, toRank: 4, award: 'technical_expert' }] },
      entries: [
        { name: RARE, marks: { exam: 95, wiring: 38, safety: 10 }, registered: true },
        { name: '李建国', marks: { exam: 85, wiring: 34, safety: 9 }, registered: true },
        { name: MISSING, marks: { exam: 75, wiring: 30, safety: 8 } },
        { name: '欧阳明', marks: { exam: 65, wiring: 26, safety: 7 } },
      ],
    });
    const res = await finalize(t, admin, c.id);
    if (res.status !== 200) throw new Error(`finalize failed: ${res.status} ${JSON.stringify(res.body)}`);
    awards = await t.db.run((m) => m.find(Award, { where: { competitionId: c.id } }));
  });
  afterAll(async () => {
    await t?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('issues one queued certificate per award in the finalize transaction, with consecutive serials of this year', async () => {
    expect(awards).toHaveLength(5);
    const certs = await certificatesOf(t, c.id);
    expect(certs.map((x) => x.awardId).sort()).toEqual(awards.map((a) => a.id).sort());
    const year = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
    const numbers = certs.map((x) => {
      expect(x.serial).toMatch(new RegExp(`^QZ-${year}-\\d{6}$`));
      return Number(x.serial.slice(-6));
    });
    expect(numbers).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(certs.map((x) => x.verificationCode)).size).toBe(5);
    for (const x of certs) expect(x.verificationCode).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('allocates serials once each under concurrent issuing transactions; a rolled-back transaction gives its numbers back unused', async () => {
    const batch = () => t.db.transaction((m) => allocateSerials(m, t.db.kind, 'TEST', [2030, 2031, 2030]));
    const serials = (await Promise.all(Array.from({ length: 20 }, batch))).flat();
    expect(new Set(serials).size).toBe(60);
    const of = (year: number) => serials.filter((x) => x.startsWith(`TEST-${year}-`)).map((x) => Number(x.slice(-6))).sort((a, b) => a - b);
    expect(of(2030)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(of(2031)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await expect(
      t.db.transaction(async (m) => {
        await allocateSerials(m, t.db.kind, 'TEST', [2031]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await t.db.transaction((m) => allocateSerials(m, t.db.kind, 'TEST', [2031]))).toEqual(['TEST-2031-000021']);
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = await t.http().get('/api/docs-json');
    for (const p of ['/api/awards/{id}/certificate.pdf', '/api/certificates/{id}/retry', '/api/competitions/{id}/certificates/progress', '/api/public/certificates/{code}', '/api/public/keys']) {
      expect(Object.keys(doc.body.paths)).toContain(p);
    }
  });

  it('renders them in the workers: ready, except the one whose name has a character no font has, failed at once naming it', async () => {
    const p = await waitForProgress(t, organizer.token, c.id, (x) => x.ready + x.failed === x.total && x.total === 5);
    expect(p).toEqual({ total: 5, queued: 0, rendering: 0, ready: 4, failed: 1, revoked: 0 });
    const failed = await certOf(awardOf(MISSING).id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, fileKey: null, signature: null });
    expect(failed.lastError).toContain('no font has 鿰 (U+9FF0)');
    const ready = await certOf(awardOf(RARE, 'may_day_medal').id);
    expect(ready).toMatchObject({ status: 'ready', fileKey: certificateFileKey(ready.serial), keyId: expect.any(String) });
    expect(ready.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ready.templateVersion).toMatch(/^may_day_medal\.hbs@[0-9a-f]{12}$/);
    expect(JSON.parse(ready.payload!)).toMatchObject({ serial: ready.serial, recipient: { name: RARE }, achievement: { name: '市五一劳动奖章', award: 'may_day_medal' }, issuer: { name: '衢州市总工会' } });
    // Each job reports its progress in BullMQ once, when ready, with the serial — what the queue dashboard shows.
    const job = await t.app.get(QueueService).queue(CERTIFICATES_QUEUE).getJob(`certificate-${awardOf(RARE, 'may_day_medal').id}`);
    expect(job!.progress).toEqual({ stage: 'ready', percent: 100, serial: ready.serial });
  });

  it('shows each award’s certificate in the awards list (status, serial, verification URL)', async () => {
    const res = await t.http().get(`/api/competitions/${c.id}/awards`).set(bearer(organizer.token));
    expect(res.status).toBe(200);
    const medal = res.body.items.find((i: { id: string }) => i.id === awardOf(RARE, 'may_day_medal').id);
    const cert = await certOf(medal.id);
    expect(medal.certificate).toEqual({ id: cert.id, status: 'ready', serial: cert.serial, verifyUrl: `${t.config.publicBaseUrl}/verify/${cert.verificationCode}` });
  });

  it('gives the recipient a PDF whose text has the rare name (fallback font) and the serial, with the stored hash', async () => {
    const award = awardOf(RARE, 'may_day_medal');
    const cert = await certOf(award.id);
    const res = await downloadCertificate(t, award.id, c.byName(RARE).token);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.body as Buffer;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(require('node:crypto').createHash('sha256').update(pdf).digest('hex')).toBe(cert.sha256);
    const text = await pdfText(pdf);
    expect(text).toContain(RARE);
    expect(text).toContain(cert.serial);
    expect(text).toContain('市五一劳动奖章');
    expect(text).toContain('衢州市总工会');
    expect(text).toContain('国网衢州供电公司工会');
    const fonts = pdf.toString('latin1').match(/\/BaseFont \/[A-Z]{6}\+[A-Za-z-]+/g) ?? [];
    expect(new Set(fonts.map((f) => f.split('+')[1]))).toEqual(new Set(['NotoSansSC-Regular', 'NotoSansCJKsc-Regular']));
    // Both fonts are subsets: the fallback's unused CFF subroutine slots are trimmed (52 KB otherwise).
    expect(pdf.length).toBeLessThan(40_000);
  });

  it('signs the canonical payload: it verifies with the published key and fails after one byte changes', async () => {
    const cert = await certOf(awardOf(RARE, 'may_day_medal').id);
    const pdf = (await downloadCertificate(t, cert.awardId, organizer.token)).body as Buffer;
    const proof = extractProof(pdf)!;
    const keys = await t.http().get('/api/public/keys');
    expect(keys.status).toBe(200);
    expect(keys.body.keys[0]).toMatchObject({ kid: cert.keyId, alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', kid: cert.keyId } });
    const key = await publicKey();
    expect(canonicalJson(proof.payload)).toBe(cert.payload);
    expect(verifySignature(proof.payload, proof.signature, key)).toBe(true);
    expect(verifySignature(proof.payload, proof.signature, parsePublicKey(keys.body.keys[0].jwk))).toBe(true);
    const bytes = Buffer.from(cert.payload!, 'utf8');
    const at = bytes.indexOf(Buffer.from(cert.serial)) + cert.serial.length - 1;
    bytes[at] = bytes[at] === 0x39 ? 0x38 : bytes[at] + 1; // the serial's last digit
    expect(verifySignature(JSON.parse(bytes.toString('utf8')), proof.signature, key)).toBe(false);
  });

  it('verifies with the verify-certificate script (PDF or JSON, --key or --url), and refuses a PDF or JSON changed by one byte', async () => {
    const cert = await certOf(awardOf(RARE, 'may_day_medal').id);
    const pdf = (await downloadCertificate(t, cert.awardId, organizer.token)).body as Buffer;
    const good = path.join(tmp, 'good.pdf');
    fs.writeFileSync(good, pdf);
    const keyFile = path.join(tmp, 'key.pem');
    fs.writeFileSync(keyFile, (await t.http().get('/api/public/keys')).body.keys[0].pem);

    // Same length: the tampered proof replaces the original in place, so the PDF stays well-formed.
    const proof = extractProof(pdf)!;
    const tamperedProof = JSON.parse(JSON.stringify(proof).replace(cert.serial, cert.serial.slice(0, -1) + (cert.serial.endsWith('9') ? '8' : String(Number(cert.serial.slice(-1)) + 1))));
    const encode = (p: unknown) => Buffer.from(JSON.stringify(p), 'utf8').toString('base64url');
    const tampered = Buffer.from(pdf.toString('latin1').replace(encode(proof), encode(tamperedProof)), 'latin1');
    expect(tampered.length).toBe(pdf.length);
    expect(tampered.equals(pdf)).toBe(false);
    const bad = path.join(tmp, 'bad.pdf');
    fs.writeFileSync(bad, tampered);

    const pub = await t.http().get(`/api/public/certificates/${cert.verificationCode}`);
    const json = path.join(tmp, 'proof.json');
    fs.writeFileSync(json, JSON.stringify({ payload: pub.body.payload, signature: pub.body.signature }));
    const badJson = path.join(tmp, 'bad.json');
    fs.writeFileSync(badJson, JSON.stringify({ payload: { ...pub.body.payload, serial: tamperedProof.payload.serial }, signature: pub.body.signature }));

    const [byUrl, byKey, byJson, badPdf, badJ] = await Promise.all([
      runVerifyScript([good, '--url', t.baseUrl]),
      runVerifyScript([good, '--key', keyFile]),
      runVerifyScript([json, '--key', keyFile]),
      runVerifyScript([bad, '--url', t.baseUrl]),
      runVerifyScript([badJson, '--key', keyFile]),
    ]);
    expect(byUrl).toMatchObject({ code: 0, stdout: expect.stringContaining(`VALID signature: ${cert.serial} · ${RARE} · 市五一劳动奖章`) });
    expect(byUrl.stdout).toContain('status at');
    expect(byKey.code).toBe(0);
    expect(byJson.code).toBe(0);
    expect(badPdf).toMatchObject({ code: 1, stdout: expect.stringContaining('INVALID') });
    expect(badJ).toMatchObject({ code: 1, stdout: expect.stringContaining('INVALID') });
  });

  it('verifies publicly by code with a masked name, and answers 404 to an unknown code', async () => {
    const cert = await certOf(awardOf(RARE, 'may_day_medal').id);
    const res = await t.http().get(`/api/public/certificates/${cert.verificationCode}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, revoked: false, status: 'ready', serial: cert.serial, recipient: '张*𠇔', award: '市五一劳动奖章', competition: expect.any(String), issuer: '衢州市总工会', signature: cert.signature, keyId: cert.keyId });
    expect(verifySignature(res.body.payload, res.body.signature, await publicKey())).toBe(true);
    const unknown = await t.http().get('/api/public/certificates/AAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('CERTIFICATE_NOT_FOUND');
    expect((await t.http().get('/api/public/certificates/..%2F..')).status).toBe(404);
    const page = await t.http().get(`/verify/${cert.verificationCode}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('证书有效');
    expect(page.text).toContain(cert.serial);
    expect(page.text).not.toContain(RARE);
    const missingPage = await t.http().get('/verify/AAAAAAAAAAAAAAAAAAAAAA');
    expect(missingPage.status).toBe(404);
    expect(missingPage.text).toContain('未找到证书');
  });

  it('lets only the recipient and the competition’s organizers download the PDF', async () => {
    const award = awardOf(RARE, 'may_day_medal');
    const other = await registeredWorker(t, orgs.enterprise.id, { name: '路人甲' });
    expect((await downloadCertificate(t, award.id, c.byName(RARE).token)).status).toBe(200);
    expect((await downloadCertificate(t, award.id, organizer.token)).status).toBe(200);
    expect((await downloadCertificate(t, award.id, admin)).status).toBe(200);
    expect((await downloadCertificate(t, award.id, c.byName('李建国').token)).status).toBe(404);
    expect((await downloadCertificate(t, award.id, other.token)).status).toBe(404);
    expect((await downloadCertificate(t, award.id, otherOrganizer.token)).status).toBe(404);
    expect((await downloadCertificate(t, award.id)).status).toBe(401);
    expect((await downloadCertificate(t, '00000000-0000-4000-8000-000000000000', organizer.token)).status).toBe(404);
    const notReady = await downloadCertificate(t, awardOf(MISSING).id, organizer.token);
    expect(notReady.status).toBe(409);
    expect(JSON.parse(notReady.body.toString('utf8'))).toMatchObject({ code: 'CERTIFICATE_NOT_READY', message: expect.stringContaining('U+9FF0') });
  });

  it('shows progress to the competition’s organizers only', async () => {
    expect((await certificateProgress(t, organizer.token, c.id)).status).toBe(200);
    expect((await certificateProgress(t, otherOrganizer.token, c.id)).status).toBe(403);
    expect((await certificateProgress(t, c.byName(RARE).token!, c.id)).status).toBe(403);
  });

  it('retries a failed certificate as a new job on an organizer’s request, keeping its serial; only a failed one (409)', async () => {
    const award = awardOf(MISSING);
    const before = await certOf(award.id);
    expect((await retryCertificate(t, before.id, otherOrganizer.token)).status).toBe(403);
    expect((await retryCertificate(t, before.id, c.byName(RARE).token!)).status).toBe(403);
    const again = await retryCertificate(t, before.id, organizer.token);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: before.id, status: 'queued', serial: before.serial });
    const stillFailing = await waitForCertificate(t, before.id, (x) => x.status === 'failed' && x.attempts === 2);
    expect(stillFailing.lastError).toContain('鿰 (U+9FF0)');

    // The name is corrected (a typo for 王菲), then retried once more: rendered under the same serial.
    await t.db.run((m) => m.update(Worker, { id: award.workerId }, { name: '王菲' }));
    expect((await retryCertificate(t, before.id, organizer.token)).status).toBe(202);
    const ready = await waitForCertificate(t, before.id, (x) => x.status === 'ready');
    expect(ready).toMatchObject({ serial: before.serial, retries: 2, attempts: 3, lastError: null });
    const jobs = await t.app.get(QueueService).queue(CERTIFICATES_QUEUE).getJobs(['completed', 'failed']);
    expect(jobs.map((j) => j.id).filter((id) => id?.includes(award.id)).sort()).toEqual([`certificate-${award.id}`, `certificate-${award.id}-retry-1`, `certificate-${award.id}-retry-2`]);
    const conflict = await retryCertificate(t, before.id, organizer.token);
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('CERTIFICATE_NOT_FAILED');
    expect(await certificateProgress(t, organizer.token, c.id).then((r) => r.body)).toMatchObject({ ready: 5, failed: 0 });
  });

  it('never makes a second serial or file: a duplicate job skips a ready certificate, a redelivered one mid-render renders the same serial again', async () => {
    const award = awardOf('欧阳明');
    const cert = await certOf(award.id);
    const counters = await t.db.run((m) => m.find(CertificateSerialCounter));
    const files = t.app.get<FileStore>(FILE_STORE);
    const queue = t.app.get(QueueService);

    const dup = await queue.add(CERTIFICATES_QUEUE, CERTIFICATE_JOBS.render, { certificateId: cert.id, awardId: award.id }, { jobId: `certificate-${award.id}-duplicate` });
    let state = '';
    for (let i = 0; i < 100 && state !== 'completed'; i++, await new Promise((r) => setTimeout(r, 100))) state = await queue.queue(CERTIFICATES_QUEUE).getJobState(dup.id!);
    expect(state).toBe('completed');
    expect((await queue.queue(CERTIFICATES_QUEUE).getJob(dup.id!))!.returnvalue).toMatchObject({ status: 'skipped', reason: 'the certificate is ready' });
    expect(await certOf(award.id)).toMatchObject({ attempts: cert.attempts, renderedAt: cert.renderedAt });

    // A worker killed mid-render leaves the row `rendering`; its job comes back (stalled) and renders again.
    await t.db.run((m) => m.update(Certificate, { id: cert.id }, { status: 'rendering' }));
    await queue.add(CERTIFICATES_QUEUE, CERTIFICATE_JOBS.render, { certificateId: cert.id, awardId: award.id }, { jobId: `certificate-${award.id}-redelivered` });
    const again = await waitForCertificate(t, cert.id, (x) => x.status === 'ready' && x.attempts === cert.attempts + 1);
    expect(again).toMatchObject({ serial: cert.serial, fileKey: cert.fileKey, sha256: cert.sha256, signature: cert.signature, payload: cert.payload });
    expect(await t.db.run((m) => m.find(CertificateSerialCounter))).toEqual(counters);
    expect(await t.db.run((m) => m.count(Certificate, { where: { awardId: award.id } }))).toBe(1);
    expect((await files.get(cert.fileKey!)).length).toBeGreaterThan(0);

    // The listener called again for the same awards (a second finalize would not even call it) adds nothing.
    const created = await t.db.transaction((m) => t.app.get(CertificatesService).onIssued(m, awards));
    expect(created).toEqual([]);
    expect(await t.db.run((m) => m.find(CertificateSerialCounter))).toEqual(counters);
  });

  it('lets an organizer retry a certificate stuck in rendering (its job lost) after a while, not before', async () => {
    const award = awardOf('欧阳明');
    const cert = await certOf(award.id);
    await t.db.run((m) => m.update(Certificate, { id: cert.id }, { status: 'rendering' }));
    expect((await retryCertificate(t, cert.id, organizer.token)).status).toBe(409);
    await t.db.run((m) => m.update(Certificate, { id: cert.id }, { updatedAt: new Date(Date.now() - 20 * 60_000) }));
    const res = await retryCertificate(t, cert.id, organizer.token);
    expect(res.status).toBe(202);
    const ready = await waitForCertificate(t, cert.id, (x) => x.status === 'ready' && x.retries === cert.retries + 1);
    expect(ready).toMatchObject({ serial: cert.serial, fileKey: cert.fileKey, sha256: cert.sha256 });
  });

  it('marks the certificate revoked with its award: the public answer and page say so, the script refuses it, the PDF is no longer served', async () => {
    const award = awardOf('李建国');
    const cert = await certOf(award.id);
    const pdfFile = path.join(tmp, 'revoked.pdf');
    fs.writeFileSync(pdfFile, (await downloadCertificate(t, award.id, organizer.token)).body as Buffer);
    const res = await revokeAward(t, organizer.token, award.id, '经查实存在违规行为');
    expect(res.status).toBe(200);
    expect(await certOf(award.id)).toMatchObject({ status: 'revoked', revokeReason: '经查实存在违规行为' });
    const pub = await t.http().get(`/api/public/certificates/${cert.verificationCode}`);
    expect(pub.body).toMatchObject({ valid: false, revoked: true, status: 'revoked', serial: cert.serial, revokedAt: expect.any(String) });
    const page = await t.http().get(`/verify/${cert.verificationCode}`);
    expect(page.text).toContain('证书已撤销');
    const script = await runVerifyScript([pdfFile, '--url', t.baseUrl]);
    expect(script).toMatchObject({ code: 1, stdout: expect.stringContaining('REVOKED') });
    expect((await downloadCertificate(t, award.id, c.byName('李建国').token)).status).toBe(409);
    expect(await certificateProgress(t, organizer.token, c.id).then((r) => r.body)).toEqual({ total: 5, queued: 0, rendering: 0, ready: 4, failed: 0, revoked: 1 });
  });
});
