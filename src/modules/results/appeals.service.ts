import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuthUser } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { isUniqueViolation } from '../../common/errors/unique-violation';
import { Page, pageParams } from '../../common/pagination';
import { Db } from '../../database/db.service';
import { AuditService } from '../audit/audit.service';
import { CompetitionsService } from '../competitions/competitions.service';
import { Enrolment } from '../enrolment/enrolment.entity';
import { JudgingService } from '../scoring/judging.service';
import { Appeal } from './appeal.entity';
import { AppealView, DecideAppealDto, FileAppealDto, ListAppealsQuery, PageQuery } from './dto/results.dto';

/** Entries that may appeal: those that took part (an absent or disqualified contestant may dispute it). */
const APPEALABLE_ENTRIES = ['approved', 'absent', 'disqualified'];

export function toAppealView(a: Appeal): AppealView {
  return {
    id: a.id,
    competitionId: a.competitionId,
    enrolmentId: a.enrolmentId,
    workerId: a.workerId,
    filedBy: a.filedBy,
    reason: a.reason,
    status: a.status,
    resolution: a.resolution,
    decidedBy: a.decidedBy,
    decidedAt: a.decidedAt?.toISOString() ?? null,
    createdAt: a.createdAt.toISOString(),
  };
}

/**
 * 申诉 during the notice period (`published`): the contestant files, an organizer of the competition
 * upholds or dismisses. An upheld appeal reopens that entry for the chief judge (JudgingService asks
 * this service which entries are reopened); the results follow the changed marks (ResultsService).
 * Finalizing waits until no appeal is open.
 */
@Injectable()
export class AppealsService implements OnModuleInit {
  constructor(
    private readonly db: Db,
    private readonly competitions: CompetitionsService,
    private readonly judging: JudgingService,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.judging.registerReopenedEntriesProvider((m, competitionId) => this.reopened(m, competitionId));
    this.competitions.registerFactsProvider(async (m, c, to) => (to === 'finalized' ? { openAppeals: await m.count(Appeal, { where: { competitionId: c.id, status: 'open' } }) } : {}));
  }

  /** Entries with an upheld appeal: their marks and penalties stay open to the chief judge while published. */
  async reopened(m: EntityManager, competitionId: string): Promise<string[]> {
    const rows = await m.find(Appeal, { where: { competitionId, status: 'upheld' }, select: { enrolmentId: true } });
    return [...new Set(rows.map((r) => r.enrolmentId))];
  }

  private async entry(id: string, m?: EntityManager): Promise<Enrolment> {
    const e = await (m ? m.findOne(Enrolment, { where: { id } }) : this.db.run((em) => em.findOne(Enrolment, { where: { id } })));
    if (!e) throw DomainError.notFound('enrolment', 'ENROLMENT_NOT_FOUND');
    return e;
  }

  /**
   * Only the contestant files. An organizer of the competition (who can see the entry) gets 403; anyone
   * else gets 404, as for what they may not see.
   */
  async file(user: AuthUser, enrolmentId: string, dto: FileAppealDto): Promise<AppealView> {
    const e0 = await this.entry(enrolmentId);
    if (!user.workerId || user.workerId !== e0.workerId) {
      const c = await this.competitions.getEntity(e0.competitionId);
      const roles = await this.competitions.rolesOf(user, c);
      if (roles.has('organizer')) throw DomainError.forbidden('only the contestant may appeal against their result', 'NOT_CONTESTANT');
      throw DomainError.notFound('enrolment', 'ENROLMENT_NOT_FOUND');
    }
    try {
      return await this.db.transaction(async (m) => {
        // Locked against a concurrent finalize: it either sees this appeal open or this sees it finalized.
        const c = await this.competitions.lockForUpdate(m, e0.competitionId);
        if (c.status !== 'published') throw DomainError.conflict('WRONG_STATE', `appeals are filed during the notice period, while results are published; the competition is ${c.status}`);
        const e = await this.entry(enrolmentId, m);
        if (!APPEALABLE_ENTRIES.includes(e.status)) throw DomainError.conflict('NOT_COMPETING', `this entry is ${e.status}: only contestants who took part may appeal`);
        if (await m.exists(Appeal, { where: { openEnrolmentId: e.id } })) throw appealOpen();
        const a: Appeal = {
          id: randomUUID(),
          competitionId: c.id,
          enrolmentId: e.id,
          workerId: e.workerId,
          filedBy: user.id,
          reason: dto.reason,
          status: 'open',
          resolution: null,
          decidedBy: null,
          decidedAt: null,
          openEnrolmentId: e.id,
        } as Appeal;
        await m.insert(Appeal, a);
        await this.audit.record(m, { actorId: user.id, action: 'appeal.file', entityType: 'appeal', entityId: a.id, after: { competitionId: c.id, enrolmentId: e.id, reason: a.reason } });
        return toAppealView((await m.findOne(Appeal, { where: { id: a.id } }))!);
      });
    } catch (err) {
      // Two filings racing (PostgreSQL): the unique open-appeal key refuses the second.
      if (isUniqueViolation(err)) throw appealOpen();
      throw err;
    }
  }

  /** An organizer of the competition upholds or dismisses an open appeal, with a resolution; audited. */
  async decide(user: AuthUser, appealId: string, dto: DecideAppealDto): Promise<AppealView> {
    const a0 = await this.db.run((m) => m.findOne(Appeal, { where: { id: appealId } }));
    if (!a0) throw DomainError.notFound('appeal', 'APPEAL_NOT_FOUND');
    await this.competitions.getManaged(user, a0.competitionId);
    return this.db.transaction(async (m) => {
      const c = await this.competitions.lockForUpdate(m, a0.competitionId);
      const a = (await m.findOne(Appeal, { where: { id: appealId } }))!;
      if (a.status !== 'open') throw DomainError.conflict('APPEAL_DECIDED', `this appeal is already decided (${a.status})`);
      if (c.status !== 'published') throw DomainError.conflict('WRONG_STATE', `appeals are decided while results are published; the competition is ${c.status}`);
      const before = { status: a.status };
      a.status = dto.decision;
      a.resolution = dto.resolution;
      a.decidedBy = user.id;
      a.decidedAt = new Date();
      a.openEnrolmentId = null;
      await m.save(Appeal, a);
      await this.audit.record(m, {
        actorId: user.id,
        action: `appeal.${dto.decision === 'upheld' ? 'uphold' : 'dismiss'}`,
        entityType: 'appeal',
        entityId: a.id,
        before,
        after: { status: a.status, resolution: a.resolution, enrolmentId: a.enrolmentId },
      });
      return toAppealView(a);
    });
  }

  /** Organizers of the competition: its appeals, oldest first, optionally by status. */
  async listForCompetition(user: AuthUser, competitionId: string, q: ListAppealsQuery): Promise<Page<AppealView>> {
    await this.competitions.getManaged(user, competitionId);
    const { take, skip } = pageParams(q);
    const [rows, total] = await this.db.run((m) =>
      m.findAndCount(Appeal, { where: { competitionId, ...(q.status ? { status: q.status } : {}) }, order: { createdAt: 'ASC', id: 'ASC' }, take, skip }),
    );
    return { items: rows.map(toAppealView), total };
  }

  /** The contestant and organizers of the competition: the appeals of one entry. */
  async listForEntry(user: AuthUser, enrolmentId: string, q: PageQuery): Promise<Page<AppealView>> {
    const e = await this.entry(enrolmentId);
    if (user.workerId !== e.workerId) {
      const c = await this.competitions.getEntity(e.competitionId);
      if (!(await this.competitions.rolesOf(user, c)).has('organizer')) throw DomainError.notFound('enrolment', 'ENROLMENT_NOT_FOUND');
    }
    const { take, skip } = pageParams(q);
    const [rows, total] = await this.db.run((m) => m.findAndCount(Appeal, { where: { enrolmentId }, order: { createdAt: 'ASC', id: 'ASC' }, take, skip }));
    return { items: rows.map(toAppealView), total };
  }
}

const appealOpen = () => DomainError.conflict('APPEAL_OPEN', 'this entry already has an open appeal; wait for its decision');
