import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { UuidParam } from '../../common/validation';
import { CreateEnrolmentDto, DecisionDto, DrawDto, ListEnrolmentsQuery, UpdateEnrolmentDto } from './dto/enrolment.dto';
import { EnrolmentService } from './enrolment.service';

@ApiTags('enrolment')
@ApiBearerAuth()
@Controller('api')
export class EnrolmentController {
  constructor(private readonly enrolment: EnrolmentService) {}

  @Post('competitions/:id/enrolments')
  enrol(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: CreateEnrolmentDto) {
    return this.enrolment.enrol(user, id, dto);
  }

  @Get('competitions/:id/enrolments')
  @Roles('organizer')
  list(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Query() q: ListEnrolmentsQuery) {
    return this.enrolment.list(user, id, q);
  }

  @Post('competitions/:id/draw')
  @Roles('organizer')
  @HttpCode(200)
  draw(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: DrawDto) {
    return this.enrolment.draw(user, id, dto);
  }

  @Post('enrolments/:id/decision')
  @Roles('organizer')
  @HttpCode(200)
  decide(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: DecisionDto) {
    return this.enrolment.decide(user, id, dto);
  }

  @Post('enrolments/:id/withdraw')
  @HttpCode(200)
  withdraw(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.enrolment.withdraw(user, id);
  }

  /** Organizers and the chief judge (checked per competition in the service). */
  @Patch('enrolments/:id')
  update(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: UpdateEnrolmentDto) {
    return this.enrolment.update(user, id, dto);
  }
}
