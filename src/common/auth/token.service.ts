import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ROLES as ALL_ROLES } from '../../modules/identity/domain/roles';
import type { AuthUser } from './auth-user';

interface Claims {
  sub: string;
  usr: string;
  roles: string[];
  org: string | null;
  wkr: string | null;
}

/** Signs and verifies access tokens (HS256 with JWT_SECRET). Stateless, so any API replica can verify. */
@Injectable()
export class TokenService {
  private readonly jwt: JwtService;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.jwt = new JwtService({
      secret: config.jwtSecret,
      signOptions: { algorithm: 'HS256', expiresIn: config.jwtExpiresInSeconds, issuer: 'labour-contest' },
      verifyOptions: { algorithms: ['HS256'], issuer: 'labour-contest' },
    });
  }

  sign(u: AuthUser): string {
    const claims: Claims = { sub: u.id, usr: u.username, roles: u.roles, org: u.organizationId, wkr: u.workerId };
    return this.jwt.sign(claims);
  }

  /**
   * Tokens already verified, with their expiry: jsonwebtoken rebuilds the HMAC key on every call, a
   * quarter of a ranking read's time. A token is immutable, so a cached answer stays right until exp.
   */
  private readonly verified = new Map<string, { user: AuthUser; exp: number }>();

  /** The user a token stands for, or undefined for a bad, expired or foreign token. */
  verify(token: string): AuthUser | undefined {
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.exp * 1000 > Date.now()) return hit.user;
      this.verified.delete(token);
    }
    const user = this.verifyUncached(token);
    if (user) {
      if (this.verified.size >= 10_000) this.verified.clear();
      this.verified.set(token, { user, exp: (this.jwt.decode<{ exp?: number }>(token)?.exp ?? 0) });
    }
    return user;
  }

  private verifyUncached(token: string): AuthUser | undefined {
    try {
      const c = this.jwt.verify<Claims>(token);
      if (typeof c.sub !== 'string' || !Array.isArray(c.roles)) return undefined;
      return {
        id: c.sub,
        username: c.usr,
        roles: c.roles.filter((r): r is AuthUser['roles'][number] => (ALL_ROLES as readonly string[]).includes(r)),
        organizationId: c.org ?? null,
        workerId: c.wkr ?? null,
      };
    } catch {
      return undefined;
    }
  }

  /**
   * The Bearer header; with `allowCookie`, also the `access_token` cookie. Only browser pages such as
   * /admin/queues accept the cookie: on API routes it would let other sites forge requests (CSRF).
   */
  fromRequest(req: { headers: Record<string, string | string[] | undefined> }, opts: { allowCookie?: boolean } = {}): AuthUser | undefined {
    const h = req.headers['authorization'];
    const header = Array.isArray(h) ? h[0] : h;
    if (header?.startsWith('Bearer ')) return this.verify(header.slice(7).trim());
    if (!opts.allowCookie) return undefined;
    const cookie = req.headers['cookie'];
    const raw = Array.isArray(cookie) ? cookie.join(';') : cookie;
    const m = raw?.match(/(?:^|;\s*)access_token=([^;]+)/);
    return m ? this.verify(decodeURIComponent(m[1])) : undefined;
  }
}
