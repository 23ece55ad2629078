import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, UpdatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Award } from '../awards/award.entity';

/**
 * queued: waiting for a worker (also between retries); rendering: a worker has it; ready: the PDF is stored;
 * failed: retries exhausted or a cause no retry fixes (a character no font has), an organizer may retry;
 * revoked: the award was revoked (verification says so).
 */
export type CertificateStatus = 'queued' | 'rendering' | 'ready' | 'failed' | 'revoked';
export const CERTIFICATE_STATUSES: CertificateStatus[] = ['queued', 'rendering', 'ready', 'failed', 'revoked'];

/**
 * One certificate per award. The serial is allocated once, in the transaction that issues the award, and kept
 * through every re-render; the verification code is the unguessable part of the public verification URL.
 */
@Entity('certificates')
@Index(['competitionId', 'status'])
export class Certificate {
  @UuidPrimaryColumn() id: string;
  @Index({ unique: true }) @UuidColumn() awardId: string;
  @ManyToOne(() => Award)
  @JoinColumn({ name: 'award_id' })
  award?: Award;
  @UuidColumn() competitionId: string;
  @Column({ type: 'varchar', length: 16 }) status: CertificateStatus;
  /** `<prefix>-<year of issue>-<000123>`, e.g. QZ-2026-000123. */
  @Index({ unique: true }) @Column({ type: 'varchar', length: 32 }) serial: string;
  /** 128 random bits, base64url. */
  @Index({ unique: true }) @Column({ type: 'varchar', length: 32 }) verificationCode: string;
  /** The template (file and hash of its text) the PDF was rendered from. */
  @Column({ type: 'varchar', length: 100, nullable: true }) templateVersion: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) fileKey: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) sha256: string | null;
  /** Ed25519 over `payload`, base64url. */
  @Column({ type: 'varchar', length: 100, nullable: true }) signature: string | null;
  /** The signed statement, exactly the canonical JSON (RFC 8785) that was signed. */
  @Column({ type: 'text', nullable: true }) payload: string | null;
  /** Key id (JWK thumbprint) of the signing key. */
  @Column({ type: 'varchar', length: 64, nullable: true }) keyId: string | null;
  /** Render attempts, over every job of this certificate. */
  @Column({ type: 'integer', default: 0 }) attempts: number;
  /** Retries requested by organizers: numbers the job id of each (BullMQ drops a reused id). */
  @Column({ type: 'integer', default: 0 }) retries: number;
  @Column({ type: 'text', nullable: true }) lastError: string | null;
  @DateTimeColumn({ nullable: true }) renderedAt: Date | null;
  @DateTimeColumn({ nullable: true }) revokedAt: Date | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) revokeReason: string | null;
  @CreatedAtColumn() createdAt: Date;
  @UpdatedAtColumn() updatedAt: Date;
}

/** The last serial number given out per prefix and year: counters only grow, so a serial is never reused. */
@Entity('certificate_serial_counters')
export class CertificateSerialCounter {
  @PrimaryColumn({ type: 'varchar', length: 8 }) prefix: string;
  @PrimaryColumn({ type: 'integer' }) year: number;
  @Column({ type: 'integer' }) last: number;
}
