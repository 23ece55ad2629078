import { CompetitionStatus } from './competition.types';

/**
 * draft → enrolment_open → enrolment_closed → in_progress → scores_locked → published → finalized,
 * plus cancelled from any state before finalized. Transitions are made by people, not the clock; each
 * target state has guards over facts the service gathers. Later features add guards for their states
 * (scores complete, notice period over) to GUARDS without changing this function.
 */
const EDGES: Record<CompetitionStatus, CompetitionStatus[]> = {
  draft: ['enrolment_open', 'cancelled'],
  enrolment_open: ['enrolment_closed', 'cancelled'],
  enrolment_closed: ['in_progress', 'cancelled'],
  in_progress: ['scores_locked', 'cancelled'],
  scores_locked: ['published', 'cancelled'],
  published: ['finalized', 'cancelled'],
  finalized: [],
  cancelled: [],
};

export interface TransitionFacts {
  /** Problems of the stored scoring scheme; undefined when there is none. */
  schemeErrors?: string[];
  hasEnrolmentWindow?: boolean;
  approvedEntries?: number;
  bibsDrawn?: boolean;
  /** An admin forcing a guard that allows it (e.g. the notice period). */
  force?: boolean;
  [fact: string]: unknown;
}

export interface GuardFailure {
  code: string;
  message: string;
}

export type Guard = (facts: TransitionFacts) => GuardFailure | null;

export const MIN_ENTRIES_TO_CLOSE = 2;

export const GUARDS: Partial<Record<CompetitionStatus, Guard[]>> = {
  enrolment_open: [
    (f) =>
      f.schemeErrors === undefined
        ? { code: 'SCHEME_MISSING', message: 'opening enrolment needs a scoring scheme' }
        : f.schemeErrors.length > 0
          ? { code: 'SCHEME_INVALID', message: `opening enrolment needs a valid scoring scheme: ${f.schemeErrors.join('; ')}` }
          : null,
    (f) => (f.hasEnrolmentWindow ? null : { code: 'NO_ENROLMENT_WINDOW', message: 'opening enrolment needs schedule.enrolmentOpensAt and schedule.enrolmentClosesAt' }),
  ],
  enrolment_closed: [
    (f) =>
      (f.approvedEntries ?? 0) >= MIN_ENTRIES_TO_CLOSE
        ? null
        : { code: 'TOO_FEW_ENTRIES', message: `closing enrolment needs at least ${MIN_ENTRIES_TO_CLOSE} approved entries (there are ${f.approvedEntries ?? 0})` },
  ],
  in_progress: [(f) => (f.bibsDrawn ? null : { code: 'BIBS_NOT_DRAWN', message: 'starting needs bib numbers drawn (POST /api/competitions/:id/draw)' })],
  scores_locked: [
    (f) => {
      const inc = f.incompleteEntries as { count: number; bibs: number[] } | undefined;
      if (!inc || inc.count === 0) return null;
      const bibs = inc.bibs.length ? `: bib${inc.bibs.length > 1 ? 's' : ''} ${inc.bibs.slice(0, 50).join(', ')}${inc.bibs.length > 50 ? ', …' : ''}` : '';
      return { code: 'SCORES_INCOMPLETE', message: `locking scores needs every entry fully scored; ${inc.count} ${inc.count === 1 ? 'is' : 'are'} not${bibs}` };
    },
  ],
  finalized: [
    (f) => ((f.openAppeals as number | undefined) ?? 0) > 0
      ? { code: 'APPEALS_OPEN', message: `finalizing needs every appeal decided; ${f.openAppeals as number} ${f.openAppeals === 1 ? 'is' : 'are'} still open` }
      : null,
    (f) => {
      const ends = f.noticePeriodEndsAt as string | undefined;
      const now = (f.now as string | undefined) ?? new Date().toISOString();
      if (!ends || f.force || Date.parse(now) >= Date.parse(ends)) return null;
      return { code: 'NOTICE_PERIOD_RUNNING', message: `finalizing needs the notice period (公示期) to be over; it ends at ${ends} (an admin may force)` };
    },
  ],
};

export type TransitionResult = { ok: true } | ({ ok: false } & GuardFailure);

export function allowedTargets(from: CompetitionStatus): CompetitionStatus[] {
  return [...EDGES[from]];
}

/** Whether `from → to` is an edge of the lifecycle and every guard of `to` holds; else the first unmet guard. */
export function checkTransition(from: CompetitionStatus, to: CompetitionStatus, facts: TransitionFacts, guards = GUARDS): TransitionResult {
  if (!EDGES[from].includes(to)) {
    const allowed = EDGES[from];
    return {
      ok: false,
      code: 'INVALID_TRANSITION',
      message: `a competition in ${from} cannot move to ${to}` + (allowed.length ? ` (possible: ${allowed.join(', ')})` : ' (it is final)'),
    };
  }
  for (const guard of guards[to] ?? []) {
    const failure = guard(facts);
    if (failure) return { ok: false, ...failure };
  }
  return { ok: true };
}
