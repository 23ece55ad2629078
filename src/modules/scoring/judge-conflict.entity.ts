import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';

/** A conflict of interest (回避) declared by an organizer between a judge and a worker. */
@Entity('judge_conflicts')
@Index(['competitionId', 'judgeUserId', 'workerId'], { unique: true })
export class JudgeConflict {
  @UuidPrimaryColumn() id: string;
  @UuidColumn() competitionId: string;
  @UuidColumn() judgeUserId: string;
  @UuidColumn() workerId: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) reason: string | null;
  @UuidColumn({ nullable: true }) createdBy: string | null;
  @CreatedAtColumn() createdAt: Date;
}
