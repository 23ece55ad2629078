import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuthUser, hasRole } from '../../common/auth/auth-user';
import { TokenService } from '../../common/auth/token.service';
import { DomainError } from '../../common/errors/domain-error';
import { isUniqueViolation } from '../../common/errors/unique-violation';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Db } from '../../database/db.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { OutboxService } from '../queue/outbox.service';
import { DOMAIN_EVENTS_QUEUE } from '../queue/queue.constants';
import { Role } from './domain/roles';
import { CreateUserDto, RegisterWorkerDto } from './dto/identity.dto';
import { dummyHash, hashPassword, verifyPassword } from './passwords';
import { User } from './user.entity';
import { WorkersService, WorkerView } from './workers.service';

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  roles: Role[];
  organizationId: string | null;
  workerId: string | null;
}

export const toUserView = (u: User): UserView => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  roles: u.roles,
  organizationId: u.organizationId,
  workerId: u.workerId,
});

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly db: Db,
    private readonly orgs: OrganizationsService,
    private readonly workers: WorkersService,
    private readonly tokens: TokenService,
    private readonly outbox: OutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private authUser(u: User): AuthUser {
    return { id: u.id, username: u.username, roles: u.roles, organizationId: u.organizationId, workerId: u.workerId };
  }

  async login(username: string, password: string): Promise<{ accessToken: string; user: UserView }> {
    const user = await this.db.run((m) =>
      m.createQueryBuilder(User, 'u').addSelect('u.passwordHash').where('u.username = :username', { username }).getOne(),
    );
    // Unknown user and wrong password take the same path and give the same answer.
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), password);
    if (!user || !ok) throw new DomainError('unauthenticated', 'INVALID_CREDENTIALS', 'wrong username or password');
    return { accessToken: this.tokens.sign(this.authUser(user)), user: toUserView(user) };
  }

  async get(id: string): Promise<User> {
    const u = await this.db.run((m) => m.findOne(User, { where: { id } }));
    if (!u) throw DomainError.notFound('user', 'USER_NOT_FOUND');
    return u;
  }

  async me(caller: AuthUser): Promise<UserView & { worker: WorkerView | null }> {
    const u = await this.get(caller.id);
    const worker = u.workerId ? await this.workers.view(await this.workers.get(u.workerId), true) : null;
    return { ...toUserView(u), worker };
  }

  private async assertUsernameFree(m: EntityManager, username: string): Promise<void> {
    if (await m.exists(User, { where: { username } })) {
      throw DomainError.conflict('USERNAME_TAKEN', `username "${username}" is already taken`);
    }
  }

  /** Admins create anyone; organizers create judge and worker users under their own subtree. */
  async create(caller: AuthUser, dto: CreateUserDto): Promise<UserView> {
    if (!hasRole(caller, 'admin')) {
      const beyond = dto.roles.filter((r) => r !== 'judge' && r !== 'worker');
      if (beyond.length > 0) throw DomainError.forbidden(`an organizer may not create users with the role ${beyond.join(', ')}`, 'ROLE_NOT_GRANTABLE');
      if (!dto.organizationId) throw DomainError.invalid('VALIDATION_FAILED', ['organizationId is required for users created by an organizer']);
    }
    if (dto.organizationId) {
      // A reference in the body to nothing is refused like employerOrgId and parentId are (422), not 404.
      if (!(await this.orgs.find(dto.organizationId))) {
        throw new DomainError('rejected', 'ORGANIZATION_NOT_FOUND', `organizationId: organization ${dto.organizationId} does not exist`);
      }
      await this.orgs.assertInScope(caller, dto.organizationId);
    }
    const passwordHash = await hashPassword(dto.password);
    const user = await this.insertUser({ username: dto.username, displayName: dto.displayName, roles: dto.roles, organizationId: dto.organizationId ?? null, passwordHash, workerId: null });
    return toUserView(user);
  }

  private async insertUser(u: Pick<User, 'username' | 'passwordHash' | 'displayName' | 'roles' | 'organizationId' | 'workerId'>, m?: EntityManager): Promise<User> {
    const row = { id: randomUUID(), ...u };
    const write = async (em: EntityManager) => {
      await this.assertUsernameFree(em, row.username);
      try {
        await em.insert(User, row);
      } catch (e) {
        // Another process took the name between the check and the insert.
        if (isUniqueViolation(e)) throw DomainError.conflict('USERNAME_TAKEN', `username "${row.username}" is already taken`);
        throw e;
      }
      return em.findOneOrFail(User, { where: { id: row.id } });
    };
    return m ? write(m) : this.db.transaction(write);
  }

  /** Worker self-registration: worker record, user and a `worker.registered` event in one transaction. */
  async register(dto: RegisterWorkerDto): Promise<UserView & { worker: WorkerView }> {
    // Validate before hashing so that bad input is answered fast and changes nothing.
    this.workers.protectIdNumber(dto.idNumber);
    const employer = await this.orgs.find(dto.employerOrgId);
    if (!employer) throw new DomainError('rejected', 'EMPLOYER_NOT_FOUND', `employerOrgId: organization ${dto.employerOrgId} does not exist`);
    const passwordHash = await hashPassword(dto.password);
    const { user, worker } = await this.db.transaction(async (m) => {
      await this.assertUsernameFree(m, dto.username);
      const worker = await this.workers.insert(m, dto);
      const user = await this.insertUser(
        { username: dto.username, passwordHash, displayName: dto.name, roles: ['worker'], organizationId: dto.employerOrgId, workerId: worker.id },
        m,
      );
      await this.outbox.add(m, { type: 'worker.registered', queue: DOMAIN_EVENTS_QUEUE, payload: { workerId: worker.id, userId: user.id } });
      return { user, worker };
    });
    this.outbox.notifyCommitted();
    // The registrant is not yet authenticated: the answer shows the ID number masked.
    return { ...toUserView(user), worker: await this.workers.view(worker, false) };
  }

  /** First start: if no admin exists, create one (ADMIN_PASSWORD, or a random one printed once to the log). */
  async ensureAdmin(): Promise<{ created: boolean; generatedPassword?: string }> {
    const hasAdmin = await this.db.run((m) => m.createQueryBuilder(User, 'u').where('u.roles LIKE :r', { r: '%"admin"%' }).getExists());
    if (hasAdmin) return { created: false };
    const generated = this.config.adminPassword ? undefined : randomBytes(12).toString('base64url');
    const passwordHash = await hashPassword(this.config.adminPassword ?? generated!);
    try {
      await this.insertUser({ username: this.config.adminUsername, passwordHash, displayName: '系统管理员', roles: ['admin'], organizationId: null, workerId: null });
    } catch (e) {
      if (e instanceof DomainError && e.code === 'USERNAME_TAKEN') {
        // Another API process created it at the same moment, or the name is held by a non-admin user.
        this.logger.warn({ username: this.config.adminUsername }, 'first-start admin not created: username already exists');
        return { created: false };
      }
      throw e;
    }
    if (generated) {
      // Printed once, at creation; it is not stored anywhere in clear.
      this.logger.warn({ username: this.config.adminUsername }, `first-start admin "${this.config.adminUsername}" created with generated password (shown once): ${generated}`);
    } else {
      this.logger.log({ username: this.config.adminUsername }, 'first-start admin created from ADMIN_PASSWORD');
    }
    return { created: true, generatedPassword: generated };
  }
}
