import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Public, Roles } from '../../common/auth/decorators';
import { UuidParam } from '../../common/validation';
import { AwardsService } from './awards.service';
import { AwardDecisionDto, ListAwardsQuery, RevokeAwardDto } from './dto/awards.dto';

@ApiTags('awards')
@ApiBearerAuth()
@Controller('api')
export class AwardsController {
  constructor(private readonly awards: AwardsService) {}

  /** Organizers of the competition always; anyone once it is finalized (masked names, issued and revoked awards only). */
  @Public()
  @Get('competitions/:id/awards')
  list(@CurrentUser() user: AuthUser | undefined, @Param('id', UuidParam) id: string, @Query() q: ListAwardsQuery) {
    return this.awards.list(user, id, q);
  }

  /** An organizer of the parent organization of the competition's owner (checked in the service). */
  @Post('awards/:id/decision')
  @Roles('organizer')
  @HttpCode(200)
  decide(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: AwardDecisionDto) {
    return this.awards.decide(user, id, dto);
  }

  /** Organizers of the competition (checked in the service). */
  @Post('awards/:id/revoke')
  @Roles('organizer')
  @HttpCode(200)
  revoke(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: RevokeAwardDto) {
    return this.awards.revoke(user, id, dto);
  }

  /** 荣誉档案: the calling worker's awards across competitions. */
  @Get('workers/me/honours')
  @Roles('worker')
  honours(@CurrentUser() user: AuthUser, @Query() q: ListAwardsQuery) {
    return this.awards.honours(user, q);
  }
}
