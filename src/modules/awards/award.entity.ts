import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, UpdatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Competition } from '../competitions/competition.entity';
import { Enrolment } from '../enrolment/enrolment.entity';
import { Worker } from '../identity/worker.entity';

/** issued: the award stands (a certificate follows); nominated: waits for the parent organization (medalPolicy nominate). */
export type AwardStatus = 'issued' | 'nominated' | 'declined' | 'revoked';

/**
 * An honour from a finalized competition. Unique on (competition, worker, type): applying the rules
 * twice inserts nothing the second time. `type` is the rule's award (`may_day_medal`,
 * `worker_pioneer`, `technical_expert`, …); `level` the competition's level.
 */
@Entity('awards')
@Index(['competitionId', 'workerId', 'type'], { unique: true })
@Index(['workerId'])
@Index(['enrolmentId'])
export class Award {
  @UuidPrimaryColumn() id: string;
  @UuidColumn() competitionId: string;
  @ManyToOne(() => Competition)
  @JoinColumn({ name: 'competition_id' })
  competition?: Competition;
  @UuidColumn() enrolmentId: string;
  @ManyToOne(() => Enrolment)
  @JoinColumn({ name: 'enrolment_id' })
  enrolment?: Enrolment;
  @UuidColumn() workerId: string;
  @ManyToOne(() => Worker)
  @JoinColumn({ name: 'worker_id' })
  worker?: Worker;
  @Column({ type: 'varchar', length: 40 }) type: string;
  @Column({ type: 'varchar', length: 16 }) level: string;
  @Column({ type: 'integer', nullable: true }) rank: number | null;
  /** The final total in hundredths. */
  @Column({ type: 'integer' }) total: number;
  @Column({ type: 'varchar', length: 16 }) status: AwardStatus;
  @DateTimeColumn({ nullable: true }) issuedAt: Date | null;
  @UuidColumn({ nullable: true }) decidedBy: string | null;
  @DateTimeColumn({ nullable: true }) decidedAt: Date | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) decisionReason: string | null;
  @UuidColumn({ nullable: true }) revokedBy: string | null;
  @DateTimeColumn({ nullable: true }) revokedAt: Date | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) revokeReason: string | null;
  @CreatedAtColumn() createdAt: Date;
  @UpdatedAtColumn() updatedAt: Date;
}
