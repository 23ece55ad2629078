import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import { placeholdersFor } from '../../database/raw-values';
import { chunked, paddedToPowerOfTwo, powerOfTwoAtLeast, powerOfTwoChunks } from '../../database/statement-shapes';
import { Competition } from '../competitions/competition.entity';
import { Enrolment } from '../enrolment/enrolment.entity';
import { User } from '../identity/user.entity';
import { Organization } from '../organizations/organization.entity';
import { LiveEventsService } from '../queue/live-events.service';
import { minimumMarks, scoreEntry, SectionInput } from './domain/arithmetic';
import { enterpriseOf, isRecused, JudgeUnit, pathIds } from './domain/recusal';
import { JudgeAssignment } from './judge-assignment.entity';
import { JudgeConflict } from './judge-conflict.entity';

/** A competition's judging panel: who marks what, and who is recused from whom. */
export interface Panel {
  assignments: Map<string, JudgeAssignment>;
  units: Map<string, JudgeUnit>;
  /** "<judgeUserId>|<workerId>" of declared conflicts. */
  declared: Set<string>;
}

export interface EntryFacts {
  enrolmentId: string;
  workerId: string;
  employer: { id: string; path: string };
}


/**
 * Raw SQL with bound parameters, written with `?` placeholders (PostgreSQL gets `$1`, `$2`…).
 * TypeORM's SQLite driver inlines numbers into the statement text; this keeps it stable.
 */
export function sql<T = unknown>(m: EntityManager, text: string, params: unknown[] = []): Promise<T[]> {
  return m.query(placeholdersFor(m.connection.options.type === 'postgres' ? 'postgres' : 'sqlite', text), params) as Promise<T[]>;
}

/** "?, ?, ?" for n parameters. */
export const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** An entry's standing as entry_scores stores it (hundredths). */
export interface StandingRow {
  enrolmentId: string;
  competitionId: string;
  total: number | null;
  sections: Record<string, number | null>;
  criteria: Record<string, number | null>;
  penalties: number;
  complete: boolean;
}

const PANEL_TTL_MS = 30_000;
/** Shared, never written: scoreEntry only reads marks. */
const NO_MARKS: number[] = [];
const RECOMPUTE_CHUNK = 500;

/**
 * Reads and caches the panel of each competition (assignments, judges' units, declared conflicts),
 * and recomputes entry standings from marks. The cache is dropped on every panel change, in this
 * process at once and in others through a live event; a TTL bounds staleness if one is missed.
 */
@Injectable()
export class PanelService {
  private readonly cache = new Map<string, { panel: Panel; at: number }>();

  constructor(private readonly live: LiveEventsService) {
    live.subscribe('panel', (p) => this.cache.delete(String(p.competitionId)));
  }

  /** Drops this process's copy (inside a transaction that changes the panel). */
  forget(competitionId: string): void {
    this.cache.delete(competitionId);
  }

  /** Drops every process's copy: after the change has committed. */
  invalidate(competitionId: string): void {
    this.cache.delete(competitionId);
    this.live.publish('panel', { competitionId });
  }

  /**
   * The panel, cached. `judgeUserId`: a judge known to be assigned (its role was just checked); a copy
   * without it is stale (the invalidation from another process has not arrived yet) and is re-read.
   */
  async panel(m: EntityManager, competitionId: string, judgeUserId?: string): Promise<Panel> {
    const hit = this.cache.get(competitionId);
    if (hit && Date.now() - hit.at < PANEL_TTL_MS && (!judgeUserId || hit.panel.assignments.has(judgeUserId))) return hit.panel;
    const assignments = await m.find(JudgeAssignment, { where: { competitionId } });
    const conflicts = await m.find(JudgeConflict, { where: { competitionId } });
    const users = await m.find(User, { where: { id: In(assignments.map((a) => a.userId)) }, select: { id: true, organizationId: true } });
    const orgIds = new Set<string>();
    const userOrg = new Map<string, string | null>(users.map((u) => [u.id, u.organizationId]));
    const orgs = await m.find(Organization, { where: { id: In([...userOrg.values()].filter((x): x is string => !!x)) } });
    for (const o of orgs) for (const id of pathIds(o.path)) orgIds.add(id);
    const chainOrgs = new Map((await m.find(Organization, { where: { id: In([...orgIds]) } })).map((o) => [o.id, o]));
    const units = new Map<string, JudgeUnit>();
    for (const a of assignments) {
      const orgId = userOrg.get(a.userId) ?? null;
      const org = orgId ? chainOrgs.get(orgId) : undefined;
      const chain = org ? pathIds(org.path).map((id) => chainOrgs.get(id)).filter((o): o is Organization => !!o) : [];
      units.set(a.userId, { organizationId: orgId, enterpriseId: enterpriseOf(chain) });
    }
    const panel: Panel = {
      assignments: new Map(assignments.map((a) => [a.userId, a])),
      units,
      declared: new Set(conflicts.map((c) => `${c.judgeUserId}|${c.workerId}`)),
    };
    this.cache.set(competitionId, { panel, at: Date.now() });
    return panel;
  }

  /** The judge's assignment from a fresh cached panel, if there is one (no query). */
  cachedAssignment(competitionId: string, judgeUserId: string): JudgeAssignment | undefined {
    const hit = this.cache.get(competitionId);
    if (!hit || Date.now() - hit.at >= PANEL_TTL_MS) return undefined;
    return hit.panel.assignments.get(judgeUserId);
  }

  /** Whether a judge may mark a criterion of an entry: assigned to it and not recused. */
  mayMark(panel: Panel, judgeUserId: string, criterion: string, entry: EntryFacts): 'ok' | 'not_assigned' | 'conflict_of_interest' {
    const a = panel.assignments.get(judgeUserId);
    if (!a || (a.criteria && !a.criteria.includes(criterion))) return 'not_assigned';
    if (this.recused(panel, judgeUserId, entry)) return 'conflict_of_interest';
    return 'ok';
  }

  recused(panel: Panel, judgeUserId: string, entry: EntryFacts): boolean {
    const unit = panel.units.get(judgeUserId);
    return panel.declared.has(`${judgeUserId}|${entry.workerId}`) || (!!unit && isRecused(unit, entry.employer));
  }

  /** Worker and employer of entries, for recusal. */
  async entryFacts(m: EntityManager, enrolmentIds: string[]): Promise<Map<string, EntryFacts>> {
    if (enrolmentIds.length === 0) return new Map();
    const ids = paddedToPowerOfTwo([...new Set(enrolmentIds)]);
    const rows = await sql<{ id: string; worker_id: string; org_id: string; org_path: string }>(
      m,
      'SELECT e.id AS id, e.worker_id AS worker_id, o.id AS org_id, o.path AS org_path FROM enrolments e ' +
        `INNER JOIN workers w ON w.id = e.worker_id INNER JOIN organizations o ON o.id = w.employer_org_id WHERE e.id IN (${placeholders(ids.length)})`,
      ids,
    );
    return new Map(rows.map((r) => [r.id, { enrolmentId: r.id, workerId: r.worker_id, employer: { id: r.org_id, path: r.org_path } }]));
  }

  /**
   * Locks entries until the transaction ends (PostgreSQL; SQLite is serialized already), always in id
   * order so two transactions never wait on each other crosswise. Whoever writes marks or penalties
   * of an entry takes this lock before recomputing its standing: the last to take it reads every
   * committed change, so a standing never misses a mark committed beside it.
   */
  async lockEntries(m: EntityManager, enrolmentIds: string[]): Promise<void> {
    if (enrolmentIds.length === 0 || m.connection.options.type !== 'postgres') return;
    await m
      .createQueryBuilder(Enrolment, 'e')
      .select('e.id')
      .where('e.id IN (:...ids)', { ids: [...new Set(enrolmentIds)] })
      .orderBy('e.id', 'ASC')
      .setLock('for_no_key_update')
      .getMany();
  }

  /**
   * Recomputes and stores the standing of the given entries from their marks and penalties (inside the
   * caller's transaction, the entries locked first), the marks read packed (see `standings`).
   */
  async recompute(m: EntityManager, competition: Competition, enrolmentIds: string[]): Promise<void> {
    if (enrolmentIds.length === 0 || !competition.scoring) return;
    // SQLite caps the number of bound parameters per statement: large sets go in chunks.
    if (enrolmentIds.length > RECOMPUTE_CHUNK) {
      const sorted = [...enrolmentIds].sort();
      for (let i = 0; i < sorted.length; i += RECOMPUTE_CHUNK) await this.recompute(m, competition, sorted.slice(i, i + RECOMPUTE_CHUNK));
      return;
    }
    await this.lockEntries(m, enrolmentIds);
    await this.storeStandings(m, await this.standings(m, competition, enrolmentIds));
  }

  /**
   * Every entry of the competition that has marks, recomputed and stored (inside the caller's
   * transaction): what a change of the panel needs, since marks of a judge no longer assigned or now
   * recused stop counting. Reads each table once for the whole competition (see `standings`).
   */
  async recomputeAll(m: EntityManager, competition: Competition): Promise<void> {
    if (!competition.scoring) return;
    if (m.connection.options.type === 'postgres') {
      await sql(m, 'SELECT id FROM enrolments WHERE competition_id = ? ORDER BY id FOR NO KEY UPDATE', [competition.id]);
    }
    await this.storeStandings(m, await this.standings(m, competition));
  }

  /**
   * Standings computed from the stored marks and penalties, nothing written: of the given entries, or,
   * without `enrolmentIds`, of every entry of the competition that has marks (a full recomputation).
   * Marks are read grouped by entry, so that 600,000 marks cross the driver as 10,000 rows instead of
   * 600,000 rows of three strings each: per entry one text of decimal integers, one a mark, each
   * `code × 2³² + value` with the code the mark's criterion index × panel size + judge index in the scheme
   * and the panel, or -1 for a judge not on the panel or a criterion not in the scheme (it does not
   * count). Exact for every 32-bit value (the column is an INTEGER; marks are checked against maxScore).
   */
  async standings(m: EntityManager, competition: Competition, enrolmentIds?: string[]): Promise<StandingRow[]> {
    if (!competition.scoring) return [];
    const pg = m.connection.options.type === 'postgres';
    const panel = await this.panel(m, competition.id);
    const facts = enrolmentIds ? await this.entryFacts(m, enrolmentIds) : await this.competitionFacts(m, competition.id);
    const judges = [...panel.assignments.keys()];
    const keys = competition.scoring.sections.flatMap((s) => s.criteria.map((c) => c.key));
    const nj = judges.length;
    // assigned[k * nj + j]: judge j marks criterion k.
    const assigned = keys.flatMap((k) => judges.map((j) => !panel.assignments.get(j)!.criteria || panel.assignments.get(j)!.criteria!.includes(k)));
    // Indexes by CASE, not by a join: no per-row lookup. No match gives NULL, and so does the sum.
    const index = (column: string, n: number, step: number) => (n === 0 ? 'NULL' : `CASE ${column} ${Array.from({ length: n }, (_, i) => `WHEN ? THEN ${i * step}`).join(' ')} END`);
    const code = `COALESCE(${index('s.criterion_key', keys.length, nj)} + ${index('s.judge_user_id', nj, 1)}, -1) * ${2 ** 32} + s.value`;
    // Per entry, through the scores' index that starts with the entry: no sort of all the competition's
    // marks. No marks: NULL. (The IN list padded: see statement-shapes.ts.)
    const inList = enrolmentIds && paddedToPowerOfTwo(enrolmentIds);
    const rows = await sql<{ id: string; marks: string | null }>(
      m,
      `SELECT e.id AS id, (SELECT ${pg ? `string_agg(CAST(${code} AS varchar), ' ')` : `group_concat(${code}, ' ')`} FROM scores s WHERE s.enrolment_id = e.id) AS marks FROM enrolments e ` +
        `WHERE e.competition_id = ?${inList ? ` AND e.id IN (${placeholders(inList.length)})` : ''}`,
      [...keys, ...judges, competition.id, ...(inList ?? [])],
    );
    const marksOf = new Map<string, Map<string, number[]>>();
    const counts = new Uint8Array(keys.length * nj);
    const units = judges.map((j) => panel.units.get(j));
    const unitRecused = new Map<string, boolean[]>();
    for (const r of rows) {
      const f = facts.get(r.id);
      if (!f || r.marks === null) continue;
      // recused(), with the unit part once per employer (entries share a few dozen employers).
      let byUnit = unitRecused.get(f.employer.id);
      if (!byUnit) unitRecused.set(f.employer.id, (byUnit = units.map((unit) => !!unit && isRecused(unit, f.employer))));
      for (let j = 0; j < nj; j++) {
        const recused = byUnit[j] || (panel.declared.size > 0 && panel.declared.has(`${judges[j]}|${f.workerId}`));
        for (let k = 0; k < keys.length; k++) counts[k * nj + j] = assigned[k * nj + j] && !recused ? 1 : 0;
      }
      const lists: number[][] = keys.map(() => []);
      // Decimal integers separated by single spaces, negative for marks that do not count (and for
      // negative values of code 0).
      const s = r.marks;
      const n = s.length;
      for (let i = 0; i < n; i++) {
        let c = s.charCodeAt(i);
        const negative = c === 45;
        if (negative) c = s.charCodeAt(++i);
        let x = 0;
        for (; c >= 48 && c <= 57; c = s.charCodeAt(++i)) x = x * 10 + c - 48;
        if (negative) x = -x;
        // value ∈ [-2³¹, 2³¹): the nearest multiple of 2³² is the code's.
        const code = Math.round(x / 4294967296);
        if (code >= 0 && counts[code] === 1) lists[(code / nj) | 0].push(x - code * 4294967296);
      }
      const byCriterion = new Map<string, number[]>();
      for (let k = 0; k < keys.length; k++) if (lists[k].length) byCriterion.set(keys[k], lists[k]);
      marksOf.set(r.id, byCriterion);
    }
    // Without ids: every entry that has marks, counting or not (marks that stopped counting must leave its standing).
    return this.scored(m, competition, enrolmentIds ?? rows.filter((r) => r.marks !== null).map((r) => r.id), marksOf, !enrolmentIds);
  }

  /** Worker and employer of every entry of a competition, for recusal. */
  private async competitionFacts(m: EntityManager, competitionId: string): Promise<Map<string, EntryFacts>> {
    const rows = await sql<{ id: string; worker_id: string; org_id: string; org_path: string }>(
      m,
      'SELECT e.id AS id, e.worker_id AS worker_id, o.id AS org_id, o.path AS org_path FROM enrolments e ' +
        'INNER JOIN workers w ON w.id = e.worker_id INNER JOIN organizations o ON o.id = w.employer_org_id WHERE e.competition_id = ?',
      [competitionId],
    );
    return new Map(rows.map((r) => [r.id, { enrolmentId: r.id, workerId: r.worker_id, employer: { id: r.org_id, path: r.org_path } }]));
  }

  /**
   * Recomputes and stores the standing of entries after changes to some of their criteria (inside the
   * caller's transaction, the entries locked, their recusal facts known). The changed criteria are
   * scored from their marks; every other criterion keeps the score entry_scores holds for it. That is
   * exact: a criterion's score depends on its own marks only, and whatever else changes which marks
   * count (the panel, a declared conflict) or the total (penalties) recomputes whole entries. A kept
   * score s enters scoreEntry as `need` marks of s, which every aggregation turns back into s. An entry
   * without a stored standing (or one lacking a criterion) is recomputed whole.
   */
  async recomputeCriteria(m: EntityManager, competition: Competition, changed: Map<string, Set<string>>, facts: Map<string, EntryFacts>): Promise<void> {
    const scheme = competition.scoring;
    if (!scheme || changed.size === 0) return;
    const ids = [...changed.keys()];
    const criteria = scheme.sections.flatMap((s) => s.criteria);
    const stored = new Map<string, Record<string, number | null>>();
    for (const chunk of chunked(ids, 256)) {
      const list = paddedToPowerOfTwo(chunk);
      const rows = await sql<{ enrolment_id: string; criteria: string | Record<string, number | null> | null }>(
        m,
        `SELECT enrolment_id, criteria FROM entry_scores WHERE enrolment_id IN (${placeholders(list.length)})`,
        list,
      );
      for (const r of rows) if (r.criteria !== null) stored.set(r.enrolment_id, typeof r.criteria === 'string' ? (JSON.parse(r.criteria) as Record<string, number | null>) : r.criteria);
    }
    // What to read: the changed criteria of entries whose other scores are stored, every criterion of the rest.
    const toRead = new Map<string, Set<string>>();
    const pairs: Array<[string, string]> = [];
    for (const id of ids) {
      const kept = stored.get(id);
      const read = kept && criteria.every((c) => Object.hasOwn(kept, c.key)) ? changed.get(id)! : new Set(criteria.map((c) => c.key));
      toRead.set(id, read);
      for (const k of read) pairs.push([id, k]);
    }
    const panel = await this.panel(m, competition.id);
    const marksOf = new Map<string, Map<string, number[]>>();
    // Each (entry, criterion) a range of the scores' index that starts with both.
    for (const chunk of chunked(pairs, 256).map(paddedToPowerOfTwo)) {
      const rows = await sql<{ enrolment_id: string; criterion_key: string; judge_user_id: string; value: number | string }>(
        m,
        `SELECT enrolment_id, criterion_key, judge_user_id, value FROM scores WHERE ${chunk.map(() => '(enrolment_id = ? AND criterion_key = ?)').join(' OR ')}`,
        chunk.flat(),
      );
      for (const r of rows) {
        const f = facts.get(r.enrolment_id);
        if (!f || this.mayMark(panel, r.judge_user_id, r.criterion_key, f) !== 'ok') continue;
        let byCriterion = marksOf.get(r.enrolment_id);
        if (!byCriterion) marksOf.set(r.enrolment_id, (byCriterion = new Map()));
        const list = byCriterion.get(r.criterion_key);
        if (list) list.push(Number(r.value));
        else byCriterion.set(r.criterion_key, [Number(r.value)]);
      }
    }
    for (const id of ids) {
      const kept = stored.get(id);
      const read = toRead.get(id)!;
      let byCriterion = marksOf.get(id);
      if (!byCriterion) marksOf.set(id, (byCriterion = new Map()));
      for (const c of criteria) {
        const score = read.has(c.key) || !kept ? undefined : kept[c.key];
        if (score !== undefined && score !== null) byCriterion.set(c.key, new Array<number>(Math.max(c.judgesRequired, minimumMarks(c.aggregation))).fill(score));
      }
    }
    await this.storeStandings(m, await this.scored(m, competition, ids, marksOf, false));
  }

  /** The standings of entries from the marks that count (by entry and criterion) and their penalties. */
  private async scored(m: EntityManager, competition: Competition, enrolmentIds: string[], marksOf: Map<string, Map<string, number[]>>, wholeCompetition: boolean): Promise<StandingRow[]> {
    const penalties = wholeCompetition
      ? await sql<{ id: string; points: string | number }>(m, 'SELECT enrolment_id AS id, SUM(points) AS points FROM penalties WHERE competition_id = ? GROUP BY enrolment_id', [competition.id])
      : await sql<{ id: string; points: string | number }>(
          m,
          `SELECT enrolment_id AS id, SUM(points) AS points FROM penalties WHERE enrolment_id IN (${placeholders(powerOfTwoAtLeast(enrolmentIds.length))}) GROUP BY enrolment_id`,
          paddedToPowerOfTwo(enrolmentIds),
        );
    const penaltyOf = new Map(penalties.map((p) => [p.id, Number(p.points)]));
    // One input for every entry, its marks set before each scoreEntry (which keeps no reference to it).
    const sections: SectionInput[] = competition.scoring!.sections.map((s) => ({
      key: s.key,
      weight: s.weight,
      criteria: s.criteria.map((c) => ({ key: c.key, maxScore: Math.round(c.maxScore * 100), judgesRequired: c.judgesRequired, aggregation: c.aggregation, marks: NO_MARKS })),
    }));
    return enrolmentIds.map((id) => {
      const byCriterion = marksOf.get(id);
      for (const s of sections) for (const c of s.criteria) c.marks = byCriterion?.get(c.key) ?? NO_MARKS;
      const penalty = penaltyOf.get(id) ?? 0;
      const r = scoreEntry(sections, penalty);
      return { enrolmentId: id, competitionId: competition.id, total: r.total, sections: r.sections, criteria: r.criteria, penalties: penalty, complete: r.complete };
    });
  }

  /**
   * entry_scores upsert, as m.upsert(EntryScore, rows, ['enrolmentId']) writes it but with bound
   * parameters and no read-back: JSON as text, booleans as the driver stores them, updated_at by the
   * column default (on PostgreSQL also on update, as TypeORM does; TypeORM leaves it on SQLite).
   */
  private async storeStandings(m: EntityManager, rows: StandingRow[]): Promise<void> {
    const pg = m.connection.options.type === 'postgres';
    for (const chunk of powerOfTwoChunks(rows, 256)) {
      const params: unknown[] = [];
      for (const r of chunk) params.push(r.enrolmentId, r.competitionId, r.total, JSON.stringify(r.sections), JSON.stringify(r.criteria), r.penalties, pg ? r.complete : r.complete ? 1 : 0);
      await sql(
        m,
        `INSERT INTO entry_scores (enrolment_id, competition_id, total, sections, criteria, penalties, complete) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')} ` +
          'ON CONFLICT (enrolment_id) DO UPDATE SET competition_id = excluded.competition_id, total = excluded.total, sections = excluded.sections, ' +
          `criteria = excluded.criteria, penalties = excluded.penalties, complete = excluded.complete${pg ? ', updated_at = DEFAULT' : ''}`,
        params,
      );
    }
  }
}
