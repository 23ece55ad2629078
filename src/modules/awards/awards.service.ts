import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuthUser, hasRole } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { pageParams } from '../../common/pagination';
import { insertMany } from '../../database/bulk-insert';
import { Db } from '../../database/db.service';
import { AuditService } from '../audit/audit.service';
import { Competition } from '../competitions/competition.entity';
import { CompetitionRole, CompetitionsService, TransitionContext } from '../competitions/competitions.service';
import { AWARD_TYPES } from '../competitions/domain/competition.types';
import { maskName } from '../identity/domain/masking';
import { Worker } from '../identity/worker.entity';
import { Organization } from '../organizations/organization.entity';
import { OrganizationsService } from '../organizations/organizations.service';
import { OutboxService } from '../queue/outbox.service';
import { Result } from '../results/result.entity';
import { ResultsService } from '../results/results.service';
import { fromHundredths } from '../scoring/domain/arithmetic';
import { Award, AwardStatus } from './award.entity';
import type { AwardListener, CertificateInfo, CertificateInfoProvider } from './awards.hooks';
import { awardLabel, exportLabel } from './domain/award-labels';
import { applyAwardRules, AwardGrant } from './domain/award-rules';
import { AwardDecisionDto, AwardItem, AwardView, HonourItem, ListAwardsQuery, RevokeAwardDto } from './dto/awards.dto';
import { numOrNull as num } from '../../database/raw-values';

/** After results (10), before certificates (30): see CompetitionsService.registerTransitionEffect. */
export const AWARDS_EFFECT_ORDER = 20;
/** Statuses the public sees once the competition is final: nominations and declined ones are internal. */
const PUBLIC_STATUSES: AwardStatus[] = ['issued', 'revoked'];

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** What is audited of an award: its columns, without relations or row timestamps. */
const snapshot = (a: Award) => ({
  competitionId: a.competitionId,
  enrolmentId: a.enrolmentId,
  workerId: a.workerId,
  type: a.type,
  level: a.level,
  rank: a.rank,
  total: a.total,
  status: a.status,
  issuedAt: iso(a.issuedAt),
  decidedBy: a.decidedBy,
  decidedAt: iso(a.decidedAt),
  decisionReason: a.decisionReason,
  revokedBy: a.revokedBy,
  revokedAt: iso(a.revokedAt),
  revokeReason: a.revokeReason,
});

export function toAwardView(a: Award): AwardView {
  return {
    id: a.id,
    competitionId: a.competitionId,
    enrolmentId: a.enrolmentId,
    workerId: a.workerId,
    type: a.type,
    label: awardLabel(a.type, a.level),
    level: a.level,
    rank: a.rank,
    total: fromHundredths(a.total),
    status: a.status,
    issuedAt: iso(a.issuedAt),
    decidedAt: iso(a.decidedAt),
    decisionReason: a.decisionReason,
    revokedAt: iso(a.revokedAt),
    revokeReason: a.revokeReason,
  };
}

interface AwardRow {
  id: string;
  type: string;
  level: string;
  rank: number | string | null;
  total: number | string;
  status: AwardStatus;
  issued_at: Date | string | null;
  name: string;
  employer: string | null;
}

interface HonourRow extends Omit<AwardRow, 'name' | 'employer'> {
  competition_id: string;
  title: string;
  competition_level: string;
}

/** Raw timestamps: a Date from pg, 'YYYY-MM-DD HH:MM:SS.sss' (UTC) from SQLite. */
const rawIso = (v: Date | string | null): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`).toISOString();

/**
 * Awards (ARCHITECTURE.md, "Awards, exactly once"): applied by the finalize transition's effect in its
 * transaction, from the final results the results module froze just before (order 10). Modules to the
 * right react through listeners (certificates create their rows and outbox events in the same
 * transaction) and show their data through the certificate-info provider, so this module never calls them.
 */
@Injectable()
export class AwardsService implements OnModuleInit {
  private readonly logger = new Logger(AwardsService.name);
  private readonly listeners: AwardListener[] = [];
  private certificateInfo?: CertificateInfoProvider;

  constructor(
    private readonly db: Db,
    private readonly competitions: CompetitionsService,
    private readonly orgs: OrganizationsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly results: ResultsService,
  ) {}

  onModuleInit(): void {
    this.competitions.registerTransitionEffect(AWARDS_EFFECT_ORDER, (m, c, ctx) => (ctx.to === 'finalized' ? this.applyOnFinalize(m, c, ctx) : Promise.resolve()));
    this.results.registerAwardLabels((m, competitionId) => this.labelsByEnrolment(m, competitionId));
  }

  registerListener(l: AwardListener): void {
    this.listeners.push(l);
  }

  registerCertificateInfoProvider(p: CertificateInfoProvider): void {
    this.certificateInfo = p;
  }

  /**
   * Inside the finalize transaction (the competition row is locked, on SQLite everything is): the final
   * results through the rules, then the awards not there yet. The unique key (competition, worker, type)
   * makes a second application insert nothing; the check first keeps it from failing.
   */
  async applyOnFinalize(m: EntityManager, c: Competition, ctx: Pick<TransitionContext, 'user'>): Promise<() => void> {
    // The columns the rules read (the section scores, a JSON column per row, are not among them).
    const results = await m.find(Result, { where: { competitionId: c.id, final: true }, select: { id: true, enrolmentId: true, workerId: true, rank: true, total: true, complete: true } });
    const grants = applyAwardRules({
      level: c.level,
      contestantType: c.contestantType,
      medalPolicy: c.medalPolicy,
      awardRules: c.awardRules,
      results: results.map((r) => ({ enrolmentId: r.enrolmentId, workerId: r.workerId, rank: r.rank, total: r.total, complete: r.complete })),
    });
    const existing = await m.find(Award, { where: { competitionId: c.id }, select: { id: true, workerId: true, type: true } });
    const have = new Set(existing.map((a) => `${a.workerId}|${a.type}`));
    const now = new Date();
    const rows = grants.filter((g) => !have.has(`${g.workerId}|${g.type}`)).map((g) => this.newAward(c, g, now));
    // Every column is set here (ids and timestamps too): nothing to read back.
    await insertMany(m, Award, rows);
    await this.audit.recordMany(
      m,
      rows.map((a) => ({ actorId: ctx.user.id, action: a.status === 'issued' ? 'award.issue' : 'award.nominate', entityType: 'award', entityId: a.id, after: snapshot(a) })),
    );
    const issued = rows.filter((a) => a.status === 'issued');
    if (issued.length) await this.notifyIssued(m, issued);
    if (rows.length) this.logger.log({ competitionId: c.id, awards: rows.length, issued: issued.length }, 'awards applied');
    return () => this.outbox.notifyCommitted();
  }

  private newAward(c: Competition, g: AwardGrant, now: Date): Award {
    const a = new Award();
    Object.assign(a, {
      id: randomUUID(),
      competitionId: c.id,
      enrolmentId: g.enrolmentId,
      workerId: g.workerId,
      type: g.type,
      level: g.level,
      rank: g.rank,
      total: g.total,
      status: g.status,
      issuedAt: g.status === 'issued' ? now : null,
      decidedBy: null,
      decidedAt: null,
      decisionReason: null,
      revokedBy: null,
      revokedAt: null,
      revokeReason: null,
      createdAt: now,
      updatedAt: now,
    });
    return a;
  }

  private async notifyIssued(m: EntityManager, awards: Award[]): Promise<void> {
    for (const l of this.listeners) if (l.issued) await l.issued(m, awards);
  }

  /**
   * POST /api/awards/:id/decision: a nomination (medalPolicy nominate) is approved or declined by the
   * parent organization of the competition's owner (上级工会), not by the owner itself. Admins may too.
   */
  async decide(user: AuthUser, awardId: string, dto: AwardDecisionDto): Promise<AwardView> {
    const { competition } = await this.visibleAward(user, awardId);
    if (!hasRole(user, 'admin')) {
      const owner = await this.orgs.get(competition.organizationId);
      if (!owner.parentId || !hasRole(user, 'organizer') || !(await this.orgs.inScope(user, owner.parentId))) {
        throw DomainError.forbidden(
          owner.parentId
            ? 'a nomination is approved or declined by an organizer of the parent organization of the competition’s organizer'
            : 'the competition’s organization has no parent organization: only an admin may decide this nomination',
          'PARENT_ORGANIZATION_ONLY',
        );
      }
    }
    let issued = false;
    const view = await this.db.transaction(async (m) => {
      const a = await this.lockAward(m, awardId);
      if (a.status !== 'nominated') throw DomainError.conflict('AWARD_NOT_NOMINATED', `only a nomination can be approved or declined; this award is ${a.status}`);
      const before = snapshot(a);
      const now = new Date();
      a.status = dto.decision === 'approve' ? 'issued' : 'declined';
      if (a.status === 'issued') a.issuedAt = now;
      a.decidedBy = user.id;
      a.decidedAt = now;
      a.decisionReason = dto.reason ?? null;
      a.updatedAt = now;
      await m.update(Award, { id: a.id }, { status: a.status, issuedAt: a.issuedAt, decidedBy: a.decidedBy, decidedAt: a.decidedAt, decisionReason: a.decisionReason, updatedAt: now });
      await this.audit.record(m, { actorId: user.id, action: dto.decision === 'approve' ? 'award.approve' : 'award.decline', entityType: 'award', entityId: a.id, before, after: snapshot(a) });
      if (a.status === 'issued') {
        await this.notifyIssued(m, [a]);
        issued = true;
      }
      return toAwardView(a);
    });
    if (issued) this.outbox.notifyCommitted();
    return view;
  }

  /** POST /api/awards/:id/revoke: organizers of the competition; the certificate follows (listeners). */
  async revoke(user: AuthUser, awardId: string, dto: RevokeAwardDto): Promise<AwardView> {
    await this.visibleAward(user, awardId);
    const view = await this.db.transaction(async (m) => {
      const a = await this.lockAward(m, awardId);
      if (a.status === 'revoked') throw DomainError.conflict('AWARD_ALREADY_REVOKED', 'this award is already revoked');
      if (a.status === 'declined') throw DomainError.conflict('AWARD_DECLINED', 'a declined nomination cannot be revoked');
      const before = snapshot(a);
      const now = new Date();
      Object.assign(a, { status: 'revoked', revokedBy: user.id, revokedAt: now, revokeReason: dto.reason, updatedAt: now });
      await m.update(Award, { id: a.id }, { status: a.status, revokedBy: a.revokedBy, revokedAt: a.revokedAt, revokeReason: a.revokeReason, updatedAt: now });
      await this.audit.record(m, { actorId: user.id, action: 'award.revoke', entityType: 'award', entityId: a.id, before, after: snapshot(a) });
      for (const l of this.listeners) if (l.revoked) await l.revoked(m, a, dto.reason);
      return toAwardView(a);
    });
    // A listener may have written an outbox event (the certificate's revocation).
    this.outbox.notifyCommitted();
    return view;
  }

  /**
   * The award and its competition for someone acting on it: organizers of the competition (its owner's
   * subtree, which holds the parent organization's organizers too). Anyone else gets 403 for an award
   * the public can see and 404 for one it cannot (a nomination).
   */
  private async visibleAward(user: AuthUser, awardId: string): Promise<{ award: Award; competition: Competition }> {
    const award = await this.db.run((m) => m.findOne(Award, { where: { id: awardId } }));
    if (!award) throw DomainError.notFound('award', 'AWARD_NOT_FOUND');
    const competition = await this.competitions.getEntity(award.competitionId);
    const roles = await this.competitions.rolesOf(user, competition);
    if (!roles.has('organizer')) {
      if (competition.status === 'finalized' && PUBLIC_STATUSES.includes(award.status)) {
        throw DomainError.forbidden('only organizers of the competition may act on its awards', 'OUT_OF_SCOPE');
      }
      throw DomainError.notFound('award', 'AWARD_NOT_FOUND');
    }
    return { award, competition };
  }

  /** Reads the award for a change; on PostgreSQL locks its row until the transaction ends (SQLite is serialized). */
  private async lockAward(m: EntityManager, id: string): Promise<Award> {
    const qb = m.createQueryBuilder(Award, 'a').where('a.id = :id', { id });
    if (this.db.kind === 'postgres') qb.setLock('pessimistic_write');
    const a = await qb.getOne();
    if (!a) throw DomainError.notFound('award', 'AWARD_NOT_FOUND');
    return a;
  }

  /**
   * GET /api/competitions/:id/awards: organizers of the competition always, with full names and every
   * status; anyone else once it is finalized, with masked names (张*明) and only issued or revoked awards.
   */
  async list(user: AuthUser | undefined, competitionId: string, q: ListAwardsQuery): Promise<{ items: AwardItem[]; total: number }> {
    const c = await this.competitions.getEntity(competitionId);
    const roles = user ? await this.competitions.rolesOf(user, c) : new Set<CompetitionRole>();
    const organizer = roles.has('organizer');
    if (!organizer) {
      if (c.status === 'draft') throw DomainError.notFound('competition', 'COMPETITION_NOT_FOUND');
      if (c.status !== 'finalized') throw new DomainError('not_found', 'AWARDS_NOT_PUBLISHED', 'the awards of this competition are public once its results are final');
    }
    const { take, skip } = pageParams(q);
    return this.db.run(async (m) => {
      const qb = m
        .createQueryBuilder(Award, 'a')
        .innerJoin(Worker, 'w', 'w.id = a.worker_id')
        .leftJoin(Organization, 'o', 'o.id = w.employer_org_id')
        .select(['a.id AS id', 'a.type AS type', 'a.level AS level', 'a.rank AS rank', 'a.total AS total', 'a.status AS status', 'a.issued_at AS issued_at', 'w.name AS name', 'o.name AS employer'])
        .where('a.competition_id = :id', { id: c.id });
      if (!organizer) qb.andWhere('a.status IN (:...statuses)', { statuses: PUBLIC_STATUSES });
      const total = await qb.clone().getCount();
      // Rank first (unranked last), then the award's place in the glossary, then a stable tie-break.
      const rows = await qb
        .orderBy('CASE WHEN a.rank IS NULL THEN 1 ELSE 0 END', 'ASC')
        .addOrderBy('a.rank', 'ASC')
        .addOrderBy(typeOrderSql('a.type'), 'ASC')
        .addOrderBy('a.id', 'ASC')
        .offset(skip)
        .limit(take)
        .getRawMany<AwardRow>();
      const certs = await this.certificatesOf(m, rows.map((r) => r.id));
      const items = rows.map(
        (r): AwardItem => ({
          id: r.id,
          type: r.type,
          label: awardLabel(r.type, r.level),
          level: r.level,
          rank: num(r.rank),
          total: fromHundredths(Number(r.total)),
          status: r.status,
          issuedAt: rawIso(r.issued_at),
          recipient: { name: organizer ? r.name : maskName(r.name), organization: r.employer },
          certificate: certs.get(r.id) ?? null,
        }),
      );
      return { items, total };
    });
  }

  /** GET /api/workers/me/honours (荣誉档案): every award of the worker, newest competition first. */
  async honours(user: AuthUser, q: ListAwardsQuery): Promise<{ items: HonourItem[]; total: number }> {
    if (!user.workerId) throw DomainError.notFound('worker profile', 'WORKER_NOT_FOUND');
    const { take, skip } = pageParams(q);
    return this.db.run(async (m) => {
      const qb = m
        .createQueryBuilder(Award, 'a')
        .innerJoin(Competition, 'c', 'c.id = a.competition_id')
        .select([
          'a.id AS id',
          'a.type AS type',
          'a.level AS level',
          'a.rank AS rank',
          'a.total AS total',
          'a.status AS status',
          'a.issued_at AS issued_at',
          'c.id AS competition_id',
          'c.title AS title',
          'c.level AS competition_level',
        ])
        .where('a.worker_id = :w', { w: user.workerId });
      const total = await qb.clone().getCount();
      const rows = await qb
        .orderBy('a.created_at', 'DESC')
        .addOrderBy('a.competition_id', 'ASC')
        .addOrderBy(typeOrderSql('a.type'), 'ASC')
        .addOrderBy('a.id', 'ASC')
        .offset(skip)
        .limit(take)
        .getRawMany<HonourRow>();
      const certs = await this.certificatesOf(m, rows.map((r) => r.id));
      const items = rows.map(
        (r): HonourItem => ({
          id: r.id,
          competition: { id: r.competition_id, title: r.title, level: r.competition_level },
          type: r.type,
          label: awardLabel(r.type, r.level),
          level: r.level,
          rank: num(r.rank),
          total: fromHundredths(Number(r.total)),
          status: r.status,
          issuedAt: rawIso(r.issued_at),
          certificate: certs.get(r.id) ?? null,
        }),
      );
      return { items, total };
    });
  }

  /** For exports: each entry's award labels (市五一劳动奖章, 市技术能手 …); nominations marked, declined and revoked left out. */
  async labelsByEnrolment(m: EntityManager, competitionId: string): Promise<Map<string, string[]>> {
    const awards = await m.find(Award, { where: { competitionId }, order: { rank: 'ASC' } });
    const order = (t: string) => TYPE_ORDER.indexOf(t);
    awards.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || order(a.type) - order(b.type));
    const out = new Map<string, string[]>();
    for (const a of awards) {
      const label = exportLabel(a.type, a.level, a.status);
      if (!label) continue;
      const list = out.get(a.enrolmentId) ?? [];
      list.push(label);
      out.set(a.enrolmentId, list);
    }
    return out;
  }

  private async certificatesOf(m: EntityManager, awardIds: string[]): Promise<Map<string, CertificateInfo>> {
    if (!this.certificateInfo || awardIds.length === 0) return new Map();
    return this.certificateInfo(m, awardIds);
  }
}

const TYPE_ORDER: readonly string[] = AWARD_TYPES;

/** ORDER BY expression putting award types in the glossary's order (medal first, prizes after titles). */
function typeOrderSql(column: string): string {
  return `CASE ${column} ${TYPE_ORDER.map((t, i) => `WHEN '${t}' THEN ${i}`).join(' ')} ELSE ${TYPE_ORDER.length} END`;
}
