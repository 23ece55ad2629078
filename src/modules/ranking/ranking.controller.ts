import { Controller, Get, MessageEvent, Param, Query, Sse } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Public } from '../../common/auth/decorators';
import { UuidParam } from '../../common/validation';
import { RankingQuery } from './dto/ranking.dto';
import { JudgeReportService } from './judge-report.service';
import { RankingService } from './ranking.service';

@ApiTags('ranking')
@ApiBearerAuth()
@Controller('api/competitions')
export class RankingController {
  constructor(
    private readonly ranking: RankingService,
    private readonly judgeReport: JudgeReportService,
  ) {}

  /** Organizers and judges always, anyone once published (masked names); a token, if sent, is read. */
  @Public()
  @Get(':id/ranking')
  @ApiOperation({ summary: 'The live ranking: organizers see names, judges none (blind), the public masked names once published' })
  get(@CurrentUser() user: AuthUser | undefined, @Param('id', UuidParam) id: string, @Query() q: RankingQuery) {
    return this.ranking.ranking(user, id, q);
  }

  @Public()
  @Sse(':id/ranking/events')
  @ApiOperation({ summary: 'Server-Sent Events: one per change of the standings, from any API process; a heartbeat comment every 15 s' })
  events(@CurrentUser() user: AuthUser | undefined, @Param('id', UuidParam) id: string): Promise<Observable<MessageEvent>> {
    return this.ranking.events(user, id);
  }

  @Get(':id/judges/report')
  @ApiOperation({ summary: 'Judge-bias report for the chief judge and organizers' })
  report(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.judgeReport.report(user, id);
  }
}
