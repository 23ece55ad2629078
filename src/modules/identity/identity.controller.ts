import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../../common/auth/auth-user';
import { CurrentUser, Public, Roles } from '../../common/auth/decorators';
import { DomainError } from '../../common/errors/domain-error';
import { UuidParam } from '../../common/validation';
import { CreateUserDto, LoginDto, RegisterWorkerDto } from './dto/identity.dto';
import { UsersService } from './users.service';
import { WorkersService } from './workers.service';

@ApiTags('identity')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto) {
    return this.users.login(dto.username, dto.password);
  }

  @Public()
  @Post('register')
  register(@Body() dto: RegisterWorkerDto) {
    return this.users.register(dto);
  }

  @ApiBearerAuth()
  @Get('me')
  me(@CurrentUser() user: AuthUser) {
    return this.users.me(user);
  }
}

@ApiTags('identity')
@ApiBearerAuth()
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Roles('admin', 'organizer')
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateUserDto) {
    return this.users.create(user, dto);
  }
}

@ApiTags('identity')
@ApiBearerAuth()
@Controller('api/workers')
export class WorkersController {
  constructor(private readonly workers: WorkersService) {}

  @Get('me')
  async me(@CurrentUser() user: AuthUser) {
    if (!user.workerId) throw DomainError.notFound('worker profile', 'WORKER_NOT_FOUND');
    return this.workers.viewFor(user, user.workerId);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.workers.viewFor(user, id);
  }
}
