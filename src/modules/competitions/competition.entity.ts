import { Column, Entity, Index, JoinColumn, ManyToOne, VersionColumn } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, JsonColumn, UpdatedAtColumn, UuidColumn, UuidPrimaryColumn } from '../../database/columns';
import { Organization } from '../organizations/organization.entity';
import type { OrgLevel } from '../organizations/domain/org-level';
import type { AwardRule, CompetitionKind, CompetitionStatus, ContestantType, EnrolmentRules, MedalPolicy, ScoringScheme, TieBreaker } from './domain/competition.types';

@Entity('competitions')
@Index(['status', 'startsAt'])
export class Competition {
  @UuidPrimaryColumn() id: string;
  @Column({ type: 'varchar', length: 200 }) title: string;
  @Column({ type: 'varchar', length: 16 }) kind: CompetitionKind;
  @Column({ type: 'varchar', length: 16 }) level: OrgLevel;
  @Index() @Column({ type: 'varchar', length: 50, nullable: true }) trade: string | null;
  @Index() @UuidColumn() organizationId: string;
  @ManyToOne(() => Organization)
  @JoinColumn({ name: 'organization_id' })
  organization?: Organization;
  @Column({ type: 'varchar', length: 16 }) contestantType: ContestantType;
  @DateTimeColumn({ nullable: true }) enrolmentOpensAt: Date | null;
  @DateTimeColumn({ nullable: true }) enrolmentClosesAt: Date | null;
  @DateTimeColumn({ nullable: true }) startsAt: Date | null;
  @DateTimeColumn({ nullable: true }) endsAt: Date | null;
  @Column({ type: 'varchar', length: 20 }) status: CompetitionStatus;
  @JsonColumn() enrolmentRules: EnrolmentRules;
  @JsonColumn({ nullable: true }) scoring: ScoringScheme | null;
  @JsonColumn() tieBreakers: TieBreaker[];
  @JsonColumn() awardRules: AwardRule[];
  @Column({ type: 'integer' }) publicityDays: number;
  @Column({ type: 'varchar', length: 16 }) medalPolicy: MedalPolicy;
  @Column({ type: 'varchar', length: 100, nullable: true }) drawSeed: string | null;
  @DateTimeColumn({ nullable: true }) drawnAt: Date | null;
  @DateTimeColumn({ nullable: true }) publishedAt: Date | null;
  @UuidColumn({ nullable: true }) createdBy: string | null;
  @VersionColumn() version: number;
  @CreatedAtColumn() createdAt: Date;
  @UpdatedAtColumn() updatedAt: Date;
}
