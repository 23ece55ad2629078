import type { TieBreaker } from '../../competitions/domain/competition.types';
import { RankInput, rankEntries } from '../../ranking/domain/ranking';

/** One entry's stored standing (entry_scores + enrolment), as results reads it. Scores in hundredths. */
export interface StandingInput extends RankInput {
  workerId: string;
  /** Σ penalties in hundredths */
  penalties: number;
}

/** What a Result row holds of an entry: the columns results computes (hundredths). */
export interface ResultValues {
  enrolmentId: string;
  workerId: string;
  rank: number | null;
  total: number;
  sections: Record<string, number>;
  penalties: number;
  complete: boolean;
}

/**
 * The result rows of a competition from its standings: the very ranking of GET /ranking
 * (`rankEntries`: approved entries only, ties 1, 1, 3, incomplete entries unranked), one row per
 * ranked or unranked approved entry, in ranking order. An unranked entry keeps its partial total (0
 * when it has none) with rank null and complete false; sections without a score are left out.
 */
export function resultValues(standings: StandingInput[], tieBreakers: TieBreaker[]): ResultValues[] {
  const byId = new Map(standings.map((s) => [s.enrolmentId, s]));
  return rankEntries(standings, tieBreakers).map((e) => {
    const s = byId.get(e.enrolmentId)!;
    const sections: Record<string, number> = {};
    for (const [k, v] of Object.entries(e.sections)) if (v !== null && v !== undefined) sections[k] = v;
    return { enrolmentId: e.enrolmentId, workerId: s.workerId, rank: e.rank, total: e.total ?? 0, sections, penalties: s.penalties, complete: e.complete };
  });
}

/** Whether two computations of an entry's result differ in anything shown. */
export function sameValues(a: ResultValues, b: ResultValues): boolean {
  if (a.rank !== b.rank || a.total !== b.total || a.penalties !== b.penalties || a.complete !== b.complete || a.workerId !== b.workerId) return false;
  const ka = Object.keys(a.sections);
  const kb = Object.keys(b.sections);
  return ka.length === kb.length && ka.every((k) => a.sections[k] === b.sections[k]);
}

export interface ResultChange {
  enrolmentId: string;
  before: { rank: number | null; total: number } | null;
  after: { rank: number | null; total: number } | null;
}

/** The plan to bring stored rows to the computed ones: inserts, updates (only what changed), deletions. */
export interface ResultPlan {
  insert: ResultValues[];
  update: Array<{ id: string; values: ResultValues }>;
  remove: string[];
  changes: ResultChange[];
}

export function planResults(stored: Array<ResultValues & { id: string }>, computed: ResultValues[]): ResultPlan {
  const old = new Map(stored.map((r) => [r.enrolmentId, r]));
  const plan: ResultPlan = { insert: [], update: [], remove: [], changes: [] };
  const brief = (r: ResultValues) => ({ rank: r.rank, total: r.total });
  for (const v of computed) {
    const o = old.get(v.enrolmentId);
    old.delete(v.enrolmentId);
    if (!o) {
      plan.insert.push(v);
      plan.changes.push({ enrolmentId: v.enrolmentId, before: null, after: brief(v) });
    } else if (!sameValues(o, v)) {
      plan.update.push({ id: o.id, values: v });
      plan.changes.push({ enrolmentId: v.enrolmentId, before: brief(o), after: brief(v) });
    }
  }
  for (const o of old.values()) {
    plan.remove.push(o.id);
    plan.changes.push({ enrolmentId: o.enrolmentId, before: brief(o), after: null });
  }
  return plan;
}

const DAY_MS = 86_400_000;

/** 公示期: the notice period runs `publicityDays` whole days from the moment of publication. */
export function noticePeriodEndsAt(publishedAt: Date, publicityDays: number): Date {
  return new Date(publishedAt.getTime() + Math.max(0, publicityDays) * DAY_MS);
}
