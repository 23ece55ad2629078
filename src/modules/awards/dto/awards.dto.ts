import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Trim } from '../../../common/validation';

export class AwardDecisionDto {
  @ApiProperty({ enum: ['approve', 'decline'] }) @IsIn(['approve', 'decline']) decision: 'approve' | 'decline';
  @ApiPropertyOptional() @IsOptional() @Trim() @IsString() @Length(1, 500) reason?: string;
}

export class RevokeAwardDto {
  @ApiProperty({ example: '经查实存在违规行为' }) @Trim() @IsString() @Length(1, 500) reason: string;
}

export class ListAwardsQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
}

export interface CertificateView {
  id: string;
  status: string;
  serial: string | null;
  verifyUrl: string | null;
}

/** One line of GET /api/competitions/:id/awards. Totals in points (two decimals). */
export interface AwardItem {
  id: string;
  type: string;
  /** 市五一劳动奖章, 一等奖 … */
  label: string;
  level: string;
  rank: number | null;
  total: number;
  status: string;
  issuedAt: string | null;
  /** Full name for organizers, masked (张*明) for everyone else. */
  recipient: { name: string; organization: string | null };
  certificate: CertificateView | null;
}

/** What POST /api/awards/:id/decision and /revoke answer. */
export interface AwardView {
  id: string;
  competitionId: string;
  enrolmentId: string;
  workerId: string;
  type: string;
  label: string;
  level: string;
  rank: number | null;
  total: number;
  status: string;
  issuedAt: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
}

/** One line of GET /api/workers/me/honours (荣誉档案). */
export interface HonourItem {
  id: string;
  competition: { id: string; title: string; level: string };
  type: string;
  label: string;
  level: string;
  rank: number | null;
  total: number;
  status: string;
  issuedAt: string | null;
  certificate: CertificateView | null;
}
