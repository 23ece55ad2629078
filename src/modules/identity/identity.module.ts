import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { AuthController, UsersController, WorkersController } from './identity.controller';
import { UsersService } from './users.service';
import { WorkersService } from './workers.service';

@Module({
  imports: [OrganizationsModule],
  controllers: [AuthController, UsersController, WorkersController],
  providers: [UsersService, WorkersService],
  exports: [UsersService, WorkersService],
})
export class IdentityModule {}
