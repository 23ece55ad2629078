import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, JsonColumn, UpdatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';

/**
 * One entry's result: frozen (`final = false`, provisional) when the competition is published and
 * recomputed when an upheld appeal changes that entry's marks; made final (`final = true`) in the
 * finalize transaction. Scores are integer hundredths; `rank` is null for an entry not ranked
 * (incomplete, absent, disqualified, withdrawn).
 */
@Entity('results')
@Index(['competitionId', 'enrolmentId'], { unique: true })
@Index(['workerId'])
export class Result {
  @UuidPrimaryColumn() id: string;
  @UuidColumn() competitionId: string;
  @UuidColumn() enrolmentId: string;
  @UuidColumn() workerId: string;
  @Column({ type: 'integer', nullable: true }) rank: number | null;
  @Column({ type: 'integer' }) total: number;
  /** Section key → score in hundredths. */
  @JsonColumn() sections: Record<string, number>;
  @Column({ type: 'integer' }) penalties: number;
  @Column({ type: 'boolean', default: false }) complete: boolean;
  @Column({ type: 'boolean', default: false }) final: boolean;
  @DateTimeColumn() computedAt: Date;
  @DateTimeColumn({ nullable: true }) finalizedAt: Date | null;
  @CreatedAtColumn() createdAt: Date;
  @UpdatedAtColumn() updatedAt: Date;
}
