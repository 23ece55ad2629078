import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager, In } from 'typeorm';
import { AuthUser, hasRole } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { Db } from '../../database/db.service';
import { AuditService } from '../audit/audit.service';
import { Competition } from '../competitions/competition.entity';
import { CompetitionRole, CompetitionsService } from '../competitions/competitions.service';
import { Enrolment } from '../enrolment/enrolment.entity';
import { User } from '../identity/user.entity';
import { Worker } from '../identity/worker.entity';
import { LiveEventsService } from '../queue/live-events.service';
import { fromHundredths, toHundredths } from './domain/arithmetic';
import { AssignJudgeDto, DeclareConflictDto, MarkDto, PenaltyDto, SubmitMarksDto } from './dto/judging.dto';
import { JudgeAssignment } from './judge-assignment.entity';
import { JudgeConflict } from './judge-conflict.entity';
import { Panel, PanelService } from './panel.service';
import { EntryScore, MarkReceipt, Penalty, Score, ScoreRevision } from './score.entity';

export type MarkRejection =
  | 'not_assigned'
  | 'conflict_of_interest'
  | 'out_of_range'
  | 'too_many_decimals'
  | 'wrong_state'
  | 'unknown_entry'
  | 'unknown_criterion'
  | 'not_competing'
  | 'reason_required'
  | 'not_chief'
  | 'client_id_reused';

/** Topic of the live event published after marks or penalties change an entry's standing. */
export const STANDINGS_TOPIC = 'standings';

@Injectable()
export class JudgingService implements OnModuleInit {
  constructor(
    private readonly db: Db,
    private readonly competitions: CompetitionsService,
    private readonly panels: PanelService,
    private readonly audit: AuditService,
    private readonly live: LiveEventsService,
  ) {}

  onModuleInit(): void {
    this.competitions.registerRoleProvider(async (user, c) => {
      if (!hasRole(user, 'judge')) return [];
      const a = await this.db.run((m) => m.findOne(JudgeAssignment, { where: { competitionId: c.id, userId: user.id } }));
      return a ? (a.chief ? ['judge', 'chief_judge'] : ['judge']) : [];
    });
    // Locking scores (成绩复核) needs every approved entry fully scored by non-recused judges.
    this.competitions.registerFactsProvider(async (m, c, to) => {
      if (to !== 'scores_locked') return {};
      const rows = await m
        .createQueryBuilder(Enrolment, 'e')
        .leftJoin(EntryScore, 's', 's.enrolment_id = e.id')
        .select(['e.id AS id', 'e.bib AS bib', 's.complete AS complete'])
        .where('e.competition_id = :id', { id: c.id })
        .andWhere("e.status = 'approved'")
        .getRawMany<{ id: string; bib: number | null; complete: unknown }>();
      const incomplete = rows.filter((r) => !(r.complete === true || r.complete === 1 || r.complete === '1'));
      return { incompleteEntries: { count: incomplete.length, bibs: incomplete.map((r) => r.bib).filter((b): b is number => b !== null).sort((a, b) => a - b) } };
    });
  }

  // ── panel ──────────────────────────────────────────────────────────────────

  async assign(user: AuthUser, competitionId: string, dto: AssignJudgeDto) {
    const c = await this.competitions.getManaged(user, competitionId);
    if (['finalized', 'cancelled'].includes(c.status)) throw DomainError.conflict('WRONG_STATE', `judges cannot be assigned to a ${c.status} competition`);
    const judge = await this.db.run((m) => m.findOne(User, { where: { id: dto.userId } }));
    if (!judge) throw new DomainError('rejected', 'USER_NOT_FOUND', `userId: user ${dto.userId} does not exist`);
    if (!judge.roles.includes('judge')) throw new DomainError('rejected', 'NOT_A_JUDGE', 'userId: the user does not hold the judge role');
    if (dto.criteria) {
      const known = new Set((c.scoring?.sections ?? []).flatMap((s) => s.criteria.map((k) => k.key)));
      const unknown = dto.criteria.filter((k) => !known.has(k));
      if (unknown.length) throw DomainError.invalid('VALIDATION_FAILED', unknown.map((k) => `criteria: "${k}" is not a criterion of this competition`));
    }
    const row = await this.db.transaction(async (m) => {
      if (await m.exists(JudgeAssignment, { where: { competitionId, userId: dto.userId } })) {
        throw DomainError.conflict('ALREADY_ASSIGNED', 'this judge is already on the panel of this competition');
      }
      const a = m.create(JudgeAssignment, { id: randomUUID(), competitionId, userId: dto.userId, criteria: dto.criteria ?? null, chief: dto.chief ?? false });
      await m.insert(JudgeAssignment, a as never);
      await this.audit.record(m, { actorId: user.id, action: 'judge.assign', entityType: 'competition', entityId: competitionId, after: { userId: a.userId, criteria: a.criteria, chief: a.chief } });
      await this.recomputeCompetition(m, c);
      return a;
    });
    this.panelChanged(competitionId);
    return { id: row.id, competitionId, userId: row.userId, criteria: row.criteria, chief: row.chief };
  }

  async judges(user: AuthUser, competitionId: string) {
    await this.competitions.getWithRole(user, competitionId, ['organizer', 'chief_judge']);
    const rows = await this.db.run((m) => m.find(JudgeAssignment, { where: { competitionId }, order: { createdAt: 'ASC' } }));
    const users = await this.db.run((m) => m.find(User, { where: { id: In(rows.map((r) => r.userId)) } }));
    const names = new Map(users.map((u) => [u.id, u.displayName]));
    return rows.map((r) => ({ id: r.id, userId: r.userId, displayName: names.get(r.userId) ?? null, criteria: r.criteria, chief: r.chief }));
  }

  async declareConflict(user: AuthUser, competitionId: string, dto: DeclareConflictDto) {
    const c = await this.competitions.getManaged(user, competitionId);
    const worker = await this.db.run((m) => m.findOne(Worker, { where: { id: dto.workerId } }));
    if (!worker) throw new DomainError('rejected', 'WORKER_NOT_FOUND', `workerId: worker ${dto.workerId} does not exist`);
    const row = await this.db.transaction(async (m) => {
      if (await m.exists(JudgeConflict, { where: { competitionId, judgeUserId: dto.judgeUserId, workerId: dto.workerId } })) {
        throw DomainError.conflict('ALREADY_DECLARED', 'this conflict is already declared');
      }
      const conflict = { id: randomUUID(), competitionId, judgeUserId: dto.judgeUserId, workerId: dto.workerId, reason: dto.reason ?? null, createdBy: user.id };
      await m.insert(JudgeConflict, conflict);
      await this.audit.record(m, { actorId: user.id, action: 'judge.conflict', entityType: 'competition', entityId: competitionId, after: { judgeUserId: dto.judgeUserId, workerId: dto.workerId, reason: conflict.reason } });
      await this.recomputeCompetition(m, c);
      return conflict;
    });
    this.panelChanged(competitionId);
    return row;
  }

  private panelChanged(competitionId: string): void {
    this.panels.invalidate(competitionId);
    this.live.publish(STANDINGS_TOPIC, { competitionId, reason: 'panel' });
  }

  /** Marks from judges who are no longer assigned or now recused stop counting: recompute every entry. */
  private async recomputeCompetition(m: EntityManager, c: Competition): Promise<void> {
    this.panels.forget(c.id);
    const ids = (await m.find(Score, { where: { competitionId: c.id }, select: { enrolmentId: true } })).map((s) => s.enrolmentId);
    await this.panels.recompute(m, c, [...new Set(ids)]);
  }

  async myAssignments(user: AuthUser) {
    const rows = await this.db.run((m) => m.find(JudgeAssignment, { where: { userId: user.id }, order: { createdAt: 'DESC' } }));
    const comps = await this.db.run((m) => m.find(Competition, { where: { id: In(rows.map((r) => r.competitionId)) } }));
    const byId = new Map(comps.map((c) => [c.id, c]));
    return rows
      .filter((r) => byId.get(r.competitionId)?.status !== 'draft')
      .map((r) => {
        const c = byId.get(r.competitionId)!;
        return { competitionId: c.id, title: c.title, status: c.status, startsAt: c.startsAt?.toISOString() ?? null, criteria: r.criteria, chief: r.chief };
      });
  }

  // ── the blind sheet ────────────────────────────────────────────────────────

  /** 盲评: bib, station, my criteria and my marks — no names, ID numbers or organizations. */
  async sheet(user: AuthUser, competitionId: string) {
    const { competition: c } = await this.competitions.getWithRole(user, competitionId, ['judge']);
    return this.db.run(async (m) => {
      const panel = await this.panels.panel(m, competitionId);
      const mine = panel.assignments.get(user.id)!;
      const criteria = (c.scoring?.sections ?? []).flatMap((s) =>
        s.criteria.filter((k) => !mine.criteria || mine.criteria.includes(k.key)).map((k) => ({ key: k.key, name: k.name, section: s.key, maxScore: k.maxScore, type: k.type })),
      );
      const entries = await m.find(Enrolment, { where: { competitionId, status: 'approved' }, order: { bib: 'ASC' }, select: { id: true, bib: true, station: true, status: true } });
      const facts = await this.panels.entryFacts(m, entries.map((e) => e.id));
      const marks = await m.find(Score, { where: { competitionId, judgeUserId: user.id }, select: { enrolmentId: true, criterionKey: true, value: true } });
      const myMarks = new Map<string, Record<string, number>>();
      for (const s of marks) {
        const rec = myMarks.get(s.enrolmentId) ?? {};
        rec[s.criterionKey] = fromHundredths(s.value);
        myMarks.set(s.enrolmentId, rec);
      }
      return {
        competitionId,
        status: c.status,
        chief: mine.chief,
        criteria,
        contestants: entries
          .filter((e) => e.bib !== null)
          .map((e) => ({
            enrolmentId: e.id,
            bib: e.bib,
            station: e.station,
            markable: !this.panels.recused(panel, user.id, facts.get(e.id)!),
            marks: myMarks.get(e.id) ?? {},
          })),
      };
    });
  }

  // ── marks ──────────────────────────────────────────────────────────────────

  /**
   * A batch of marks from a tablet. Each is accepted or rejected on its own; an accepted clientId is
   * remembered, so a replayed batch (the tablet lost the answer) changes nothing and answers the same.
   */
  async submit(user: AuthUser, competitionId: string, dto: SubmitMarksDto) {
    const { roles } = await this.competitions.getWithRole(user, competitionId, ['judge']);
    const chief = roles.has('chief_judge');
    const accepted: string[] = [];
    const rejected: Array<{ clientId: string; reason: MarkRejection }> = [];
    const changed = await this.db.transaction(async (m) => {
      const c = await m.findOneOrFail(Competition, { where: { id: competitionId } });
      const panel = await this.panels.panel(m, competitionId);
      const criteria = new Map((c.scoring?.sections ?? []).flatMap((s) => s.criteria.map((k) => [k.key, k] as const)));
      const touched = new Set<string>();
      for (const mark of dto.marks) {
        const outcome = await this.applyMark(m, c, panel, criteria, user, chief, mark);
        if (outcome === 'replayed' || outcome === 'unchanged') accepted.push(mark.clientId);
        else if (typeof outcome === 'object') {
          accepted.push(mark.clientId);
          touched.add(outcome.enrolmentId);
        } else rejected.push({ clientId: mark.clientId, reason: outcome });
      }
      await this.panels.recompute(m, c, [...touched]);
      return [...touched];
    });
    if (changed.length) this.live.publish(STANDINGS_TOPIC, { competitionId, enrolmentIds: changed, reason: 'marks' });
    return { accepted, rejected };
  }

  private async applyMark(
    m: EntityManager,
    c: Competition,
    panel: Panel,
    criteria: Map<string, { maxScore: number }>,
    user: AuthUser,
    chief: boolean,
    mark: MarkDto,
  ): Promise<MarkRejection | 'replayed' | 'unchanged' | { enrolmentId: string }> {
    const receipt = await m.findOne(MarkReceipt, { where: { judgeUserId: user.id, clientId: mark.clientId } });
    const value = toHundredths(mark.value);
    if (receipt) {
      const same = receipt.criterionKey === mark.criterion && receipt.value === value && (!mark.enrolmentId || receipt.enrolmentId === mark.enrolmentId);
      return same ? 'replayed' : 'client_id_reused';
    }
    const entry = mark.enrolmentId
      ? await m.findOne(Enrolment, { where: { id: mark.enrolmentId, competitionId: c.id } })
      : mark.bib !== undefined
        ? await m.findOne(Enrolment, { where: { bib: mark.bib, competitionId: c.id } })
        : null;
    if (!entry) return 'unknown_entry';
    if (entry.status !== 'approved' || entry.bib === null) return 'not_competing';
    const criterion = criteria.get(mark.criterion);
    if (!criterion) return 'unknown_criterion';
    const locked = c.status === 'scores_locked';
    if (c.status !== 'in_progress' && !(locked && chief)) return 'wrong_state';
    if (locked && !mark.reason?.trim()) return 'reason_required';
    const judgeId = mark.judgeId ?? user.id;
    if (judgeId !== user.id && !chief) return 'not_chief';
    const facts = (await this.panels.entryFacts(m, [entry.id])).get(entry.id)!;
    const may = this.panels.mayMark(panel, judgeId, mark.criterion, facts);
    if (may !== 'ok') return may;
    if (value === null) return 'too_many_decimals';
    if (value < 0 || value > Math.round(criterion.maxScore * 100)) return 'out_of_range';

    const existing = await m.findOne(Score, { where: { enrolmentId: entry.id, criterionKey: mark.criterion, judgeUserId: judgeId } });
    await m.insert(MarkReceipt, { judgeUserId: user.id, clientId: mark.clientId, enrolmentId: entry.id, criterionKey: mark.criterion, value });
    if (existing && existing.value === value) return 'unchanged';
    const now = new Date();
    let scoreId: string;
    if (existing) {
      scoreId = existing.id;
      await m.update(Score, { id: existing.id }, { value, clientId: mark.clientId, updatedAt: now });
      await this.audit.record(m, {
        actorId: user.id,
        action: 'score.change',
        entityType: 'enrolment',
        entityId: entry.id,
        before: { criterion: mark.criterion, judgeId, value: fromHundredths(existing.value) },
        after: { criterion: mark.criterion, judgeId, value: mark.value, reason: mark.reason ?? null, competitionStatus: c.status },
      });
    } else {
      scoreId = randomUUID();
      await m.insert(Score, { id: scoreId, competitionId: c.id, enrolmentId: entry.id, criterionKey: mark.criterion, judgeUserId: judgeId, value, clientId: mark.clientId });
    }
    await m.insert(ScoreRevision, {
      id: randomUUID(),
      scoreId,
      competitionId: c.id,
      enrolmentId: entry.id,
      criterionKey: mark.criterion,
      oldValue: existing?.value ?? null,
      newValue: value,
      reason: mark.reason?.trim() ?? null,
      byUserId: user.id,
      clientId: mark.clientId,
      at: now,
    });
    return { enrolmentId: entry.id };
  }

  /** Every value a mark of this entry has had, for organizers and the chief judge. */
  async revisions(user: AuthUser, enrolmentId: string) {
    const e = await this.db.run((m) => m.findOne(Enrolment, { where: { id: enrolmentId } }));
    if (!e) throw DomainError.notFound('enrolment', 'ENROLMENT_NOT_FOUND');
    await this.competitions.getWithRole(user, e.competitionId, ['organizer', 'chief_judge']);
    const rows = await this.db.run((m) => m.find(ScoreRevision, { where: { enrolmentId }, order: { at: 'ASC' } }));
    const scores = await this.db.run((m) => m.find(Score, { where: { id: In([...new Set(rows.map((r) => r.scoreId))]) }, select: { id: true, judgeUserId: true } }));
    const judgeOf = new Map(scores.map((s) => [s.id, s.judgeUserId]));
    return rows.map((r) => ({
      criterion: r.criterionKey,
      judgeId: judgeOf.get(r.scoreId) ?? null,
      oldValue: r.oldValue === null ? null : fromHundredths(r.oldValue),
      newValue: fromHundredths(r.newValue),
      reason: r.reason,
      byUserId: r.byUserId,
      at: r.at.toISOString(),
    }));
  }

  // ── penalties ──────────────────────────────────────────────────────────────

  /** 扣分 by the chief judge, with a reason; the entry's standing follows at once. */
  async penalty(user: AuthUser, competitionId: string, dto: PenaltyDto) {
    await this.competitions.getWithRole(user, competitionId, ['chief_judge']);
    const points = toHundredths(dto.points);
    if (points === null) throw DomainError.invalid('VALIDATION_FAILED', ['points may have at most two decimals']);
    if (points <= 0 || points > 10000) throw DomainError.invalid('VALIDATION_FAILED', ['points must be greater than 0 and at most 100']);
    const row = await this.db.transaction(async (m) => {
      const c = await m.findOneOrFail(Competition, { where: { id: competitionId } });
      if (!['in_progress', 'scores_locked'].includes(c.status)) throw DomainError.conflict('WRONG_STATE', `penalties are recorded while the competition is in progress or its scores are locked; it is ${c.status}`);
      const e = await m.findOne(Enrolment, { where: { id: dto.enrolmentId, competitionId } });
      if (!e) throw new DomainError('rejected', 'ENROLMENT_NOT_FOUND', `enrolmentId: no entry ${dto.enrolmentId} in this competition`);
      if (e.status !== 'approved') throw DomainError.conflict('NOT_COMPETING', `this entry is ${e.status}`);
      const p = { id: randomUUID(), competitionId, enrolmentId: e.id, points, reason: dto.reason.trim(), byUserId: user.id };
      await m.insert(Penalty, p);
      await this.audit.record(m, { actorId: user.id, action: 'penalty.create', entityType: 'enrolment', entityId: e.id, after: { points: dto.points, reason: p.reason } });
      await this.panels.recompute(m, c, [e.id]);
      return p;
    });
    this.live.publish(STANDINGS_TOPIC, { competitionId, enrolmentIds: [row.enrolmentId], reason: 'penalty' });
    return { id: row.id, enrolmentId: row.enrolmentId, points: dto.points, reason: row.reason };
  }
}

export type { CompetitionRole };
