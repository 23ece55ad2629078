import type { Role } from '../../modules/identity/domain/roles';

/** What a verified access token says about its bearer. */
export interface AuthUser {
  id: string;
  username: string;
  roles: Role[];
  organizationId: string | null;
  workerId: string | null;
}

export const hasRole = (u: AuthUser | undefined, ...roles: Role[]): boolean => !!u && roles.some((r) => u.roles.includes(r));
