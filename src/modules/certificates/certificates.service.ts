import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { EntityManager, In } from 'typeorm';
import { AuthUser } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { insertMany } from '../../database/bulk-insert';
import { Db } from '../../database/db.service';
import { Award } from '../awards/award.entity';
import type { CertificateInfo } from '../awards/awards.hooks';
import { AwardsService } from '../awards/awards.service';
import { awardLabel } from '../awards/domain/award-labels';
import { CompetitionsService } from '../competitions/competitions.service';
import { FILE_STORE, FileStore } from '../files/file-store';
import { maskName } from '../identity/domain/masking';
import { NewOutboxEvent, OutboxService } from '../queue/outbox.service';
import { AuditService } from '../audit/audit.service';
import { Certificate, CERTIFICATE_STATUSES, CertificateStatus } from './certificate.entity';
import { loadFacts, verifyUrlOf } from './certificate-facts';
import { CERTIFICATE_JOBS, CERTIFICATES_QUEUE, CertificateJobPayload, certificateJobId } from './certificates.queue';
import { chinaDate } from './render/certificate-format';
import { CertificateSigner, PublicKeyInfo, verifySignature } from './render/signing';
import { allocateSerials } from './serials';

export interface CertificateProgress {
  total: number;
  queued: number;
  rendering: number;
  ready: number;
  failed: number;
  revoked: number;
}

export interface CertificateView {
  id: string;
  awardId: string;
  competitionId: string;
  status: CertificateStatus;
  serial: string;
  verifyUrl: string;
  attempts: number;
  lastError: string | null;
  renderedAt: string | null;
}

/** GET /api/public/certificates/:code. */
export interface PublicVerification {
  /** Rendered, signed by a key of this system, not revoked. */
  valid: boolean;
  revoked: boolean;
  status: CertificateStatus;
  serial: string;
  /** Masked (张*明): the full name is in the signed payload, which only holders of the code see. */
  recipient: string;
  award: string;
  competition: string;
  issuer: string;
  issuedAt: string;
  revokedAt: string | null;
  /** The signed statement (null until rendered) and its Ed25519 signature, base64url. */
  payload: Record<string, unknown> | null;
  signature: string | null;
  keyId: string | null;
}

const CODE = /^[A-Za-z0-9_-]{16,32}$/;
/**
 * A certificate left `rendering` or `queued` this long lost its job (a worker killed more often than BullMQ's
 * stalled-job limit allows fails the job without the handler seeing it): an organizer may retry it too.
 */
export const STUCK_AFTER_MS = 15 * 60_000;
const retryable = (c: Certificate, now = Date.now()) => c.status === 'failed' || ((c.status === 'rendering' || c.status === 'queued') && now - new Date(c.updatedAt).getTime() > STUCK_AFTER_MS);
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/**
 * Certificates around the awards: rows and serials in the issuing transaction (AwardListener), what the awards
 * list shows (CertificateInfoProvider), downloads, retries, progress and public verification. Rendering is
 * CertificateRenderService's, in the workers.
 */
@Injectable()
export class CertificatesService implements OnModuleInit {
  private readonly logger = new Logger(CertificatesService.name);

  constructor(
    private readonly db: Db,
    private readonly awards: AwardsService,
    private readonly competitions: CompetitionsService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly signer: CertificateSigner,
    @Inject(FILE_STORE) private readonly files: FileStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** In the API and in worker processes alike: awards may be issued wherever a transaction runs. */
  onModuleInit(): void {
    this.awards.registerListener({
      issued: async (m, awards) => {
        await this.onIssued(m, awards);
      },
      revoked: (m, award, reason) => this.onRevoked(m, award, reason),
    });
    this.awards.registerCertificateInfoProvider((m, awardIds) => this.info(m, awardIds));
  }

  /**
   * Inside the issuing transaction: a queued certificate with its serial per issued award that has none yet,
   * and one outbox event per certificate. The caller notifies the outbox after its commit.
   */
  async onIssued(m: EntityManager, awards: Award[]): Promise<Certificate[]> {
    const issued = awards.filter((a) => a.status === 'issued');
    if (issued.length === 0) return [];
    const have = new Set<string>();
    for (let i = 0; i < issued.length; i += 500) {
      const rows = await m.find(Certificate, { where: { awardId: In(issued.slice(i, i + 500).map((a) => a.id)) }, select: { id: true, awardId: true } });
      for (const r of rows) have.add(r.awardId);
    }
    const todo = issued.filter((a) => !have.has(a.id));
    if (todo.length === 0) return [];
    const now = new Date();
    const serials = await allocateSerials(m, this.db.kind, this.config.certificates.serialPrefix, todo.map((a) => chinaDate(a.issuedAt ?? now).year));
    // 16 random bytes per verification code, drawn at once (one call per code cost ≈ 7 µs each, 70 ms for 10,000).
    const random = randomBytes(16 * todo.length);
    const rows = todo.map((a, i) =>
      m.create(Certificate, {
        id: randomUUID(),
        awardId: a.id,
        competitionId: a.competitionId,
        status: 'queued',
        serial: serials[i],
        verificationCode: random.subarray(16 * i, 16 * i + 16).toString('base64url'),
        templateVersion: null,
        fileKey: null,
        sha256: null,
        signature: null,
        payload: null,
        keyId: null,
        attempts: 0,
        retries: 0,
        lastError: null,
        renderedAt: null,
        revokedAt: null,
        revokeReason: null,
        createdAt: now,
        updatedAt: now,
      }),
    );
    // Every column is set here (timestamps too): nothing to read back.
    await insertMany(m, Certificate, rows);
    await this.outbox.addMany(m, rows.map((c) => this.renderEvent(c, 0)));
    return rows;
  }

  async onRevoked(m: EntityManager, award: Award, reason: string): Promise<void> {
    await m.update(Certificate, { awardId: award.id }, { status: 'revoked', revokedAt: award.revokedAt ?? new Date(), revokeReason: reason.slice(0, 500), updatedAt: new Date() });
  }

  private renderEvent(c: Certificate, retry: number): NewOutboxEvent {
    const payload: CertificateJobPayload = { certificateId: c.id, awardId: c.awardId };
    return { type: CERTIFICATE_JOBS.render, queue: CERTIFICATES_QUEUE, jobId: certificateJobId(c.awardId, retry), payload: { ...payload } };
  }

  private enqueue(m: EntityManager, c: Certificate, retry: number) {
    return this.outbox.add(m, this.renderEvent(c, retry));
  }

  async info(m: EntityManager, awardIds: string[]): Promise<Map<string, CertificateInfo>> {
    const out = new Map<string, CertificateInfo>();
    for (let i = 0; i < awardIds.length; i += 500) {
      const rows = await m.find(Certificate, { where: { awardId: In(awardIds.slice(i, i + 500)) }, select: { id: true, awardId: true, status: true, serial: true, verificationCode: true } });
      for (const c of rows) out.set(c.awardId, { id: c.id, status: c.status, serial: c.serial, verifyUrl: verifyUrlOf(this.config.publicBaseUrl, c.verificationCode) });
    }
    return out;
  }

  /** GET /api/competitions/:id/certificates/progress (organizers). */
  async progress(user: AuthUser, competitionId: string): Promise<CertificateProgress> {
    await this.competitions.getManaged(user, competitionId);
    const rows = await this.db.run((m) =>
      m.createQueryBuilder(Certificate, 'c').select('c.status', 'status').addSelect('COUNT(*)', 'n').where('c.competitionId = :competitionId', { competitionId }).groupBy('c.status').getRawMany<{ status: CertificateStatus; n: string | number }>(),
    );
    const p: CertificateProgress = { total: 0, queued: 0, rendering: 0, ready: 0, failed: 0, revoked: 0 };
    for (const r of rows) {
      if (!CERTIFICATE_STATUSES.includes(r.status)) continue;
      p[r.status] = Number(r.n);
      p.total += Number(r.n);
    }
    return p;
  }

  /** POST /api/certificates/:id/retry (organizers of the competition): a failed (or stuck) certificate is queued again, as a new job. */
  async retry(user: AuthUser, id: string): Promise<CertificateView> {
    const found = await this.db.run((m) => m.findOne(Certificate, { where: { id } }));
    if (!found) throw DomainError.notFound('certificate', 'CERTIFICATE_NOT_FOUND');
    await this.competitions.getManaged(user, found.competitionId);
    const c = await this.db.transaction(async (m) => {
      const cur = await m.findOne(Certificate, { where: { id } });
      if (!cur) throw DomainError.notFound('certificate', 'CERTIFICATE_NOT_FOUND');
      if (!retryable(cur)) throw DomainError.conflict('CERTIFICATE_NOT_FAILED', `only a failed certificate can be retried; this one is ${cur.status}`);
      const retries = cur.retries + 1;
      const res = await m.update(Certificate, { id, status: cur.status }, { status: 'queued', retries, updatedAt: new Date() });
      if (!res.affected) throw DomainError.conflict('CERTIFICATE_NOT_FAILED', 'the certificate changed meanwhile; reload and try again');
      Object.assign(cur, { status: 'queued', retries });
      await this.enqueue(m, cur, retries);
      await this.audit.record(m, { actorId: user.id, action: 'certificate.retry', entityType: 'certificate', entityId: id, before: { status: cur.status, lastError: cur.lastError }, after: { status: 'queued', retries } });
      return cur;
    });
    this.outbox.notifyCommitted();
    return this.view(c);
  }

  view(c: Certificate): CertificateView {
    return {
      id: c.id,
      awardId: c.awardId,
      competitionId: c.competitionId,
      status: c.status,
      serial: c.serial,
      verifyUrl: verifyUrlOf(this.config.publicBaseUrl, c.verificationCode),
      attempts: c.attempts,
      lastError: c.lastError,
      renderedAt: iso(c.renderedAt),
    };
  }

  /** GET /api/awards/:id/certificate.pdf: the recipient worker and organizers of the competition; anyone else 404. */
  async pdf(user: AuthUser, awardId: string): Promise<{ data: Buffer; serial: string; sha256: string }> {
    const found = await this.db.run(async (m) => {
      const award = await m.findOne(Award, { where: { id: awardId } });
      const cert = award ? await m.findOne(Certificate, { where: { awardId } }) : null;
      return award && cert ? { award, cert } : undefined;
    });
    const notFound = DomainError.notFound('certificate', 'CERTIFICATE_NOT_FOUND');
    if (!found) throw notFound;
    const { award, cert } = found;
    if (!(user.workerId && user.workerId === award.workerId)) {
      const competition = await this.competitions.getEntity(award.competitionId).catch(() => undefined);
      if (!competition || !(await this.competitions.rolesOf(user, competition)).has('organizer')) throw notFound;
    }
    if (cert.status === 'revoked') throw DomainError.conflict('CERTIFICATE_REVOKED', 'this certificate was revoked with its award');
    if (cert.status !== 'ready' || !cert.fileKey) {
      throw new DomainError('conflict', 'CERTIFICATE_NOT_READY', `the certificate is not ready yet (${cert.status}${cert.status === 'failed' && cert.lastError ? `: ${cert.lastError}` : ''})`, { status: cert.status });
    }
    return { data: await this.files.get(cert.fileKey), serial: cert.serial, sha256: cert.sha256 ?? '' };
  }

  /** GET /api/public/keys: the keys certificates are signed with (one today; a list, so a rotated key can stay published). */
  publicKeys(): { keys: PublicKeyInfo[] } {
    return { keys: [this.signer.info] };
  }

  /** Public verification by the code of the QR code; undefined when no certificate has that code. */
  async verify(code: string): Promise<PublicVerification | undefined> {
    if (!CODE.test(code)) return undefined;
    const found = await this.db.run(async (m) => {
      const c = await m.findOne(Certificate, { where: { verificationCode: code } });
      if (!c) return undefined;
      const facts = await loadFacts(m, c, this.config.publicBaseUrl);
      return facts ? { c, facts } : undefined;
    });
    if (!found) return undefined;
    const { c, facts } = found;
    const payload = c.payload ? (JSON.parse(c.payload) as Record<string, unknown>) : null;
    const authentic = !!payload && !!c.signature && c.keyId === this.signer.info.kid && verifySignature(payload, c.signature, this.signer.publicKey);
    if (payload && !authentic) this.logger.error({ certificateId: c.id }, 'stored certificate signature does not verify');
    return {
      valid: authentic && c.status === 'ready',
      revoked: c.status === 'revoked',
      status: c.status,
      serial: c.serial,
      recipient: maskName(facts.recipient.name),
      award: awardLabel(facts.award.type, facts.award.level),
      competition: facts.competition.title,
      issuer: facts.issuer.name,
      issuedAt: facts.award.issuedAt.toISOString(),
      revokedAt: iso(c.revokedAt),
      payload,
      signature: c.signature,
      keyId: c.keyId,
    };
  }
}
