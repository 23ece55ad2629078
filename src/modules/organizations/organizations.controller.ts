import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { UuidParam } from '../../common/validation';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Roles } from '../../common/auth/decorators';
import { CreateOrganizationDto } from './dto/create-organization.dto';
import { OrganizationsService, OrganizationView, toOrganizationView } from './organizations.service';

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('api/organizations')
export class OrganizationsController {
  constructor(private readonly orgs: OrganizationsService) {}

  @Post()
  @Roles('admin', 'organizer')
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateOrganizationDto): Promise<OrganizationView> {
    return toOrganizationView(await this.orgs.create(user, dto));
  }

  @Get(':id')
  async get(@Param('id', UuidParam) id: string): Promise<OrganizationView> {
    return toOrganizationView(await this.orgs.get(id));
  }

  @Get(':id/children')
  async children(@Param('id', UuidParam) id: string): Promise<OrganizationView[]> {
    return (await this.orgs.children(id)).map(toOrganizationView);
  }
}
