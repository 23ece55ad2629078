import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuthUser, hasRole } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { escapeLike, Page, pageParams } from '../../common/pagination';
import { Db } from '../../database/db.service';
import { AuditService } from '../audit/audit.service';
import { Organization } from '../organizations/organization.entity';
import { OrganizationsService } from '../organizations/organizations.service';
import { Competition } from './competition.entity';
import { AwardRule, CompetitionStatus, Schedule, TieBreaker } from './domain/competition.types';
import { checkTransition, TransitionFacts } from './domain/lifecycle';
import { validateCompetitionRules, validateScheme } from './domain/scheme-validation';
import { CreateCompetitionDto, ListCompetitionsQuery, TransitionDto, UpdateCompetitionDto } from './dto/competition.dto';

export const DEFAULT_AWARD_RULES: AwardRule[] = [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }];

/** Roles a user holds in one competition; judges and chief judges are known to the scoring module. */
export type CompetitionRole = 'organizer' | 'judge' | 'chief_judge';
export type CompetitionRoleProvider = (user: AuthUser, c: Competition) => Promise<CompetitionRole[]>;

/** Facts other modules contribute to the lifecycle guards (approved entries, scores complete, open appeals…). */
export interface TransitionContext {
  from: CompetitionStatus;
  to: CompetitionStatus;
  user: AuthUser;
  force: boolean;
}

/** Runs inside the transition's transaction; may return a callback to run once it has committed (e.g. outbox.notifyCommitted). */
export type TransitionEffect = (m: EntityManager, c: Competition, ctx: TransitionContext) => Promise<void | (() => void)>;

export type TransitionFactsProvider = (m: EntityManager, c: Competition, to: CompetitionStatus) => Promise<Partial<TransitionFacts>>;

export interface CompetitionView {
  id: string;
  title: string;
  kind: string;
  level: string;
  trade: string | null;
  organizationId: string;
  contestantType: string;
  schedule: Schedule;
  status: CompetitionStatus;
  enrolmentRules: Competition['enrolmentRules'];
  scoring: Competition['scoring'];
  tieBreakers: Competition['tieBreakers'];
  awardRules: AwardRule[];
  publicityDays: number;
  medalPolicy: string;
  drawnAt: string | null;
  publishedAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : undefined);

export function toCompetitionView(c: Competition): CompetitionView {
  const schedule: Schedule = {};
  if (c.enrolmentOpensAt) schedule.enrolmentOpensAt = iso(c.enrolmentOpensAt);
  if (c.enrolmentClosesAt) schedule.enrolmentClosesAt = iso(c.enrolmentClosesAt);
  if (c.startsAt) schedule.startsAt = iso(c.startsAt);
  if (c.endsAt) schedule.endsAt = iso(c.endsAt);
  return {
    id: c.id,
    title: c.title,
    kind: c.kind,
    level: c.level,
    trade: c.trade,
    organizationId: c.organizationId,
    contestantType: c.contestantType,
    schedule,
    status: c.status,
    enrolmentRules: c.enrolmentRules,
    scoring: c.scoring,
    tieBreakers: c.tieBreakers,
    awardRules: c.awardRules,
    publicityDays: c.publicityDays,
    medalPolicy: c.medalPolicy,
    drawnAt: iso(c.drawnAt) ?? null,
    publishedAt: iso(c.publishedAt) ?? null,
    version: c.version,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** What is audited of a competition: its configuration, without timestamps. */
const snapshot = (c: Competition) => {
  const { createdAt, updatedAt, organization, ...rest } = c;
  void createdAt;
  void updatedAt;
  void organization;
  return rest;
};

@Injectable()
export class CompetitionsService {
  private readonly factsProviders: TransitionFactsProvider[] = [];
  private readonly roleProviders: CompetitionRoleProvider[] = [];
  private readonly effects: Array<{ order: number; effect: TransitionEffect }> = [];

  constructor(
    private readonly db: Db,
    private readonly orgs: OrganizationsService,
    private readonly audit: AuditService,
  ) {}

  registerRoleProvider(p: CompetitionRoleProvider): void {
    this.roleProviders.push(p);
  }

  registerFactsProvider(p: TransitionFactsProvider): void {
    this.factsProviders.push(p);
  }

  /**
   * A module to the right (results, awards, certificates) acting inside a transition's transaction,
   * after the guards passed and the new status is saved; effects run by ascending `order`
   * (results 10, awards 20, certificates 30). A thrown error rolls the whole transition back.
   */
  registerTransitionEffect(order: number, effect: TransitionEffect): void {
    this.effects.push({ order, effect });
    this.effects.sort((a, b) => a.order - b.order);
  }

  private rulesErrors(input: Parameters<typeof validateCompetitionRules>[0]): void {
    const errors = validateCompetitionRules(input);
    if (errors.length) throw DomainError.invalid('VALIDATION_FAILED', errors);
  }

  async create(user: AuthUser, dto: CreateCompetitionDto): Promise<CompetitionView> {
    const owner = await this.orgs.find(dto.organizationId);
    if (!owner) throw new DomainError('rejected', 'ORGANIZATION_NOT_FOUND', `organizationId: organization ${dto.organizationId} does not exist`);
    await this.orgs.assertInScope(user, owner.id);
    this.rulesErrors({ ...dto, tieBreakers: dto.tieBreakers as TieBreaker[] | undefined });
    await this.checkEligibleOrganization(user, owner, dto.enrolmentRules?.eligibleOrganizationId);
    const id = randomUUID();
    const c: Partial<Competition> = {
      id,
      title: dto.title.trim(),
      kind: dto.kind,
      level: dto.level ?? owner.level,
      trade: dto.trade?.trim() ?? null,
      organizationId: owner.id,
      contestantType: dto.contestantType ?? 'individual',
      ...this.scheduleColumns(dto.schedule ?? {}),
      status: 'draft',
      enrolmentRules: { ...(dto.enrolmentRules ?? {}) },
      scoring: dto.scoring ? plain(dto.scoring) : null,
      tieBreakers: plain((dto.tieBreakers ?? []) as TieBreaker[]),
      awardRules: plain(dto.awardRules ?? DEFAULT_AWARD_RULES),
      publicityDays: dto.publicityDays ?? 5,
      medalPolicy: dto.medalPolicy ?? 'direct',
      drawSeed: null,
      drawnAt: null,
      publishedAt: null,
      createdBy: user.id,
    };
    const saved = await this.db.transaction(async (m) => {
      const row = await m.save(Competition, m.create(Competition, c));
      await this.audit.record(m, { actorId: user.id, action: 'competition.create', entityType: 'competition', entityId: id, after: snapshot(row) });
      return row;
    });
    return toCompetitionView(await this.getEntity(saved.id));
  }

  private scheduleColumns(s: Schedule) {
    const d = (v?: string) => (v ? new Date(v) : null);
    return { enrolmentOpensAt: d(s.enrolmentOpensAt), enrolmentClosesAt: d(s.enrolmentClosesAt), startsAt: d(s.startsAt), endsAt: d(s.endsAt) };
  }

  private async checkEligibleOrganization(user: AuthUser, owner: Organization, eligibleId?: string): Promise<void> {
    if (!eligibleId) return;
    const eligible = await this.orgs.find(eligibleId);
    if (!eligible) throw new DomainError('rejected', 'ORGANIZATION_NOT_FOUND', `enrolmentRules.eligibleOrganizationId: organization ${eligibleId} does not exist`);
    await this.orgs.assertInScope(user, eligible.id);
  }

  async getEntity(id: string, m?: EntityManager): Promise<Competition> {
    const c = await (m ? m.findOne(Competition, { where: { id } }) : this.db.run((em) => em.findOne(Competition, { where: { id } })));
    if (!c) throw DomainError.notFound('competition', 'COMPETITION_NOT_FOUND');
    return c;
  }

  /** Drafts are visible only to admins and organizers whose subtree owns them; others get 404. */
  async getVisible(user: AuthUser | undefined, id: string): Promise<Competition> {
    const c = await this.getEntity(id);
    if (c.status === 'draft' && !(user && hasRole(user, 'admin', 'organizer') && (await this.orgs.inScope(user, c.organizationId)))) {
      throw DomainError.notFound('competition', 'COMPETITION_NOT_FOUND');
    }
    return c;
  }

  /** For changes: the caller must be an organizer of the owning organization's subtree (403), and able to see it (404). */
  async getManaged(user: AuthUser, id: string): Promise<Competition> {
    return (await this.getWithRole(user, id, ['organizer'])).competition;
  }

  /** The caller's roles in one competition: organizer (of the owning subtree) plus those other modules know (judge, chief judge). */
  async rolesOf(user: AuthUser, c: Competition): Promise<Set<CompetitionRole>> {
    const roles = new Set<CompetitionRole>();
    // inScope looks only at the organization: a worker employed by the owner itself would pass it.
    if (hasRole(user, 'admin', 'organizer') && (await this.orgs.inScope(user, c.organizationId))) roles.add('organizer');
    for (const p of this.roleProviders) for (const r of await p(user, c)) roles.add(r);
    return roles;
  }

  /** A competition the caller holds one of `allowed` roles in: 404 if it may not see it, 403 if it may see but not act. */
  async getWithRole(user: AuthUser, id: string, allowed: CompetitionRole[]): Promise<{ competition: Competition; roles: Set<CompetitionRole> }> {
    const c = await this.getEntity(id);
    const roles = await this.rolesOf(user, c);
    this.assertRoles(c, roles, allowed);
    return { competition: c, roles };
  }

  /** getWithRole's checks on roles already known: 404 if the caller may not see the competition, 403 if it may see but not act. */
  assertRoles(c: Competition, roles: Set<CompetitionRole>, allowed: CompetitionRole[]): void {
    if (c.status === 'draft' && !roles.has('organizer')) throw DomainError.notFound('competition', 'COMPETITION_NOT_FOUND');
    if (!allowed.some((r) => roles.has(r))) {
      const who = allowed.map((r) => (r === 'organizer' ? 'organizers of the owning organization' : r === 'chief_judge' ? 'its chief judge' : 'its judges'));
      throw DomainError.forbidden(`only ${who.join(' or ')} may do this`, allowed.length === 1 && allowed[0] === 'organizer' ? 'OUT_OF_SCOPE' : 'NOT_ALLOWED_IN_COMPETITION');
    }
  }

  async list(user: AuthUser | undefined, q: ListCompetitionsQuery): Promise<Page<CompetitionView>> {
    const { take, skip } = pageParams(q);
    const ownPath = user?.organizationId ? (await this.orgs.find(user.organizationId))?.path : undefined;
    const [rows, total] = await this.db.run((m) => {
      const qb = m.createQueryBuilder(Competition, 'c').innerJoin(Organization, 'o', 'o.id = c.organization_id');
      if (!hasRole(user, 'admin')) {
        if (hasRole(user, 'organizer') && ownPath) qb.andWhere("(c.status <> 'draft' OR o.path LIKE :own)", { own: `${escapeLike(ownPath)}%` });
        else qb.andWhere("c.status <> 'draft'");
      }
      if (q.status) qb.andWhere('c.status = :status', { status: q.status });
      if (q.kind) qb.andWhere('c.kind = :kind', { kind: q.kind });
      if (q.level) qb.andWhere('c.level = :level', { level: q.level });
      if (q.trade) qb.andWhere('c.trade = :trade', { trade: q.trade });
      if (q.organizationId) qb.andWhere('c.organization_id = :org', { org: q.organizationId });
      if (q.q) qb.andWhere("LOWER(c.title) LIKE :q ESCAPE '\\'", { q: `%${escapeLike(q.q.toLowerCase())}%` });
      return qb.orderBy('c.created_at', 'DESC').addOrderBy('c.id', 'ASC').take(take).skip(skip).getManyAndCount();
    });
    return { items: rows.map(toCompetitionView), total };
  }

  async update(user: AuthUser, id: string, dto: UpdateCompetitionDto): Promise<CompetitionView> {
    await this.getManaged(user, id);
    return this.db.transaction(async (m) => {
      const c = await this.lockForUpdate(m, id);
      if (c.status !== 'draft') throw DomainError.conflict('COMPETITION_NOT_EDITABLE', `a competition can be edited only in draft; it is ${c.status}`);
      if (dto.version != null && dto.version !== c.version) {
        throw DomainError.conflict('STALE_VERSION', `the competition was changed meanwhile (version ${c.version}, you sent ${dto.version}); reload and try again`);
      }
      const before = snapshot(c);
      const schedule = { ...toCompetitionView(c).schedule, ...definedOnly(dto.schedule ?? {}) };
      // A field sent as null goes back to its default (no scheme, no tie-breakers, rank 1 ⇒ medal, no rules).
      const next = {
        scoring: dto.scoring !== undefined ? (dto.scoring === null ? undefined : plain(dto.scoring)) : (c.scoring ?? undefined),
        tieBreakers: dto.tieBreakers !== undefined ? plain((dto.tieBreakers ?? []) as TieBreaker[]) : c.tieBreakers,
        awardRules: dto.awardRules !== undefined ? plain(dto.awardRules ?? DEFAULT_AWARD_RULES) : c.awardRules,
        enrolmentRules: dto.enrolmentRules !== undefined ? { ...(dto.enrolmentRules ?? {}) } : c.enrolmentRules,
        schedule,
      };
      this.rulesErrors(next);
      if (dto.enrolmentRules?.eligibleOrganizationId) {
        await this.checkEligibleOrganization(user, await this.orgs.get(c.organizationId), dto.enrolmentRules.eligibleOrganizationId);
      }
      Object.assign(c, {
        title: dto.title?.trim() ?? c.title,
        kind: dto.kind ?? c.kind,
        level: dto.level ?? c.level,
        trade: dto.trade !== undefined ? (dto.trade?.trim() ?? null) : c.trade,
        contestantType: dto.contestantType ?? c.contestantType,
        ...this.scheduleColumns(schedule),
        enrolmentRules: next.enrolmentRules,
        scoring: next.scoring ?? null,
        tieBreakers: next.tieBreakers,
        awardRules: next.awardRules,
        publicityDays: dto.publicityDays ?? c.publicityDays,
        medalPolicy: dto.medalPolicy ?? c.medalPolicy,
      });
      const saved = await m.save(Competition, c);
      await this.audit.record(m, { actorId: user.id, action: 'competition.update', entityType: 'competition', entityId: id, before, after: snapshot(saved) });
      return toCompetitionView(await this.getEntity(id, m));
    });
  }

  /** Reads the row for a change; on PostgreSQL locks it until the transaction ends (SQLite is serialized already). */
  async lockForUpdate(m: EntityManager, id: string): Promise<Competition> {
    const qb = m.createQueryBuilder(Competition, 'c').where('c.id = :id', { id });
    if (this.db.kind === 'postgres') qb.setLock('pessimistic_write');
    const c = await qb.getOne();
    if (!c) throw DomainError.notFound('competition', 'COMPETITION_NOT_FOUND');
    return c;
  }

  async transition(user: AuthUser, id: string, dto: TransitionDto): Promise<CompetitionView> {
    // The chief judge signs the scores off (成绩复核 / 裁判长签字); every other move is the organizers'.
    await this.getWithRole(user, id, dto.to === 'scores_locked' ? ['organizer', 'chief_judge'] : ['organizer']);
    if (dto.force && !hasRole(user, 'admin')) throw DomainError.forbidden('only an admin may force a transition', 'FORCE_NOT_ALLOWED');
    const afterCommit: Array<() => void> = [];
    const view = await this.db.transaction(async (m) => {
      const c = await this.lockForUpdate(m, id);
      const facts: TransitionFacts = {
        schemeErrors: c.scoring ? validateScheme(c.scoring) : undefined,
        hasEnrolmentWindow: !!(c.enrolmentOpensAt && c.enrolmentClosesAt),
        bibsDrawn: !!c.drawnAt,
        force: !!dto.force,
      };
      for (const p of this.factsProviders) Object.assign(facts, await p(m, c, dto.to));
      const result = checkTransition(c.status, dto.to, facts);
      if (!result.ok) throw new DomainError('conflict', result.code, result.message);
      const from = c.status;
      c.status = dto.to;
      if (dto.to === 'published') c.publishedAt = new Date();
      await m.save(Competition, c);
      for (const { effect } of this.effects) {
        const after = await effect(m, c, { from, to: dto.to, user, force: !!dto.force });
        if (after) afterCommit.push(after);
      }
      await this.audit.record(m, { actorId: user.id, action: 'competition.transition', entityType: 'competition', entityId: id, before: { status: from }, after: { status: dto.to, force: !!dto.force } });
      return toCompetitionView(await this.getEntity(id, m));
    });
    for (const f of afterCommit) f();
    return view;
  }
}

/**
 * The fields a partial object was actually sent with. DTO instances own every declared field (ES2022
 * class fields start as undefined), so spreading one over stored values would erase those not sent.
 */
function definedOnly<T extends object>(v: T): Partial<T> {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as Partial<T>;
}

/** DTO class instances → plain JSON for storage. */
function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
