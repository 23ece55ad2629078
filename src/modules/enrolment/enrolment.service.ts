import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { EntityManager, In, IsNull, Not } from 'typeorm';
import { AuthUser, hasRole } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { Page, pageParams } from '../../common/pagination';
import { Db } from '../../database/db.service';
import { AuditService } from '../audit/audit.service';
import { Competition } from '../competitions/competition.entity';
import { CompetitionsService, toCompetitionView } from '../competitions/competitions.service';
import { EnrolmentStatus } from '../competitions/domain/competition.types';
import { checkEligibility } from '../competitions/domain/eligibility';
import { drawBibs } from '../competitions/domain/draw';
import { Worker } from '../identity/worker.entity';
import { WorkerInput, WorkersService } from '../identity/workers.service';
import { Organization } from '../organizations/organization.entity';
import { OrganizationsService } from '../organizations/organizations.service';
import { LiveEventsService } from '../queue/live-events.service';
import { STANDINGS_TOPIC, StandingsChange } from '../queue/live-topics';
import { nominatingOrgId } from './domain/nomination';
import { CreateEnrolmentDto, DecisionDto, DrawDto, ListEnrolmentsQuery, UpdateEnrolmentDto } from './dto/enrolment.dto';
import { Enrolment, EnrolmentSource } from './enrolment.entity';

/** Entries that hold a place in a quota. */
export const QUOTA_STATUSES: EnrolmentStatus[] = ['pending', 'approved'];
/** States in which an entry can still be withdrawn. */
const BEFORE_START = ['draft', 'enrolment_open', 'enrolment_closed'];

export interface EnrolmentView {
  id: string;
  competitionId: string;
  status: EnrolmentStatus;
  bib: number | null;
  station: string | null;
  timeUsedSeconds: number | null;
  reason: string | null;
  source: EnrolmentSource;
  nominatingOrgId: string;
  createdAt: string;
  worker?: {
    id: string;
    name: string;
    idNumber: string;
    gender: string;
    birthDate: string;
    phone: string | null;
    employerOrgId: string;
    employerName: string | null;
    trade: string | null;
    skillLevel: number | null;
  };
}

export const toEnrolmentView = (e: Enrolment): EnrolmentView => ({
  id: e.id,
  competitionId: e.competitionId,
  status: e.status,
  bib: e.bib,
  station: e.station,
  timeUsedSeconds: e.timeUsedSeconds,
  reason: e.reason,
  source: e.source,
  nominatingOrgId: e.nominatingOrgId,
  createdAt: e.createdAt.toISOString(),
});

const snapshot = (e: Enrolment) => ({ status: e.status, bib: e.bib, station: e.station, timeUsedSeconds: e.timeUsedSeconds, reason: e.reason });

/** Outcome of one attempt to enrol, for the HTTP routes (which throw) and the bulk import (which collects). */
export type EnrolOutcome =
  | { ok: true; enrolment: Enrolment }
  | { ok: false; code: 'ALREADY_ENROLLED' | 'INELIGIBLE' | 'QUOTA_FULL'; reasons: string[] };

export interface EnrolContext {
  competition: Competition;
  /** Path and id of the root of the eligible subtree. */
  eligibleRoot: Organization;
  now: Date;
}

@Injectable()
export class EnrolmentService implements OnModuleInit {
  constructor(
    private readonly db: Db,
    private readonly competitions: CompetitionsService,
    private readonly orgs: OrganizationsService,
    private readonly workers: WorkersService,
    private readonly audit: AuditService,
    private readonly live: LiveEventsService,
  ) {}

  onModuleInit(): void {
    // Lifecycle guards about entries: closing enrolment needs at least two approved ones.
    this.competitions.registerFactsProvider(async (m, c, to) =>
      to === 'enrolment_closed' ? { approvedEntries: await m.count(Enrolment, { where: { competitionId: c.id, status: 'approved' } }) } : {},
    );
  }

  /** Reads what eligibility needs about a competition, inside the transaction. */
  async context(m: EntityManager, competition: Competition): Promise<EnrolContext> {
    const rootId = competition.enrolmentRules.eligibleOrganizationId ?? competition.organizationId;
    const eligibleRoot = await m.findOne(Organization, { where: { id: rootId } });
    if (!eligibleRoot) throw DomainError.notFound('eligible organization', 'ORGANIZATION_NOT_FOUND');
    return { competition, eligibleRoot, now: new Date() };
  }

  /**
   * The rules of entry, in one place for self-service, organizer and bulk enrolment: duplicate, then
   * eligibility (every unmet rule), then the quota of the nominating organization. The caller holds
   * the competition's row lock (PostgreSQL) or the serial lock (SQLite), so the quota count is exact.
   */
  async tryEnrol(m: EntityManager, ctx: EnrolContext, worker: Worker, source: EnrolmentSource, actorId: string | null, selfService: boolean): Promise<EnrolOutcome> {
    const c = ctx.competition;
    if (await m.exists(Enrolment, { where: { competitionId: c.id, workerId: worker.id } })) {
      return { ok: false, code: 'ALREADY_ENROLLED', reasons: ['this worker is already enrolled in this competition'] };
    }
    const employer = await m.findOne(Organization, { where: { id: worker.employerOrgId } });
    const view = toCompetitionView(c);
    const reasons = checkEligibility({
      competition: { status: c.status, trade: c.trade, schedule: view.schedule, enrolmentRules: c.enrolmentRules, eligiblePath: ctx.eligibleRoot.path },
      worker: { birthDate: worker.birthDate, skillLevel: worker.skillLevel, trade: worker.trade, employerPath: employer?.path ?? '' },
      selfService,
      now: ctx.now,
    });
    if (reasons.length) return { ok: false, code: 'INELIGIBLE', reasons: reasons.map((r) => r.message) };
    const nominating = nominatingOrgId(ctx.eligibleRoot.path, ctx.eligibleRoot.id, employer!.path)!;
    const quota = c.enrolmentRules.quotaPerOrganization;
    if (quota !== undefined) {
      const used = await m.count(Enrolment, { where: { competitionId: c.id, nominatingOrgId: nominating, status: In(QUOTA_STATUSES) } });
      if (used >= quota) {
        const org = await m.findOne(Organization, { where: { id: nominating } });
        return { ok: false, code: 'QUOTA_FULL', reasons: [`the quota of ${quota} entries for ${org?.name ?? 'the nominating organization'} is full`] };
      }
    }
    const e = m.create(Enrolment, {
      id: randomUUID(),
      competitionId: c.id,
      workerId: worker.id,
      nominatingOrgId: nominating,
      status: 'pending',
      bib: null,
      station: null,
      timeUsedSeconds: null,
      reason: null,
      source,
      createdBy: actorId,
      decidedBy: null,
      decidedAt: null,
    });
    await m.insert(Enrolment, e);
    await this.audit.record(m, { actorId, action: 'enrolment.create', entityType: 'enrolment', entityId: e.id, after: { competitionId: c.id, workerId: worker.id, source, ...snapshot(e) } });
    return { ok: true, enrolment: e };
  }

  private throwOutcome(o: Extract<EnrolOutcome, { ok: false }>): never {
    if (o.code === 'ALREADY_ENROLLED') throw DomainError.conflict(o.code, o.reasons[0]);
    throw new DomainError('rejected', o.code, o.reasons);
  }

  async enrol(user: AuthUser, competitionId: string, dto: CreateEnrolmentDto): Promise<EnrolmentView> {
    // null is "not given" (IsOptional lets it through): `{workerId: null}` must not look a worker up by a null id.
    const workerId = dto.workerId ?? undefined;
    const newWorker = dto.worker ?? undefined;
    const organizerCall = workerId !== undefined || newWorker !== undefined;
    if (organizerCall) {
      if (!hasRole(user, 'organizer', 'admin')) throw DomainError.forbidden('only organizers may enrol other workers', 'ROLE_REQUIRED');
      if (workerId && newWorker) throw DomainError.invalid('VALIDATION_FAILED', ['give either workerId or worker, not both']);
      await this.competitions.getManaged(user, competitionId);
      if (newWorker) {
        this.workers.protectIdNumber(newWorker.idNumber); // 400 before anything is written
        const employer = await this.orgs.find(newWorker.employerOrgId);
        if (!employer) throw new DomainError('rejected', 'EMPLOYER_NOT_FOUND', `worker.employerOrgId: organization ${newWorker.employerOrgId} does not exist`);
        await this.orgs.assertInScope(user, employer.id);
      }
    } else {
      if (!user.workerId) throw DomainError.forbidden('only a worker with a worker profile can enrol itself', 'NOT_A_WORKER');
      await this.competitions.getVisible(user, competitionId);
    }
    const e = await this.db.transaction(async (m) => {
      const c = await this.competitions.lockForUpdate(m, competitionId);
      const worker = newWorker
        ? await this.findOrCreateWorker(m, newWorker)
        : await m.findOne(Worker, { where: { id: workerId ?? user.workerId! } });
      if (!worker) throw DomainError.notFound('worker', 'WORKER_NOT_FOUND');
      const outcome = await this.tryEnrol(m, await this.context(m, c), worker, organizerCall ? 'organizer' : 'self', user.id, !organizerCall);
      if (!outcome.ok) this.throwOutcome(outcome);
      return outcome.enrolment;
    });
    return toEnrolmentView(await this.get(e.id));
  }

  /** The worker with this ID number, or a new one. An ID number already registered under another name is refused. */
  async findOrCreateWorker(m: EntityManager, input: WorkerInput): Promise<Worker> {
    const hash = this.workers.lookupHash(input.idNumber);
    const existing = hash ? await m.findOne(Worker, { where: { idNumberHash: hash } }) : null;
    if (existing) {
      if (existing.name !== input.name.trim()) {
        throw new DomainError('rejected', 'WORKER_NAME_MISMATCH', 'this ID number belongs to a registered worker with another name');
      }
      return existing;
    }
    return this.workers.insert(m, input);
  }

  async get(id: string, m?: EntityManager): Promise<Enrolment> {
    const e = await (m ? m.findOne(Enrolment, { where: { id } }) : this.db.run((em) => em.findOne(Enrolment, { where: { id } })));
    if (!e) throw DomainError.notFound('enrolment', 'ENROLMENT_NOT_FOUND');
    return e;
  }

  /** Organizers of the competition see entries with full personal data (they review eligibility). */
  async list(user: AuthUser, competitionId: string, q: ListEnrolmentsQuery): Promise<Page<EnrolmentView>> {
    await this.competitions.getManaged(user, competitionId);
    const { take, skip } = pageParams(q);
    const [rows, total] = await this.db.run((m) =>
      m.findAndCount(Enrolment, {
        where: { competitionId, ...(q.status ? { status: q.status } : {}) },
        order: { bib: 'ASC', createdAt: 'ASC', id: 'ASC' },
        take,
        skip,
      }),
    );
    const workers = await this.db.run((m) => m.find(Worker, { where: { id: In(rows.map((r) => r.workerId)) } }));
    const employers = await this.orgs.many(workers.map((w) => w.employerOrgId));
    const views = await this.workers.views(workers, true);
    return {
      items: rows.map((e) => {
        const w = views.get(e.workerId)!;
        return {
          ...toEnrolmentView(e),
          worker: { id: w.id, name: w.name, idNumber: w.idNumber, gender: w.gender, birthDate: w.birthDate, phone: w.phone, employerOrgId: w.employerOrgId, employerName: employers.get(w.employerOrgId)?.name ?? null, trade: w.trade, skillLevel: w.skillLevel },
        };
      }),
      total,
    };
  }

  /** Loads an entry and its competition for a change by an organizer of the competition. */
  private async managed(user: AuthUser, id: string): Promise<{ e: Enrolment; c: Competition }> {
    const e = await this.get(id);
    const c = await this.competitions.getManaged(user, e.competitionId);
    return { e, c };
  }

  async decide(user: AuthUser, id: string, dto: DecisionDto): Promise<EnrolmentView> {
    await this.managed(user, id);
    if (dto.decision === 'reject' && !dto.reason?.trim()) throw DomainError.invalid('VALIDATION_FAILED', ['reason is required to reject an entry']);
    return this.db.transaction(async (m) => {
      const c = await this.competitions.lockForUpdate(m, (await this.get(id, m)).competitionId);
      const e = await this.get(id, m);
      if (!['enrolment_open', 'enrolment_closed'].includes(c.status)) throw DomainError.conflict('WRONG_STATE', `entries are decided while enrolment is open or closed; the competition is ${c.status}`);
      if (c.drawnAt) throw DomainError.conflict('BIBS_DRAWN', 'bib numbers are drawn: entries can no longer be approved or rejected');
      if (e.status !== 'pending') throw DomainError.conflict('NOT_PENDING', `only pending entries can be decided; this one is ${e.status}`);
      const before = snapshot(e);
      e.status = dto.decision === 'approve' ? 'approved' : 'rejected';
      e.reason = dto.reason?.trim() ?? null;
      e.decidedBy = user.id;
      e.decidedAt = new Date();
      await m.save(Enrolment, e);
      await this.audit.record(m, { actorId: user.id, action: `enrolment.${dto.decision}`, entityType: 'enrolment', entityId: e.id, before, after: snapshot(e) });
      return toEnrolmentView(e);
    });
  }

  async withdraw(user: AuthUser, id: string): Promise<EnrolmentView> {
    const e0 = await this.get(id);
    const owner = user.workerId === e0.workerId;
    if (!owner) await this.competitions.getManaged(user, e0.competitionId);
    return this.db.transaction(async (m) => {
      const c = await this.competitions.lockForUpdate(m, e0.competitionId);
      const e = await this.get(id, m);
      if (!BEFORE_START.includes(c.status)) throw DomainError.conflict('WRONG_STATE', `entries can be withdrawn only before the competition starts; it is ${c.status}`);
      if (!['pending', 'approved'].includes(e.status)) throw DomainError.conflict('NOT_WITHDRAWABLE', `this entry is ${e.status}`);
      const before = snapshot(e);
      e.status = 'withdrawn';
      await m.save(Enrolment, e);
      await this.audit.record(m, { actorId: user.id, action: 'enrolment.withdraw', entityType: 'enrolment', entityId: e.id, before, after: snapshot(e) });
      return toEnrolmentView(e);
    });
  }

  /** Absent (缺考) or disqualified (取消资格) with a reason; time used for the time tie-breaker. */
  async update(user: AuthUser, id: string, dto: UpdateEnrolmentDto): Promise<EnrolmentView> {
    // Organizers, and the chief judge on the day (缺考, 取消资格, time used).
    await this.competitions.getWithRole(user, (await this.get(id)).competitionId, ['organizer', 'chief_judge']);
    if (dto.status === undefined && dto.timeUsedSeconds === undefined) throw DomainError.invalid('VALIDATION_FAILED', ['give status or timeUsedSeconds']);
    if (dto.status && !dto.reason?.trim()) throw DomainError.invalid('VALIDATION_FAILED', [`reason is required to mark an entry ${dto.status}`]);
    const view = await this.db.transaction(async (m) => {
      const c = await this.competitions.lockForUpdate(m, (await this.get(id, m)).competitionId);
      const e = await this.get(id, m);
      if (!['enrolment_closed', 'in_progress'].includes(c.status)) throw DomainError.conflict('WRONG_STATE', `entries are marked while the competition is closed for enrolment or in progress; it is ${c.status}`);
      if (e.status !== 'approved' && !(dto.status === undefined && ['absent', 'disqualified'].includes(e.status))) {
        throw DomainError.conflict('NOT_APPROVED', `only approved entries can be marked; this one is ${e.status}`);
      }
      const before = snapshot(e);
      if (dto.status) {
        e.status = dto.status;
        e.reason = dto.reason!.trim();
      }
      if (dto.timeUsedSeconds !== undefined) e.timeUsedSeconds = dto.timeUsedSeconds;
      await m.save(Enrolment, e);
      await this.audit.record(m, { actorId: user.id, action: 'enrolment.update', entityType: 'enrolment', entityId: e.id, before, after: snapshot(e) });
      return toEnrolmentView(e);
    });
    // Absent, disqualified and time used move the ranking: tell every process, once the change is committed.
    const change: StandingsChange = { competitionId: view.competitionId, enrolmentIds: [view.id], reason: 'entry' };
    this.live.publish(STANDINGS_TOPIC, change);
    return view;
  }

  /** 抽签: bib numbers 1..N for the approved entries by a seeded random permutation; redrawing is allowed until the start. */
  async draw(user: AuthUser, competitionId: string, dto: DrawDto) {
    await this.competitions.getManaged(user, competitionId);
    const seed = dto.seed ?? randomBytes(16).toString('hex');
    return this.db.transaction(async (m) => {
      const c = await this.competitions.lockForUpdate(m, competitionId);
      if (c.status !== 'enrolment_closed') {
        throw DomainError.conflict('WRONG_STATE', c.status === 'in_progress' || c.drawnAt ? `the draw is closed: the competition is ${c.status}` : `the draw is made after enrolment closes; the competition is ${c.status}`);
      }
      const approved = await m.find(Enrolment, { where: { competitionId, status: 'approved' }, select: { id: true } });
      const bibs = drawBibs(approved.map((e) => e.id), seed);
      // Clear any earlier draw first, so the unique (competition, bib) key never sees two entries with one bib.
      await m.update(Enrolment, { competitionId, bib: Not(IsNull()) }, { bib: null, station: null });
      for (const [id, bib] of bibs) await m.update(Enrolment, { id }, { bib, station: String(bib) });
      const drawnAt = new Date();
      await m.update(Competition, { id: competitionId }, { drawSeed: seed, drawnAt });
      const entries = [...bibs].map(([enrolmentId, bib]) => ({ enrolmentId, bib, station: String(bib) })).sort((a, b) => a.bib - b.bib);
      await this.audit.record(m, { actorId: user.id, action: 'competition.draw', entityType: 'competition', entityId: competitionId, before: { drawSeed: c.drawSeed, drawnAt: c.drawnAt }, after: { drawSeed: seed, drawnAt, entries } });
      return { seed, drawnAt: drawnAt.toISOString(), entries };
    });
  }
}
