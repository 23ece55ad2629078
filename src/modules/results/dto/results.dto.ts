import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Trim } from '../../../common/validation';
import { APPEAL_STATUSES, AppealStatus } from '../appeal.entity';

export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @ApiPropertyOptional({ minimum: 0, default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
}

export class FileAppealDto {
  @ApiProperty({ example: '第3号评分项的扣分与现场记录不符，申请复核', maxLength: 1000 }) @Trim() @IsString() @Length(1, 1000) reason: string;
}

export class DecideAppealDto {
  @ApiProperty({ enum: ['upheld', 'dismissed'] }) @IsIn(['upheld', 'dismissed']) decision: 'upheld' | 'dismissed';
  @ApiProperty({ example: '经复核，线路安装项评分有误，由裁判长重新评分', maxLength: 1000 }) @Trim() @IsString() @Length(1, 1000) resolution: string;
}

export class ListAppealsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: APPEAL_STATUSES }) @IsOptional() @IsIn(APPEAL_STATUSES) status?: AppealStatus;
}

export class PublicResultsQuery {
  @ApiProperty({ description: '居民身份证号码 (18 characters)', example: '330802199001011234' }) @Trim() @IsString() @Length(18, 18, { message: 'idNumber must be 18 characters' }) idNumber: string;
  @ApiProperty({ description: 'the name as registered', example: '张小明' }) @Trim() @IsString() @Length(1, 50) name: string;
}

export class ExportQuery {
  @ApiPropertyOptional({ enum: ['xlsx', 'csv'], default: 'xlsx' }) @IsOptional() @IsIn(['xlsx', 'csv']) format?: 'xlsx' | 'csv';
}

/** One appeal as answered. */
export interface AppealView {
  id: string;
  competitionId: string;
  enrolmentId: string;
  workerId: string;
  filedBy: string;
  reason: string;
  status: AppealStatus;
  resolution: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  createdAt: string;
}

/** One of my entries (GET /api/workers/me/results); the scores once the competition is published. */
export interface MyResultItem {
  competitionId: string;
  title: string;
  competitionStatus: string;
  enrolmentId: string;
  enrolmentStatus: string;
  bib: number | null;
  publishedAt: string | null;
  /** end of the notice period (公示期) while published */
  noticePeriodEndsAt: string | null;
  rank: number | null;
  total: number | null;
  sections: Record<string, number> | null;
  penalties: number | null;
  final: boolean;
}

/** One line of the public lookup (GET /api/public/results). */
export interface PublicResultItem {
  competitionId: string;
  title: string;
  level: string;
  status: string;
  /** masked (张*明) */
  name: string;
  rank: number | null;
  total: number;
  sections: Record<string, number>;
  final: boolean;
}
