import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { UuidParam } from '../../common/validation';
import { AssignJudgeDto, DeclareConflictDto, PenaltyDto, SubmitMarksDto } from './dto/judging.dto';
import { JudgingService } from './judging.service';

@ApiTags('judging')
@ApiBearerAuth()
@Controller('api')
export class JudgingController {
  constructor(private readonly judging: JudgingService) {}

  @Post('competitions/:id/judges')
  @Roles('organizer')
  assign(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: AssignJudgeDto) {
    return this.judging.assign(user, id, dto);
  }

  @Get('competitions/:id/judges')
  judges(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.judging.judges(user, id);
  }

  /** An organizer declares a conflict of interest between a judge and a worker. */
  @Post('competitions/:id/conflicts')
  @Roles('organizer')
  conflict(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: DeclareConflictDto) {
    return this.judging.declareConflict(user, id, dto);
  }

  @Post('competitions/:id/penalties')
  @Roles('judge')
  penalty(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: PenaltyDto) {
    return this.judging.penalty(user, id, dto);
  }

  @Get('judging/assignments')
  @Roles('judge')
  assignments(@CurrentUser() user: AuthUser) {
    return this.judging.myAssignments(user);
  }

  @Get('judging/competitions/:id/sheet')
  @Roles('judge')
  sheet(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.judging.sheet(user, id);
  }

  @Put('judging/competitions/:id/marks')
  @Roles('judge')
  @HttpCode(200)
  marks(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: SubmitMarksDto) {
    return this.judging.submit(user, id, dto);
  }

  @Get('enrolments/:id/revisions')
  revisions(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.judging.revisions(user, id);
  }
}
