import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, UpdatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Competition } from '../competitions/competition.entity';
import type { EnrolmentStatus } from '../competitions/domain/competition.types';
import { Worker } from '../identity/worker.entity';
import { Organization } from '../organizations/organization.entity';

export type EnrolmentSource = 'self' | 'organizer' | 'import';

/** A worker's entry in a competition (选手). One per worker and competition; one bib per competition. */
@Entity('enrolments')
@Index(['competitionId', 'workerId'], { unique: true })
@Index(['competitionId', 'bib'], { unique: true })
@Index(['competitionId', 'nominatingOrgId', 'status'])
export class Enrolment {
  @UuidPrimaryColumn() id: string;
  @UuidColumn() competitionId: string;
  @ManyToOne(() => Competition)
  @JoinColumn({ name: 'competition_id' })
  competition?: Competition;
  @Index() @UuidColumn() workerId: string;
  @ManyToOne(() => Worker)
  @JoinColumn({ name: 'worker_id' })
  worker?: Worker;
  /** The child of the competition's owner that contains the worker's employer: quotas count per it. */
  @UuidColumn() nominatingOrgId: string;
  @ManyToOne(() => Organization)
  @JoinColumn({ name: 'nominating_org_id' })
  nominatingOrg?: Organization;
  @Column({ type: 'varchar', length: 16 }) status: EnrolmentStatus;
  @Column({ type: 'integer', nullable: true }) bib: number | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) station: string | null;
  @Column({ type: 'integer', nullable: true }) timeUsedSeconds: number | null;
  /** Why it was rejected, or marked absent or disqualified. */
  @Column({ type: 'varchar', length: 500, nullable: true }) reason: string | null;
  @Column({ type: 'varchar', length: 16 }) source: EnrolmentSource;
  @UuidColumn({ nullable: true }) createdBy: string | null;
  @UuidColumn({ nullable: true }) decidedBy: string | null;
  @DateTimeColumn({ nullable: true }) decidedAt: Date | null;
  @CreatedAtColumn() createdAt: Date;
  @UpdatedAtColumn() updatedAt: Date;
}
