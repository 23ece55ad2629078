import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, JsonColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';

/**
 * Domain events written in the same transaction as the change they describe, then moved to BullMQ by
 * the OutboxDispatcher. A Redis outage delays delivery; it loses nothing.
 */
@Entity('outbox_events')
@Index(['sentAt', 'createdAt'])
export class OutboxEvent {
  @UuidPrimaryColumn() id: string;
  @Column({ type: 'varchar', length: 100 }) type: string;
  @Column({ type: 'varchar', length: 100 }) queue: string;
  /** Deterministic BullMQ job id (no ':'): a second add of the same id is dropped by BullMQ. */
  @Index({ unique: true }) @Column({ type: 'varchar', length: 200 }) jobId: string;
  @JsonColumn() payload: Record<string, unknown>;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ type: 'text', nullable: true }) lastError: string | null;
  @UuidColumn({ nullable: true }) claimToken: string | null;
  @DateTimeColumn({ nullable: true }) claimedUntil: Date | null;
  @DateTimeColumn({ nullable: true }) sentAt: Date | null;
  @CreatedAtColumn() createdAt: Date;
}
