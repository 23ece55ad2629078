import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { Trim } from '../../../common/validation';
import { ORG_LEVELS, OrgLevel } from '../../organizations/domain/org-level';
import {
  AGGREGATIONS,
  Aggregation,
  AWARD_TYPES,
  AwardType,
  COMPETITION_KINDS,
  COMPETITION_STATUSES,
  CompetitionKind,
  CompetitionStatus,
  CONTESTANT_TYPES,
  ContestantType,
  CRITERION_TYPES,
  MEDAL_POLICIES,
  MedalPolicy,
} from '../domain/competition.types';

export class CriterionDto {
  @ApiProperty({ example: 'wiring' }) @IsString() @Length(1, 50) key: string;
  @ApiProperty({ example: '线路安装' }) @IsString() @Length(1, 100) name: string;
  @ApiProperty({ example: 40 }) @IsNumber({ allowNaN: false, allowInfinity: false }) maxScore: number;
  @ApiProperty({ enum: CRITERION_TYPES }) @IsIn(CRITERION_TYPES) type: (typeof CRITERION_TYPES)[number];
  @ApiProperty({ example: 5 }) @IsInt() judgesRequired: number;
  @ApiProperty({ enum: AGGREGATIONS }) @IsIn(AGGREGATIONS) aggregation: Aggregation;
}

export class SectionDto {
  @ApiProperty({ example: 'practical' }) @IsString() @Length(1, 50) key: string;
  @ApiProperty({ example: '技能操作' }) @IsString() @Length(1, 100) name: string;
  @ApiProperty({ example: 70 }) @IsInt() weight: number;
  @ApiProperty({ type: [CriterionDto] })
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CriterionDto)
  criteria: CriterionDto[];
}

export class ScoringDto {
  @ApiProperty({ type: [SectionDto] })
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => SectionDto)
  sections: SectionDto[];
}

export class TieBreakerDto {
  @ApiProperty({ enum: ['section', 'timeUsed'] }) @IsIn(['section', 'timeUsed']) by: 'section' | 'timeUsed';
  @ApiPropertyOptional({ description: 'section key, for by=section' }) @IsOptional() @IsString() @Length(1, 50) key?: string;
  @ApiProperty({ enum: ['asc', 'desc'] }) @IsIn(['asc', 'desc']) order: 'asc' | 'desc';
}

export class AwardRuleDto {
  @ApiProperty() @IsInt() fromRank: number;
  @ApiProperty() @IsInt() toRank: number;
  @ApiProperty({ enum: AWARD_TYPES }) @IsIn(AWARD_TYPES) award: AwardType;
  @ApiPropertyOptional() @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) minTotal?: number;
}

export class ScheduleDto {
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) enrolmentOpensAt?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) enrolmentClosesAt?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) startsAt?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) endsAt?: string;
}

export class EnrolmentRulesDto {
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(14) @Max(100) minAge?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(14) @Max(100) maxAge?: number;
  @ApiPropertyOptional({ description: '1 (highest) … 5' }) @IsOptional() @IsInt() @Min(1) @Max(5) minSkillLevel?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(100000) quotaPerOrganization?: number;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() eligibleOrganizationId?: string;
}

export class CreateCompetitionDto {
  @ApiProperty({ example: '2026年衢州市电工职业技能竞赛' }) @Trim() @IsString() @Length(1, 200) title: string;
  @ApiProperty({ enum: COMPETITION_KINDS }) @IsIn(COMPETITION_KINDS) kind: CompetitionKind;
  @ApiPropertyOptional({ enum: ORG_LEVELS, description: "default: the owning organization's level" }) @IsOptional() @IsIn(ORG_LEVELS) level?: OrgLevel;
  @ApiPropertyOptional({ example: '电工' }) @IsOptional() @Trim() @IsString() @Length(1, 50) trade?: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() organizationId: string;
  @ApiPropertyOptional({ enum: CONTESTANT_TYPES }) @IsOptional() @IsIn(CONTESTANT_TYPES) contestantType?: ContestantType;
  @ApiPropertyOptional({ type: ScheduleDto }) @IsOptional() @ValidateNested() @Type(() => ScheduleDto) schedule?: ScheduleDto;
  @ApiPropertyOptional({ type: EnrolmentRulesDto }) @IsOptional() @ValidateNested() @Type(() => EnrolmentRulesDto) enrolmentRules?: EnrolmentRulesDto;
  @ApiPropertyOptional({ type: ScoringDto }) @IsOptional() @ValidateNested() @Type(() => ScoringDto) scoring?: ScoringDto;
  @ApiPropertyOptional({ type: [TieBreakerDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TieBreakerDto)
  tieBreakers?: TieBreakerDto[];
  @ApiPropertyOptional({ type: [AwardRuleDto], description: 'default: rank 1 ⇒ may_day_medal' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => AwardRuleDto)
  awardRules?: AwardRuleDto[];
  @ApiPropertyOptional({ default: 5 }) @IsOptional() @IsInt() @Min(0) @Max(365) publicityDays?: number;
  @ApiPropertyOptional({ enum: MEDAL_POLICIES, default: 'direct' }) @IsOptional() @IsIn(MEDAL_POLICIES) medalPolicy?: MedalPolicy;
}

/** Any field of the create body; the owning organization cannot move. */
export class UpdateCompetitionDto extends PartialType(OmitType(CreateCompetitionDto, ['organizationId'] as const)) {
  @ApiPropertyOptional({ description: 'the version read; a stale one answers 409' }) @IsOptional() @IsInt() version?: number;
}

export class TransitionDto {
  @ApiProperty({ enum: COMPETITION_STATUSES.filter((s) => s !== 'draft') })
  @IsIn(COMPETITION_STATUSES.filter((s) => s !== 'draft'))
  to: CompetitionStatus;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() force?: boolean;
}

export class ListCompetitionsQuery {
  @IsOptional() @IsIn(COMPETITION_STATUSES) status?: CompetitionStatus;
  @IsOptional() @IsIn(COMPETITION_KINDS) kind?: CompetitionKind;
  @IsOptional() @IsIn(ORG_LEVELS) level?: OrgLevel;
  @IsOptional() @IsUUID() organizationId?: string;
  @IsOptional() @IsString() @Length(1, 50) trade?: string;
  @IsOptional() @IsString() @Length(1, 100) q?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
}
