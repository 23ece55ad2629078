import { execFile } from 'node:child_process';
import type { Response } from 'superagent';
import { Certificate } from '../../src/modules/certificates/certificate.entity';
import { bearer, TestApp } from '../utils/create-test-app';

import type { CertificateProgress } from '../../src/modules/certificates/certificates.service';

export type Progress = CertificateProgress;

export function certificateProgress(t: TestApp, token: string, competitionId: string) {
  return t.http().get(`/api/competitions/${competitionId}/certificates/progress`).set(bearer(token));
}

/** Polls the progress endpoint until `done` accepts it; throws with the last answer after `timeoutMs`. */
export async function waitForProgress(t: TestApp, token: string, competitionId: string, done: (p: Progress) => boolean, timeoutMs = 30_000): Promise<Progress> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const res = await certificateProgress(t, token, competitionId);
    last = res.body;
    if (res.status === 200 && done(res.body as Progress)) return res.body as Progress;
    if (Date.now() > deadline) throw new Error(`certificates not there within ${timeoutMs} ms: ${res.status} ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Polls the certificate row until `done` accepts it. */
export async function waitForCertificate(t: TestApp, id: string, done: (c: Certificate) => boolean, timeoutMs = 30_000): Promise<Certificate> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await t.db.run((m) => m.findOne(Certificate, { where: { id } }));
    if (c && done(c)) return c;
    if (Date.now() > deadline) throw new Error(`certificate ${id} not as expected within ${timeoutMs} ms: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const certificatesOf = (t: TestApp, competitionId: string) => t.db.run((m) => m.find(Certificate, { where: { competitionId }, order: { serial: 'ASC' } }));

const binary = (res: Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/** GET /api/awards/:id/certificate.pdf with the body as a Buffer (whatever the content type). */
export function downloadCertificate(t: TestApp, awardId: string, token?: string) {
  const req = t.http().get(`/api/awards/${awardId}/certificate.pdf`).buffer(true).parse(binary as never);
  return token ? req.set(bearer(token)) : req;
}

export function retryCertificate(t: TestApp, certificateId: string, token: string) {
  return t.http().post(`/api/certificates/${certificateId}/retry`).set(bearer(token)).send({});
}

/** Runs `npm run verify-certificate -- …` as a child process. */
export function runVerifyScript(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '-s', 'verify-certificate', '--', ...args], { cwd: process.cwd(), timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
