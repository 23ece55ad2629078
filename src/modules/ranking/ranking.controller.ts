import { ArgumentMetadata, Controller, Get, MessageEvent, Param, Query, Req, Res, Sse } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Public } from '../../common/auth/decorators';
import { createValidationPipe, UuidParam } from '../../common/validation';
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
  @ApiQuery({ name: 'limit', required: false, type: Number, schema: { minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'offset', required: false, type: Number, schema: { minimum: 0, default: 0 } })
  async get(@CurrentUser() user: AuthUser | undefined, @Param('id', UuidParam) id: string, @Query() query: Record<string, unknown>, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const page = await this.ranking.page(user, id, await rankingQuery(query));
    // The body is JSON already serialized (and its ETag computed) for this list: it is only sent. A client
    // that polls with the ETag it has (If-None-Match) gets 304 without the body while nothing changed.
    res.header('ETag', page.etag);
    res.header('Cache-Control', 'no-cache');
    if (etagMatches(req.headers['if-none-match'], page.etag)) {
      await res.code(304).send();
      return;
    }
    res.header('Content-Type', 'application/json; charset=utf-8');
    await res.send(page.body);
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

const queryPipe = createValidationPipe();
const QUERY_META: ArgumentMetadata = { type: 'query', metatype: RankingQuery, data: undefined };
const SMALL_INT = /^(0|[1-9]\d{0,2})$/;

/**
 * `?limit=&offset=` as RankingQuery would give them. The usual query (small whole numbers in range, no
 * other parameter) is read directly; anything else goes through the global validation pipe, so bad
 * values answer the very same 400s.
 */
async function rankingQuery(query: Record<string, unknown>): Promise<RankingQuery> {
  let fast = true;
  const q: RankingQuery = {};
  for (const k in query) {
    const v = query[k];
    if ((k !== 'limit' && k !== 'offset') || typeof v !== 'string' || !SMALL_INT.test(v)) {
      fast = false;
      break;
    }
    const n = Number(v);
    if (k === 'limit' ? n < 1 || n > 200 : n < 0) {
      fast = false;
      break;
    }
    q[k] = n;
  }
  return fast ? q : ((await queryPipe.transform(query, QUERY_META)) as RankingQuery);
}

/** If-None-Match against the current ETag, compared weakly (RFC 9110 §13.1.2): `*`, or any listed tag. */
export function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const want = opaque(etag);
  return (Array.isArray(header) ? header.join(',') : header).split(',').some((t) => t.trim() === '*' || opaque(t) === want);
}
