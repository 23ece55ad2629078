import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Public, Roles } from '../../common/auth/decorators';
import { UuidParam } from '../../common/validation';
import { CompetitionsService, toCompetitionView } from './competitions.service';
import { CreateCompetitionDto, ListCompetitionsQuery, TransitionDto, UpdateCompetitionDto } from './dto/competition.dto';

@ApiTags('competitions')
@ApiBearerAuth()
@Controller('api/competitions')
export class CompetitionsController {
  constructor(private readonly competitions: CompetitionsService) {}

  @Post()
  @Roles('organizer')
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateCompetitionDto) {
    return this.competitions.create(user, dto);
  }

  @Public()
  @Get()
  list(@CurrentUser() user: AuthUser | undefined, @Query() q: ListCompetitionsQuery) {
    return this.competitions.list(user, q);
  }

  @Public()
  @Get(':id')
  async get(@CurrentUser() user: AuthUser | undefined, @Param('id', UuidParam) id: string) {
    return toCompetitionView(await this.competitions.getVisible(user, id));
  }

  @Patch(':id')
  @Roles('organizer')
  update(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: UpdateCompetitionDto) {
    return this.competitions.update(user, id, dto);
  }

  /** Organizers; the chief judge for `scores_locked` (checked per competition in the service). */
  @Post(':id/transitions')
  @HttpCode(200)
  transition(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: TransitionDto) {
    return this.competitions.transition(user, id, dto);
  }
}
