import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, UpdatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';

export type AppealStatus = 'open' | 'upheld' | 'dismissed';
export const APPEAL_STATUSES: AppealStatus[] = ['open', 'upheld', 'dismissed'];

/**
 * 申诉: a contestant's appeal against a published result, decided by an organizer of the competition.
 * An upheld appeal reopens that entry's marks for the chief judge until the results are final.
 */
@Entity('appeals')
@Index(['competitionId', 'status'])
@Index(['enrolmentId'])
export class Appeal {
  @UuidPrimaryColumn() id: string;
  @UuidColumn() competitionId: string;
  @UuidColumn() enrolmentId: string;
  @UuidColumn() workerId: string;
  /** The user who filed it (the contestant's login). */
  @UuidColumn() filedBy: string;
  @Column({ type: 'varchar', length: 1000 }) reason: string;
  @Column({ type: 'varchar', length: 16 }) status: AppealStatus;
  @Column({ type: 'varchar', length: 1000, nullable: true }) resolution: string | null;
  @UuidColumn({ nullable: true }) decidedBy: string | null;
  @DateTimeColumn({ nullable: true }) decidedAt: Date | null;
  /**
   * The enrolment id while the appeal is open, null once decided: its unique index allows one open
   * appeal per entry on both databases (NULLs are distinct), even for two filings racing each other.
   */
  @Index({ unique: true }) @UuidColumn({ nullable: true }) openEnrolmentId: string | null;
  @CreatedAtColumn() createdAt: Date;
  @UpdatedAtColumn() updatedAt: Date;
}
