import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from '../../modules/identity/domain/roles';
import type { AuthUser } from './auth-user';

export const IS_PUBLIC = 'auth:public';
export const ROLES = 'auth:roles';

/** No token needed (a token, if sent and valid, is still read). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** The caller must hold at least one of these roles (admin passes every role check). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser | undefined => {
  return ctx.switchToHttp().getRequest<{ user?: AuthUser }>().user;
});
