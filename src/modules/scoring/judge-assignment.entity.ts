import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, JsonColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Competition } from '../competitions/competition.entity';
import { User } from '../identity/user.entity';

/** A judge user on a competition's panel, for all criteria (null) or some; the chief judge (裁判长) signs off. */
@Entity('judge_assignments')
@Index(['competitionId', 'userId'], { unique: true })
export class JudgeAssignment {
  @UuidPrimaryColumn() id: string;
  @UuidColumn() competitionId: string;
  @ManyToOne(() => Competition)
  @JoinColumn({ name: 'competition_id' })
  competition?: Competition;
  @Index() @UuidColumn() userId: string;
  @ManyToOne(() => User)
  @JoinColumn({ name: 'user_id' })
  user?: User;
  @JsonColumn({ nullable: true }) criteria: string[] | null;
  @Column({ type: 'boolean', default: false }) chief: boolean;
  @CreatedAtColumn() createdAt: Date;
}
