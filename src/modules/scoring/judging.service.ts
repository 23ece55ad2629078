import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { EntityManager, In } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';
import { AuthUser, hasRole } from '../../common/auth/auth-user';
import { DomainError } from '../../common/errors/domain-error';
import { isUniqueViolation } from '../../common/errors/unique-violation';
import { Db } from '../../database/db.service';
import { chunked, paddedToPowerOfTwo, powerOfTwoChunks } from '../../database/statement-shapes';
import { AuditService } from '../audit/audit.service';
import { Competition } from '../competitions/competition.entity';
import { CompetitionRole, CompetitionsService } from '../competitions/competitions.service';
import { Enrolment } from '../enrolment/enrolment.entity';
import { User } from '../identity/user.entity';
import { Worker } from '../identity/worker.entity';
import { LiveEventsService } from '../queue/live-events.service';
import { STANDINGS_TOPIC } from '../queue/live-topics';
import { fromHundredths, toHundredths } from './domain/arithmetic';
import { incompleteEntries } from './domain/completeness';
import { AssignJudgeDto, DeclareConflictDto, MarkDto, PenaltyDto, SubmitMarksDto } from './dto/judging.dto';
import { JudgeAssignment } from './judge-assignment.entity';
import { JudgeConflict } from './judge-conflict.entity';
import { EntryFacts, Panel, PanelService, placeholders, sql } from './panel.service';
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

/** Topic of the live event published after marks or penalties change an entry's standing (defined in queue/live-topics.ts). */
export { STANDINGS_TOPIC };

@Injectable()
export class JudgingService implements OnModuleInit {
  /** Parsed scoring schemes by competition, with the text they were parsed from (read-only: shared between batches). */
  private readonly schemes = new Map<string, { text: string | null; scoring: Competition['scoring'] }>();
  /** Entries reopened for the chief judge while results are `published` (an upheld appeal); from the results module. */
  private readonly reopenedProviders: ReopenedEntriesProvider[] = [];
  /** Told inside the transaction when marks or penalties changed while `published` (results recomputes its provisional rows). */
  private readonly publishedChangeListeners: PublishedScoresListener[] = [];
  /** Mark submissions waiting for the next group commit (SQLite), in arrival order. */
  private readonly waiting: WaitingRequest[] = [];
  /** A group is scheduled or running: it takes whatever waits when it starts. */
  private draining = false;
  /** Group commits so far (SQLite): how many transactions applied how many requests; for tests and benchmarks. */
  readonly groupCommits = { groups: 0, requests: 0, fallbacks: 0 };

  constructor(
    private readonly db: Db,
    private readonly competitions: CompetitionsService,
    private readonly panels: PanelService,
    private readonly audit: AuditService,
    private readonly live: LiveEventsService,
  ) {}

  registerReopenedEntriesProvider(p: ReopenedEntriesProvider): void {
    this.reopenedProviders.push(p);
  }

  registerPublishedScoresListener(l: PublishedScoresListener): void {
    this.publishedChangeListeners.push(l);
  }

  private async reopenedEntries(m: EntityManager, c: Competition): Promise<Set<string>> {
    const out = new Set<string>();
    if (c.status !== 'published') return out;
    for (const p of this.reopenedProviders) for (const id of await p(m, c.id)) out.add(id);
    return out;
  }

  private async afterPublishedChange(m: EntityManager, c: Competition, enrolmentIds: string[], actorId: string | null): Promise<void> {
    if (c.status !== 'published' || enrolmentIds.length === 0) return;
    for (const l of this.publishedChangeListeners) await l(m, c, enrolmentIds, actorId);
  }

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
      const entries = rows.map((r) => ({ enrolmentId: r.id, bib: r.bib === null ? null : Number(r.bib), complete: r.complete === true || r.complete === 1 || r.complete === '1' }));
      return { incompleteEntries: incompleteEntries(entries) };
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
      // Marks in flight finish first, and later ones see the new panel (they share-lock the competition).
      await this.competitions.lockForUpdate(m, competitionId);
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
      await this.competitions.lockForUpdate(m, competitionId);
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
    await this.panels.recomputeAll(m, c);
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
      const panel = await this.panels.panel(m, competitionId, user.id);
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
   *
   * On SQLite (one connection, every access serialized) concurrent submissions are committed in
   * groups: the requests that arrive within one turn of the event loop wait for the next group, which
   * applies them in arrival order in one transaction, each answered on its own — exactly as if they
   * had run one after the other (see applyRequests). On PostgreSQL each request has its own transaction.
   */
  async submit(user: AuthUser, competitionId: string, dto: SubmitMarksDto): Promise<MarkAnswer> {
    const req: MarkRequest = { user, competitionId, marks: dto.marks };
    // A caller already inside a transaction (or holding the SQLite lock) cannot wait for a group.
    if (this.db.kind === 'sqlite' && !this.db.inside) return this.enqueue(req);
    const { accepted, rejected, changed } = await retryOnRace(() => this.db.transaction(async (m) => settledValue((await this.applyRequests(m, [req]))[0])));
    if (changed.length) this.live.publish(STANDINGS_TOPIC, { competitionId, enrolmentIds: changed, reason: 'marks' });
    return { accepted, rejected };
  }

  // ── group commit (SQLite) ──────────────────────────────────────────────────

  private enqueue(req: MarkRequest): Promise<MarkAnswer> {
    return new Promise<MarkAnswer>((resolve, reject) => {
      this.waiting.push({ req, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // setImmediate, not a microtask: the other requests read in this turn of the event loop reach
      // submit before the group starts, and join it.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length) {
        let n = 0;
        let marks = 0;
        while (n < this.waiting.length && (n === 0 || marks + this.waiting[n].req.marks.length <= GROUP_MAX_MARKS)) marks += this.waiting[n++].req.marks.length;
        await this.commitGroup(this.waiting.splice(0, n));
      }
    } finally {
      this.draining = false;
    }
  }

  /** Applies a group in one transaction; should that fail, each of its requests alone, as without grouping. */
  private async commitGroup(group: WaitingRequest[]): Promise<void> {
    let settled: Settled[] | undefined;
    this.groupCommits.groups++;
    this.groupCommits.requests += group.length;
    try {
      settled = await this.db.transaction((m) => this.applyRequests(m, group.map((g) => g.req)));
    } catch (e) {
      if (group.length === 1) return group[0].reject(e);
    }
    if (!settled) {
      this.groupCommits.fallbacks++;
      settled = [];
      for (const g of group) {
        try {
          settled.push(...(await this.db.transaction((m) => this.applyRequests(m, [g.req]))));
        } catch (e) {
          settled.push({ error: e });
        }
      }
    }
    // One live event per competition for the whole group (SSE subscribers and other processes).
    const changed = new Map<string, Set<string>>();
    settled.forEach((s, i) => {
      if (!('ok' in s) || s.ok.changed.length === 0) return;
      const id = group[i].req.competitionId;
      let set = changed.get(id);
      if (!set) changed.set(id, (set = new Set()));
      for (const e of s.ok.changed) set.add(e);
    });
    for (const [competitionId, ids] of changed) this.live.publish(STANDINGS_TOPIC, { competitionId, enrolmentIds: [...ids], reason: 'marks' });
    settled.forEach((s, i) => ('ok' in s ? group[i].resolve({ accepted: s.ok.accepted, rejected: s.ok.rejected }) : group[i].reject(s.error)));
  }

  /**
   * The caller's roles in the competition, as CompetitionsService.getWithRole finds them for ['judge']:
   * outside a draft only judge and chief judge matter, and they come from the cached panel when it
   * holds the caller (assignments are only ever added, and every change drops the cache).
   */
  private async judgeRoles(m: EntityManager, user: AuthUser, c: Competition): Promise<Set<CompetitionRole>> {
    if (c.status === 'draft') return this.competitions.rolesOf(user, c);
    const roles = new Set<CompetitionRole>();
    if (!hasRole(user, 'judge')) return roles;
    const a =
      this.panels.cachedAssignment(c.id, user.id) ??
      (await sql<{ chief: boolean | number }>(m, 'SELECT chief FROM judge_assignments WHERE competition_id = ? AND user_id = ?', [c.id, user.id]))[0];
    if (a) {
      roles.add('judge');
      if (a.chief === true || a.chief === 1) roles.add('chief_judge');
    }
    return roles;
  }

  /**
   * Applies submissions, in order, inside one transaction, with the outcome of each request exactly
   * as if each had run alone, one after the other: a request refused as a whole (404/403) gets its
   * error and changes nothing; every mark sees the receipts and marks of the requests before it.
   * Reads are done once for all of them and writes are collected and flushed together: a tablet may
   * send hundreds of marks at once, and a group holds many requests. A request that changes a
   * `published` competition (a reopened entry) is flushed at once and its listeners told, as alone.
   *
   * Concurrency (PostgreSQL, one request per transaction; SQLite is serialized): the competition row
   * is share-locked first, so a lifecycle move (which locks it for update) waits for marks in flight
   * and marks wait for it; then the entries are locked by id (PanelService.lockEntries), so two
   * batches touching one entry (two judges, or a tablet resending while the first is in flight) run
   * one after the other, and the later one recomputes the standing from every committed mark.
   */
  private async applyRequests(m: EntityManager, reqs: MarkRequest[]): Promise<Settled[]> {
    const settled: Settled[] = new Array<Settled>(reqs.length);
    // The competition and the caller's roles, per request: a refusal is that request's answer alone.
    const competitions = new Map<string, Competition | DomainError>();
    const admitted: Array<{ i: number; req: MarkRequest; c: Competition; chief: boolean }> = [];
    for (let i = 0; i < reqs.length; i++) {
      const req = reqs[i];
      try {
        let c = competitions.get(req.competitionId);
        if (!c) {
          try {
            c = await this.markingCompetition(m, req.competitionId);
          } catch (e) {
            if (!(e instanceof DomainError)) throw e;
            c = e;
          }
          competitions.set(req.competitionId, c);
        }
        if (c instanceof DomainError) throw c;
        const roles = await this.judgeRoles(m, req.user, c);
        this.competitions.assertRoles(c, roles, ['judge']);
        admitted.push({ i, req, c, chief: roles.has('chief_judge') });
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        settled[i] = { error: e };
      }
    }
    if (admitted.length === 0) return settled;

    // The entries they name, per competition, with their recusal facts.
    const entries = new Map<string, Map<string, EntryRow>>();
    const facts = new Map<string, EntryFacts>();
    const byCompetition = new Map<string, { c: Competition; marks: MarkDto[] }>();
    for (const a of admitted) {
      const x = byCompetition.get(a.c.id);
      if (x) x.marks.push(...a.req.marks);
      else byCompetition.set(a.c.id, { c: a.c, marks: [...a.req.marks] });
    }
    for (const [id, x] of byCompetition) {
      const found = await this.entriesOf(m, id, x.marks);
      entries.set(id, found.entries);
      for (const [k, f] of found.facts) facts.set(k, f);
    }
    const entryIds = [...new Set([...entries.values()].flatMap((byKey) => [...byKey.values()].map((e) => e.id)))];
    await this.panels.lockEntries(m, entryIds);
    const panels: Panel[] = [];
    for (const a of admitted) panels.push(await this.panels.panel(m, a.c.id, a.req.user.id));
    const reopened = new Map<string, Set<string>>();
    for (const [id, x] of byCompetition) reopened.set(id, await this.reopenedEntries(m, x.c));
    const criteriaOf = new Map([...byCompetition].map(([id, x]) => [id, new Map((x.c.scoring?.sections ?? []).flatMap((s) => s.criteria.map((k) => [k.key, k] as const)))]));

    // Receipts by "<judge>|<clientId>".
    const receipts = new Map<string, { enrolmentId: string; criterionKey: string; value: number }>();
    // Each (judge, clientId) a lookup in the receipts' primary key: not every judge × every clientId of the group.
    const receiptKeys = new Map<string, [string, string]>();
    for (const a of admitted) for (const x of a.req.marks) receiptKeys.set(`${a.req.user.id}|${x.clientId}`, [a.req.user.id, x.clientId]);
    for (const chunk of chunked([...receiptKeys.values()], 256).map(paddedToPowerOfTwo)) {
      const rows = await sql<{ judge_user_id: string; client_id: string; enrolment_id: string; criterion_key: string; value: number | string }>(
        m,
        `SELECT judge_user_id, client_id, enrolment_id, criterion_key, value FROM mark_receipts WHERE ${chunk.map(() => '(judge_user_id = ? AND client_id = ?)').join(' OR ')}`,
        chunk.flat(),
      );
      for (const r of rows) receipts.set(`${r.judge_user_id}|${r.client_id}`, { enrolmentId: r.enrolment_id, criterionKey: r.criterion_key, value: Number(r.value) });
    }
    // The current marks the batch names (entry, criterion, judge): whether each is new, changed or the
    // same. Not every mark of the entries: recompute reads those itself, packed, after the writes.
    const scores = new Map<string, { id: string; value: number; unsaved: boolean; enrolmentId: string; criterionKey: string; judgeUserId: string }>();
    const named = new Map<string, [string, string, string]>();
    for (const a of admitted) {
      const byKey = entries.get(a.c.id)!;
      for (const mark of a.req.marks) {
        const e = mark.enrolmentId ? byKey.get(`id:${mark.enrolmentId}`) : mark.bib !== undefined ? byKey.get(`bib:${mark.bib}`) : undefined;
        if (!e) continue;
        const judgeId = mark.judgeId ?? a.req.user.id;
        named.set(scoreKey(e.id, mark.criterion, judgeId), [e.id, mark.criterion, judgeId]);
      }
    }
    // Each term a lookup in the unique index (enrolment_id, criterion_key, judge_user_id).
    for (const chunk of chunked([...named.values()], 256).map(paddedToPowerOfTwo)) {
      const rows = await sql<{ id: string; enrolment_id: string; criterion_key: string; judge_user_id: string; value: number | string }>(
        m,
        `SELECT id, enrolment_id, criterion_key, judge_user_id, value FROM scores WHERE ${chunk.map(() => '(enrolment_id = ? AND criterion_key = ? AND judge_user_id = ?)').join(' OR ')}`,
        chunk.flat(),
      );
      for (const s of rows) {
        scores.set(scoreKey(s.enrolment_id, s.criterion_key, s.judge_user_id), {
          id: s.id,
          value: Number(s.value),
          unsaved: false,
          enrolmentId: s.enrolment_id,
          criterionKey: s.criterion_key,
          judgeUserId: s.judge_user_id,
        });
      }
    }

    // Writes waiting for the next flush.
    const newReceipts: MarkReceipt[] = [];
    const newScores = new Map<string, Partial<Score>>();
    const updates = new Map<string, { value: number; clientId: string; updatedAt: Date }>();
    const revisions: Array<Partial<ScoreRevision>> = [];
    const touched = new Map<string, Map<string, Set<string>>>(); // competition → entry → criteria changed since the last flush
    // Bound parameters and no read-back of the generated timestamps (the column defaults set them, as with m.insert).
    const pg = this.db.kind === 'postgres';
    const at = (d: Date) => (pg ? d : DateUtils.mixedDateToUtcDatetimeString(d));
    /** `actorId`: whose request changed a published competition's marks (flushed per request), for the results' audit. */
    const flush = async (actorId: string | null = null) => {
      for (const rows of powerOfTwoChunks(newReceipts.splice(0))) {
        await sql(
          m,
          `INSERT INTO mark_receipts (judge_user_id, client_id, enrolment_id, criterion_key, value) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
          rows.flatMap((r) => [r.judgeUserId, r.clientId, r.enrolmentId, r.criterionKey, r.value]),
        );
      }
      for (const rows of powerOfTwoChunks([...newScores.values()])) {
        await sql(
          m,
          `INSERT INTO scores (id, competition_id, enrolment_id, criterion_key, judge_user_id, value, client_id) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          rows.flatMap((r) => [r.id, r.competitionId, r.enrolmentId, r.criterionKey, r.judgeUserId, r.value, r.clientId]),
        );
      }
      newScores.clear();
      for (const [id, u] of updates) await sql(m, 'UPDATE scores SET value = ?, client_id = ?, updated_at = ? WHERE id = ?', [u.value, u.clientId, at(u.updatedAt), id]);
      updates.clear();
      for (const rows of powerOfTwoChunks(revisions.splice(0))) {
        await sql(
          m,
          'INSERT INTO score_revisions (id, score_id, competition_id, enrolment_id, criterion_key, old_value, new_value, reason, by_user_id, client_id, at) VALUES ' +
            rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
          rows.flatMap((r) => [r.id, r.scoreId, r.competitionId, r.enrolmentId, r.criterionKey, r.oldValue ?? null, r.newValue, r.reason ?? null, r.byUserId, r.clientId, at(r.at!)]),
        );
      }
      for (const s of scores.values()) s.unsaved = false;
      // The entries are locked and their facts were read under the lock: only the changed criteria's marks are read.
      for (const [id, criteria] of touched) {
        const c = byCompetition.get(id)!.c;
        await this.panels.recomputeCriteria(m, c, criteria, facts);
        await this.afterPublishedChange(m, c, [...criteria.keys()], actorId);
      }
      touched.clear();
    };

    for (let k = 0; k < admitted.length; k++) {
      const { i, req, c, chief } = admitted[k];
      const { user } = req;
      const ctx: BatchContext = { c, user, chief, panel: panels[k], criteria: criteriaOf.get(c.id)!, facts, reopened: reopened.get(c.id)! };
      const entriesHere = entries.get(c.id)!;
      const accepted: string[] = [];
      const rejected: Array<{ clientId: string; reason: MarkRejection }> = [];
      const changed = new Set<string>();
      for (const mark of req.marks) {
        const entry = mark.enrolmentId ? entriesHere.get(`id:${mark.enrolmentId}`) : mark.bib !== undefined ? entriesHere.get(`bib:${mark.bib}`) : undefined;
        const value = toHundredths(mark.value);
        const receiptKey = `${user.id}|${mark.clientId}`;
        const receipt = receipts.get(receiptKey);
        if (receipt) {
          // The same mark again (a replay, by id or by bib) answers as before; anything else under that id is refused.
          const same = receipt.enrolmentId === entry?.id && receipt.criterionKey === mark.criterion && receipt.value === value;
          if (same) accepted.push(mark.clientId);
          else rejected.push({ clientId: mark.clientId, reason: 'client_id_reused' });
          continue;
        }
        const outcome = this.checkMark(ctx, mark, entry, value);
        if (typeof outcome === 'string') {
          rejected.push({ clientId: mark.clientId, reason: outcome });
          continue;
        }
        const { judgeId } = outcome;
        const e = entry!;
        const v = value!;
        accepted.push(mark.clientId);
        receipts.set(receiptKey, { enrolmentId: e.id, criterionKey: mark.criterion, value: v });
        newReceipts.push({ judgeUserId: user.id, clientId: mark.clientId, enrolmentId: e.id, criterionKey: mark.criterion, value: v } as MarkReceipt);
        const key = scoreKey(e.id, mark.criterion, judgeId);
        const existing = scores.get(key);
        if (existing && existing.value === v) continue;
        const now = new Date();
        const reason = mark.reason?.trim() || null;
        let scoreId: string;
        if (existing) {
          scoreId = existing.id;
          if (existing.unsaved) Object.assign(newScores.get(existing.id)!, { value: v, clientId: mark.clientId });
          else updates.set(existing.id, { value: v, clientId: mark.clientId, updatedAt: now });
        } else {
          // Time-ordered ids (UUIDv7): new rows go to the end of the primary-key index instead of a random page.
          scoreId = uuidv7();
          newScores.set(scoreId, { id: scoreId, competitionId: c.id, enrolmentId: e.id, criterionKey: mark.criterion, judgeUserId: judgeId, value: v, clientId: mark.clientId });
        }
        // Every change is audited, and so is any mark written after the scores were locked.
        if (existing || c.status !== 'in_progress') {
          await this.audit.record(m, {
            actorId: user.id,
            action: 'score.change',
            entityType: 'enrolment',
            entityId: e.id,
            before: { criterion: mark.criterion, judgeId, value: existing ? fromHundredths(existing.value) : null },
            after: { criterion: mark.criterion, judgeId, value: fromHundredths(v), reason, competitionStatus: c.status },
          });
        }
        revisions.push({ id: uuidv7(), scoreId, competitionId: c.id, enrolmentId: e.id, criterionKey: mark.criterion, oldValue: existing?.value ?? null, newValue: v, reason, byUserId: user.id, clientId: mark.clientId, at: now });
        scores.set(key, { id: scoreId, value: v, unsaved: existing?.unsaved ?? !existing, enrolmentId: e.id, criterionKey: mark.criterion, judgeUserId: judgeId });
        changed.add(e.id);
        let t = touched.get(c.id);
        if (!t) touched.set(c.id, (t = new Map()));
        let criteria = t.get(e.id);
        if (!criteria) t.set(e.id, (criteria = new Set()));
        criteria.add(mark.criterion);
      }
      settled[i] = { ok: { accepted, rejected, changed: [...changed] } };
      // Results listeners see this request's change alone, as they would without grouping.
      if (c.status === 'published' && changed.size) await flush(user.id);
    }
    await flush();
    return settled;
  }

  /** Why a mark (not seen before under its clientId) is refused, or whose mark it sets. */
  private checkMark(ctx: BatchContext, mark: MarkDto, entry: EntryRow | undefined, value: number | null): MarkRejection | { judgeId: string } {
    const { c, chief } = ctx;
    if (!entry) return 'unknown_entry';
    if (entry.status !== 'approved' || entry.bib === null) return 'not_competing';
    const criterion = ctx.criteria.get(mark.criterion);
    if (!criterion) return 'unknown_criterion';
    // After the lock only the chief judge changes marks, with a reason; once published only for an entry
    // an upheld appeal reopened.
    const locked = c.status === 'scores_locked' || (c.status === 'published' && ctx.reopened.has(entry.id));
    if (c.status !== 'in_progress' && !(locked && chief)) return 'wrong_state';
    if (locked && !mark.reason?.trim()) return 'reason_required';
    const judgeId = mark.judgeId ?? ctx.user.id;
    if (judgeId !== ctx.user.id && !chief) return 'not_chief';
    const may = this.panels.mayMark(ctx.panel, judgeId, mark.criterion, ctx.facts.get(entry.id)!);
    if (may !== 'ok') return may;
    if (value === null) return 'too_many_decimals';
    if (value < 0 || value > Math.round(criterion.maxScore * 100)) return 'out_of_range';
    return { judgeId };
  }

  /** The entries a batch names, under "id:<enrolmentId>" and "bib:<bib>"; only this competition's; and their recusal facts. */
  private async entriesOf(m: EntityManager, competitionId: string, marks: MarkDto[]): Promise<{ entries: Map<string, EntryRow>; facts: Map<string, EntryFacts> }> {
    const ids = [...new Set(marks.flatMap((x) => (x.enrolmentId ? [x.enrolmentId] : [])))];
    const bibs = [...new Set(marks.flatMap((x) => (!x.enrolmentId && x.bib !== undefined ? [x.bib] : [])))];
    const out = new Map<string, EntryRow>();
    // With each entry, its recusal facts (PanelService.entryFacts) in the same statement.
    const facts = new Map<string, EntryFacts>();
    const read = async (column: 'id' | 'bib', distinct: unknown[]) => {
      const values = paddedToPowerOfTwo(distinct);
      const rows = await sql<{ id: string; status: Enrolment['status']; bib: number | string | null; worker_id: string; org_id: string | null; org_path: string | null }>(
        m,
        'SELECT e.id AS id, e.status AS status, e.bib AS bib, e.worker_id AS worker_id, o.id AS org_id, o.path AS org_path FROM enrolments e ' +
          'LEFT JOIN workers w ON w.id = e.worker_id LEFT JOIN organizations o ON o.id = w.employer_org_id ' +
          `WHERE e.competition_id = ? AND e.${column} IN (${placeholders(values.length)})`,
        [competitionId, ...values],
      );
      for (const r of rows) if (r.org_id !== null) facts.set(r.id, { enrolmentId: r.id, workerId: r.worker_id, employer: { id: r.org_id, path: r.org_path! } });
      return rows.map((r) => ({ id: r.id, status: r.status, bib: r.bib === null ? null : Number(r.bib) }));
    };
    if (ids.length) for (const e of await read('id', ids)) out.set(`id:${e.id}`, e);
    if (bibs.length) for (const e of await read('bib', bibs)) out.set(`bib:${e.bib}`, e);
    return { entries: out, facts };
  }

  /**
   * lockCompetition for marks: only what a batch reads (id, status, scoring, owner), by bound raw SQL,
   * the scheme parsed once per distinct text. A draft (refused anyway) is read whole, for rolesOf.
   */
  private async markingCompetition(m: EntityManager, id: string): Promise<Competition> {
    const pg = this.db.kind === 'postgres';
    const [row] = await sql<{ id: string; status: Competition['status']; scoring: string | null; organization_id: string }>(
      m,
      `SELECT id, status, scoring, organization_id FROM competitions WHERE id = ?${pg ? ' FOR SHARE' : ''}`,
      [id],
    );
    if (!row) throw DomainError.notFound('competition', 'COMPETITION_NOT_FOUND');
    if (row.status === 'draft') return this.lockCompetition(m, id);
    let scheme = this.schemes.get(id);
    if (!scheme || scheme.text !== row.scoring) {
      scheme = { text: row.scoring, scoring: row.scoring === null ? null : (JSON.parse(row.scoring) as Competition['scoring']) };
      this.schemes.set(id, scheme);
    }
    return { id: row.id, status: row.status, scoring: scheme.scoring, organizationId: row.organization_id } as Competition;
  }

  /** The competition row; on PostgreSQL share-locked until the transaction ends, against a concurrent lifecycle move. */
  private async lockCompetition(m: EntityManager, id: string): Promise<Competition> {
    const qb = m.createQueryBuilder(Competition, 'c').where('c.id = :id', { id });
    if (this.db.kind === 'postgres') qb.setLock('pessimistic_read');
    const c = await qb.getOne();
    if (!c) throw DomainError.notFound('competition', 'COMPETITION_NOT_FOUND');
    return c;
  }

  /** Every value a mark of this entry has had, for organizers and the chief judge. */
  async revisions(user: AuthUser, enrolmentId: string) {
    const e = await this.db.run((m) => m.findOne(Enrolment, { where: { id: enrolmentId } }));
    if (!e) throw DomainError.notFound('enrolment', 'ENROLMENT_NOT_FOUND');
    await this.competitions.getWithRole(user, e.competitionId, ['organizer', 'chief_judge']);
    const rows = inChangeOrder(await this.db.run((m) => m.find(ScoreRevision, { where: { enrolmentId }, order: { at: 'ASC' } })));
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
      const c = await this.lockCompetition(m, competitionId);
      const e = await m.findOne(Enrolment, { where: { id: dto.enrolmentId, competitionId } });
      const reopened = c.status === 'published' && !!e && (await this.reopenedEntries(m, c)).has(e.id);
      if (!['in_progress', 'scores_locked'].includes(c.status) && !reopened)
        throw DomainError.conflict('WRONG_STATE', `penalties are recorded while the competition is in progress or its scores are locked (or, once published, for an entry whose appeal was upheld); it is ${c.status}`);
      if (!e) throw new DomainError('rejected', 'ENROLMENT_NOT_FOUND', `enrolmentId: no entry ${dto.enrolmentId} in this competition`);
      if (e.status !== 'approved') throw DomainError.conflict('NOT_COMPETING', `this entry is ${e.status}`);
      const p = { id: randomUUID(), competitionId, enrolmentId: e.id, points, reason: dto.reason.trim(), byUserId: user.id };
      await m.insert(Penalty, p);
      await this.audit.record(m, { actorId: user.id, action: 'penalty.create', entityType: 'enrolment', entityId: e.id, after: { points: dto.points, reason: p.reason } });
      await this.panels.recompute(m, c, [e.id]);
      await this.afterPublishedChange(m, c, [e.id], user.id);
      return p;
    });
    this.live.publish(STANDINGS_TOPIC, { competitionId, enrolmentIds: [row.enrolmentId], reason: 'penalty' });
    return { id: row.id, enrolmentId: row.enrolmentId, points: dto.points, reason: row.reason };
  }
}

export type { CompetitionRole };

/** One PUT of marks. */
interface MarkRequest {
  user: AuthUser;
  competitionId: string;
  marks: MarkDto[];
}

/** The answer to a PUT of marks (API.md). */
export interface MarkAnswer {
  accepted: string[];
  rejected: Array<{ clientId: string; reason: MarkRejection }>;
}

/** A request's outcome within a group: its answer and the entries it changed, or the error it answers with. */
type Settled = { ok: MarkAnswer & { changed: string[] } } | { error: unknown };

interface WaitingRequest {
  req: MarkRequest;
  resolve: (a: MarkAnswer) => void;
  reject: (e: unknown) => void;
}

/** Marks per group commit at most (a group holds at least one request, whatever its size). */
const GROUP_MAX_MARKS = 1000;

function settledValue(s: Settled): MarkAnswer & { changed: string[] } {
  if ('error' in s) throw s.error;
  return s.ok;
}

/** What a batch needs of an entry it names. */
type EntryRow = Pick<Enrolment, 'id' | 'status' | 'bib'>;

/** Entry ids reopened for marking while a competition is `published`. */
export type ReopenedEntriesProvider = (m: EntityManager, competitionId: string) => Promise<Iterable<string>>;
/** `actorId`: the chief judge whose mark or penalty changed a published competition's scores. */
export type PublishedScoresListener = (m: EntityManager, c: Competition, enrolmentIds: string[], actorId: string | null) => Promise<void>;

interface BatchContext {
  reopened: Set<string>;
  c: Competition;
  user: AuthUser;
  chief: boolean;
  panel: Panel;
  criteria: Map<string, { maxScore: number }>;
  facts: Map<string, EntryFacts>;
}

/**
 * Revisions oldest first. Changes of one mark within one batch can share a timestamp (to the
 * millisecond); among those, each follows the revision whose new value it replaced.
 */
function inChangeOrder(rows: ScoreRevision[]): ScoreRevision[] {
  const sorted = [...rows].sort((a, b) => a.at.getTime() - b.at.getTime());
  const current = new Map<string, number>(); // scoreId → value after the revisions placed so far
  const out: ScoreRevision[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j].at.getTime() === sorted[i].at.getTime()) j++;
    const group = sorted.slice(i, j);
    while (group.length) {
      const k = group.findIndex((r) => (current.get(r.scoreId) ?? null) === r.oldValue);
      const [next] = group.splice(Math.max(k, 0), 1);
      current.set(next.scoreId, next.newValue);
      out.push(next);
    }
    i = j;
  }
  return out;
}

const scoreKey = (enrolmentId: string, criterion: string, judgeId: string) => `${enrolmentId}|${criterion}|${judgeId}`;

/** Rows per multi-row insert: well inside SQLite's and PostgreSQL's bound-parameter limits. */
/**
 * Two PostgreSQL transactions can both find a key absent and both insert it (a clientId reused by two
 * batches in flight at once); the unique key refuses the later one, which then runs again and sees
 * the other's row. SQLite is serialized and never gets here.
 */
async function retryOnRace<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isUniqueViolation(e)) throw e;
    }
  }
}
