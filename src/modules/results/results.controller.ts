import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Public, Roles } from '../../common/auth/decorators';
import { UuidParam } from '../../common/validation';
import { AppealsService } from './appeals.service';
import { DecideAppealDto, ExportQuery, FileAppealDto, ListAppealsQuery, PageQuery, PublicResultsQuery } from './dto/results.dto';
import { ResultsService, XLSX_CONTENT_TYPE } from './results.service';

@ApiTags('results')
@ApiBearerAuth()
@Controller('api')
export class ResultsController {
  constructor(private readonly results: ResultsService) {}

  @Get('workers/me/results')
  @Roles('worker')
  @ApiOperation({ summary: 'My entries across competitions: competition, entry status, bib, and once published rank, total, sections and whether final' })
  mine(@CurrentUser() user: AuthUser, @Query() q: PageQuery) {
    return this.results.mine(user, q);
  }

  /** Anyone, 5 look-ups a minute per client; the same shape whether or not the person exists. */
  @Public()
  @UseGuards(ThrottlerGuard)
  @Get('public/results')
  @ApiOperation({ summary: "A worker's published and final results by ID number and name (names masked); rate-limited to 5 a minute per client" })
  @ApiTooManyRequestsResponse({ description: '`{statusCode: 429, code: "RATE_LIMITED", …}`' })
  lookup(@Query() q: PublicResultsQuery) {
    return this.results.lookup(q);
  }

  @Get('competitions/:id/results/export')
  @Roles('organizer')
  @ApiOperation({ summary: '成绩表 of a published or finalized competition: 名次, 参赛号, 姓名, 工作单位, one column per section, 扣分, 总分, 奖项' })
  @ApiProduces(XLSX_CONTENT_TYPE, 'text/csv')
  async export(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Query() q: ExportQuery, @Res({ passthrough: true }) res: FastifyReply): Promise<StreamableFile> {
    const file = await this.results.export(user, id, q.format ?? 'xlsx');
    res.header('Cache-Control', 'no-store');
    return new StreamableFile(file.data, {
      type: file.contentType,
      length: file.data.length,
      disposition: `attachment; filename="${file.asciiName}"; filename*=UTF-8''${encodeRfc5987(file.utf8Name)}`,
    });
  }
}

@ApiTags('appeals')
@ApiBearerAuth()
@Controller('api')
export class AppealsController {
  constructor(private readonly appeals: AppealsService) {}

  @Post('enrolments/:id/appeals')
  @ApiOperation({ summary: '申诉: the contestant appeals while results are published (one open appeal per entry)' })
  @ApiResponse({ status: 201, description: 'the appeal, status open' })
  file(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: FileAppealDto) {
    return this.appeals.file(user, id, dto);
  }

  @Get('enrolments/:id/appeals')
  @ApiOperation({ summary: "An entry's appeals: the contestant and organizers of the competition" })
  forEntry(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Query() q: PageQuery) {
    return this.appeals.listForEntry(user, id, q);
  }

  @Get('competitions/:id/appeals')
  @Roles('organizer')
  @ApiOperation({ summary: "A competition's appeals, for its organizers" })
  forCompetition(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Query() q: ListAppealsQuery) {
    return this.appeals.listForCompetition(user, id, q);
  }

  @Post('appeals/:id/decision')
  @Roles('organizer')
  @HttpCode(200)
  @ApiOperation({ summary: 'An organizer of the competition upholds (reopens the entry for the chief judge) or dismisses an open appeal' })
  @ApiResponse({ status: 200, description: 'the decided appeal' })
  decide(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: DecideAppealDto) {
    return this.appeals.decide(user, id, dto);
  }
}

/** RFC 5987 value: encodeURIComponent leaves a few characters that are not attr-chars. */
function encodeRfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}
