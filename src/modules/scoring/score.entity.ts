import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, UpdatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';

/** One judge's mark for one criterion of one entry, in hundredths (8.75 ⇒ 875). */
@Entity('scores')
@Index(['enrolmentId', 'criterionKey', 'judgeUserId'], { unique: true })
@Index(['competitionId', 'judgeUserId'])
// Covering: a full recomputation reads every mark of an entry from the index alone.
@Index('IDX_scores_entry_marks', ['enrolmentId', 'criterionKey', 'judgeUserId', 'value'])
export class Score {
  @UuidPrimaryColumn() id: string;
  @UuidColumn() competitionId: string;
  @UuidColumn() enrolmentId: string;
  @Column({ type: 'varchar', length: 50 }) criterionKey: string;
  @UuidColumn() judgeUserId: string;
  @Column({ type: 'integer' }) value: number;
  /** The tablet's id of the submission that set the current value. */
  @Column({ type: 'varchar', length: 64 }) clientId: string;
  @CreatedAtColumn() createdAt: Date;
  @UpdatedAtColumn() updatedAt: Date;
}

/** Every change of a mark keeps the old value. */
@Entity('score_revisions')
@Index(['scoreId'])
@Index(['competitionId', 'enrolmentId'])
export class ScoreRevision {
  @UuidPrimaryColumn() id: string;
  @UuidColumn() scoreId: string;
  @UuidColumn() competitionId: string;
  @UuidColumn() enrolmentId: string;
  @Column({ type: 'varchar', length: 50 }) criterionKey: string;
  @Column({ type: 'integer', nullable: true }) oldValue: number | null;
  @Column({ type: 'integer' }) newValue: number;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason: string | null;
  @UuidColumn() byUserId: string;
  @Column({ type: 'varchar', length: 64 }) clientId: string;
  @DateTimeColumn() at: Date;
}

/** Submissions already applied, per judge and client id: a replayed batch changes nothing. */
@Entity('mark_receipts')
export class MarkReceipt {
  @UuidColumn({ primary: true }) judgeUserId: string;
  @Column({ type: 'varchar', length: 64, primary: true }) clientId: string;
  @UuidColumn() enrolmentId: string;
  @Column({ type: 'varchar', length: 50 }) criterionKey: string;
  @Column({ type: 'integer' }) value: number;
  @CreatedAtColumn() createdAt: Date;
}

/** 扣分: a penalty recorded by the chief judge, in hundredths. */
@Entity('penalties')
@Index(['competitionId', 'enrolmentId'])
export class Penalty {
  @UuidPrimaryColumn() id: string;
  @UuidColumn() competitionId: string;
  @UuidColumn() enrolmentId: string;
  @Column({ type: 'integer' }) points: number;
  @Column({ type: 'varchar', length: 500 }) reason: string;
  @UuidColumn() byUserId: string;
  @CreatedAtColumn() createdAt: Date;
}

/**
 * The current standing of one entry, kept in step with its marks in the same transaction: ranking
 * reads these instead of recomputing from every mark.
 */
@Entity('entry_scores')
@Index(['competitionId'])
export class EntryScore {
  @UuidColumn({ primary: true }) enrolmentId: string;
  @UuidColumn() competitionId: string;
  @Column({ type: 'integer', nullable: true }) total: number | null;
  @Column({ type: 'simple-json' }) sections: Record<string, number | null>;
  @Column({ type: 'simple-json' }) criteria: Record<string, number | null>;
  @Column({ type: 'integer', default: 0 }) penalties: number;
  @Column({ type: 'boolean', default: false }) complete: boolean;
  @UpdatedAtColumn() updatedAt: Date;
}
