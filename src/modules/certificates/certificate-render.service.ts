import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import QRCode from 'qrcode';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Db } from '../../database/db.service';
import { FILE_STORE, FileStore } from '../files/file-store';
import { Certificate, CertificateStatus } from './certificate.entity';
import { claimWithFactsSqlite, JOB_SQL, jobOf, JobRow, RenderCertificate } from './certificate-facts';
import { certificateFileKey } from './certificates.queue';
import { buildPayload, certificateView, CertificateFacts } from './render/certificate-payload';
import { renderCertificatePdf } from './render/certificate-pdf';
import { templateFor } from './render/certificate-template';
import { canonicalJson } from './render/canonical-json';
import { defaultFontSpecs, FontChain, MissingGlyphError } from './render/font-chain';
import { CertificateSigner } from './render/signing';
import { awardLabel } from '../awards/domain/award-labels';

export interface RenderOutcome {
  certificateId: string;
  status: 'ready' | 'skipped';
  serial?: string;
  sha256?: string;
  bytes?: number;
  ms?: number;
  /** Why nothing was rendered: the certificate is already ready, revoked, failed, or gone. */
  reason?: string;
}

export interface RenderedPdf {
  pdf: Buffer;
  payload: string;
  signature: string;
  templateVersion: string;
}

const MAX_ERROR = 1000;
/** Statuses a job may (re)claim: `rendering` when its worker died mid-render and the stalled job came back. */
const CLAIMABLE: CertificateStatus[] = ['queued', 'rendering'];
const CLAIMABLE_LIST = CLAIMABLE.map((s) => `'${s}'`).join(', ');
/** The claim: only while still queued or rendering (a revocation or a retry in between wins); a row back when claimed. */
const CLAIM_SQL = `UPDATE certificates SET status = 'rendering', attempts = attempts + 1, updated_at = ? WHERE id = ? AND status IN (${CLAIMABLE_LIST}) RETURNING id`;
/** SQLite: the claim and the job's read in one statement. */
const CLAIM_WITH_FACTS_SQL = claimWithFactsSqlite(CLAIMABLE_LIST);
/** A certificate that cannot be rendered (its award, worker or competition is gone) fails with the reason, unless it moved on. */
const GIVE_UP_SQL = `UPDATE certificates SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ? AND status IN (${CLAIMABLE_LIST})`;
const GONE = 'the award, worker or competition of the certificate is gone';
/** Ready, only if still rendering under this claim's watch (a revocation in between wins). */
const READY_SQL =
  "UPDATE certificates SET status = 'ready', file_key = ?, sha256 = ?, payload = ?, signature = ?, key_id = ?, template_version = ?, last_error = NULL, rendered_at = ?, updated_at = ? WHERE id = ? AND status = 'rendering'";

/**
 * Renders certificates in workers. Idempotent: a ready (or revoked) certificate is left alone; a certificate
 * found `rendering` (its worker died, the stalled job came back) is rendered again under the same serial and
 * file key, so a duplicate job never makes a second serial or file.
 */
/**
 * What a render job reports as its BullMQ progress, once, when the certificate is ready: a render takes milliseconds,
 * so a report of each step would cost a Redis script per certificate and show nothing a watcher could see. How far a
 * batch is shows in the queue's counts (waiting, active, completed) and in GET …/certificates/progress.
 */
export interface RenderProgress {
  stage: 'ready';
  percent: number;
  serial: string;
}

@Injectable()
export class CertificateRenderService {
  private readonly logger = new Logger(CertificateRenderService.name);
  /** Fonts are parsed once per process, on first use. */
  readonly fonts: FontChain;

  constructor(
    private readonly db: Db,
    private readonly signer: CertificateSigner,
    @Inject(FILE_STORE) private readonly files: FileStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.fonts = new FontChain(defaultFontSpecs(config.certificates.fonts));
  }

  /** A timestamp as TypeORM writes the certificate's date columns on this database. */
  private timestamp(d: Date): unknown {
    const ds = this.db.dataSource;
    return ds.driver.preparePersistentValue(d, ds.getMetadata(Certificate).findColumnWithPropertyName('updatedAt')!);
  }

  /**
   * The job's claim: the certificate becomes `rendering` only while queued or rendering (a revocation or a retry in
   * between wins), and the facts come with it. Plain statements (Db.rows), as they run for every certificate. On
   * SQLite one statement claims and reads (a worker's statement after another process's write pays for reloading
   * pages, so fewer statements is less work); on PostgreSQL the read comes first, then the claim.
   */
  private async claim(certificateId: string): Promise<{ skip: string } | { c: RenderCertificate; facts: CertificateFacts }> {
    const base = this.config.publicBaseUrl;
    const ds = this.db.dataSource;
    let job: { c: RenderCertificate; facts?: CertificateFacts } | undefined;
    if (this.db.kind === 'sqlite') {
      const [row] = await this.db.rows<JobRow & { facts: string | null }>(CLAIM_WITH_FACTS_SQL, [this.timestamp(new Date()), certificateId]);
      if (!row) return { skip: await this.whyNotClaimed(certificateId) };
      job = jobOf(ds, { ...row, ...(row.facts ? (JSON.parse(row.facts) as Partial<JobRow>) : {}) }, base);
    } else {
      const [row] = await this.db.rows<JobRow>(JOB_SQL, [certificateId]);
      if (!row) return { skip: 'the certificate no longer exists' };
      job = jobOf(ds, row, base);
      // failed: an old job delivered again; a retry makes a new job after setting the certificate queued.
      if (!CLAIMABLE.includes(job.c.status)) return { skip: `the certificate is ${job.c.status}` };
      if (job.facts) {
        const claimed = await this.db.rows(CLAIM_SQL, [this.timestamp(new Date()), certificateId]);
        if (claimed.length === 0) return { skip: await this.whyNotClaimed(certificateId) };
      }
    }
    if (!job.facts) {
      await this.db.exec(GIVE_UP_SQL, [GONE, this.timestamp(new Date()), certificateId]);
      this.logger.warn({ certificateId }, GONE);
      return { skip: GONE };
    }
    return { c: job.c, facts: job.facts };
  }

  private async whyNotClaimed(certificateId: string): Promise<string> {
    const now = await this.db.run((m) => m.findOne(Certificate, { where: { id: certificateId }, select: { id: true, status: true } }));
    return now ? `the certificate is ${now.status}` : 'the certificate no longer exists';
  }

  /** The PDF, its signed payload (canonical JSON) and signature, from the facts alone: no I/O. */
  async renderPdf(facts: CertificateFacts): Promise<RenderedPdf> {
    const payloadObject = buildPayload(facts, this.signer.info.kid);
    const payload = canonicalJson(payloadObject);
    const signature = this.signer.sign(payloadObject);
    const template = templateFor(facts.award.type);
    const lines = template.render(certificateView(facts));
    const qr = QRCode.create(facts.verifyUrl, { errorCorrectionLevel: 'M' }).modules;
    const pdf = await renderCertificatePdf({
      lines,
      fonts: this.fonts,
      qr,
      proof: { payload: payloadObject, signature, alg: 'EdDSA', kid: this.signer.info.kid },
      title: `${awardLabel(facts.award.type, facts.award.level)}证书 ${facts.serial}`,
      author: facts.issuer.name,
      issuedAt: facts.award.issuedAt,
    });
    return { pdf, payload, signature, templateVersion: template.version };
  }

  /**
   * The job. `finalAttempt`: BullMQ will not try again after this one, so a failure is final. A character no font
   * has fails the certificate at once (UnrecoverableError): retrying would fail the same way.
   */
  async render(certificateId: string, finalAttempt: boolean, progress: (p: RenderProgress) => void = () => undefined): Promise<RenderOutcome> {
    const started = performance.now();
    const claim = await this.claim(certificateId);
    if ('skip' in claim) return { certificateId, status: 'skipped', reason: claim.skip };
    const { c, facts } = claim;

    try {
      const out = await this.renderPdf(facts);
      const stored = await this.files.put(certificateFileKey(c.serial), out.pdf);
      const now = new Date();
      const at = this.timestamp(now);
      const changed = await this.db.exec(READY_SQL, [stored.key, stored.sha256, out.payload, out.signature, this.signer.info.kid, out.templateVersion, at, at, c.id]);
      // Revoked (or retried by an organizer) while rendering: that change stands.
      if (changed === 0) return { certificateId, status: 'skipped', reason: await this.whyNotClaimed(c.id) };
      progress({ stage: 'ready', percent: 100, serial: c.serial });
      const ms = Math.round(performance.now() - started);
      // Debug, not info: a batch renders hundreds a second, and each is on record already (its row, its BullMQ job).
      this.logger.debug({ certificateId: c.id, serial: c.serial, bytes: out.pdf.length, ms }, 'certificate rendered');
      return { certificateId, status: 'ready', serial: c.serial, sha256: stored.sha256, bytes: out.pdf.length, ms };
    } catch (e) {
      const unrecoverable = e instanceof MissingGlyphError;
      const message = ((e as Error).message || String(e)).slice(0, MAX_ERROR);
      const status = unrecoverable || finalAttempt ? 'failed' : 'queued';
      await this.db
        .run((m) => m.update(Certificate, { id: c.id, status: 'rendering' }, { status, lastError: message, updatedAt: new Date() }))
        .catch((dbErr: Error) => this.logger.warn({ certificateId: c.id, err: dbErr.message }, 'could not record the failure of a certificate'));
      this.logger.warn({ certificateId: c.id, serial: c.serial, status, err: message }, 'certificate not rendered');
      if (unrecoverable) throw new UnrecoverableError(message);
      throw e;
    }
  }
}
