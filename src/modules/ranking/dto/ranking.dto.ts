import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class RankingQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @ApiPropertyOptional({ minimum: 0, default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) offset?: number;
}

/** One line of the ranking as answered. Marks and totals are numbers with at most two decimals. */
export interface RankingItem {
  /** null for incomplete entries, which follow the ranked ones */
  rank: number | null;
  enrolmentId: string;
  bib: number | null;
  /** full for organizers, masked (张*明) for the public, null for judges (blind judging) */
  name: string | null;
  /** the contestant's employer; null for judges */
  organization: string | null;
  total: number | null;
  sections: Record<string, number | null>;
  complete: boolean;
}

export interface RankingView {
  items: RankingItem[];
  /** every entry of the list, ranked and incomplete */
  total: number;
  /** the competition's lifecycle state */
  status: string;
  /** when the list was computed from the stored standings */
  computedAt: string;
}

/** The data of one Server-Sent Event of GET /api/competitions/:id/ranking/events. */
export interface RankingChangeEvent {
  competitionId: string;
  enrolmentIds?: string[];
  reason: string;
  at: string;
}
