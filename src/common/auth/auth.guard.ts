import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '../../modules/identity/domain/roles';
import { DomainError } from '../errors/domain-error';
import type { AuthUser } from './auth-user';
import { IS_PUBLIC, ROLES } from './decorators';
import { TokenService } from './token.service';

/** Global guard: every route needs a valid token unless @Public(); @Roles() narrows it (admin passes). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; user?: AuthUser }>();
    const targets = [ctx.getHandler(), ctx.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
    const user = this.tokens.fromRequest(req);
    if (user) req.user = user;
    if (isPublic) return true;
    if (!user) {
      throw new DomainError('unauthenticated', 'UNAUTHENTICATED', 'a valid access token is required (Authorization: Bearer <token>)');
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && roles.length > 0 && !user.roles.includes('admin') && !roles.some((r) => user.roles.includes(r))) {
      throw DomainError.forbidden(`this action needs the role ${roles.join(' or ')}`, 'ROLE_REQUIRED');
    }
    return true;
  }
}
