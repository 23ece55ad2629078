import { TieBreaker } from '../../competitions/domain/competition.types';

export interface RankInput {
  enrolmentId: string;
  /** enrolment status; only 'approved' entries are ranked */
  status: string;
  /** hundredths; null while incomplete */
  total: number | null;
  /** section scores in hundredths, as shown */
  sections: Record<string, number | null>;
  timeUsedSeconds: number | null;
  complete: boolean;
  bib: number | null;
}

export interface RankedEntry extends RankInput {
  rank: number | null;
}

/** ARCHITECTURE.md: practical section desc (when the scheme has one), then time used asc. */
export function defaultTieBreakers(sectionKeys: string[]): TieBreaker[] {
  const chain: TieBreaker[] = [];
  if (sectionKeys.includes('practical')) chain.push({ by: 'section', key: 'practical', order: 'desc' });
  chain.push({ by: 'timeUsed', order: 'asc' });
  return chain;
}

/**
 * The ranking: approved entries only (absent, disqualified, withdrawn, rejected and pending are
 * left out). Complete entries come first, by total desc, then each tie-breaker in order; a null
 * tie-breaker value sorts after any value whatever the order. Entries still equal share a rank and
 * the next rank skips (1, 1, 3); within a tie they are listed by bib (none last), then enrolmentId.
 * Incomplete entries follow with rank null and complete false, by bib then enrolmentId.
 * An empty tie-breaker chain means `defaultTieBreakers` of the section keys the entries carry.
 */
export function rankEntries(entries: RankInput[], tieBreakers: TieBreaker[]): RankedEntry[] {
  const ranked: RankInput[] = [];
  const unranked: RankInput[] = [];
  for (const e of entries) {
    if (e.status !== 'approved') continue;
    if (e.complete && e.total !== null) ranked.push(e);
    else unranked.push(e);
  }
  const chain = tieBreakers.length > 0 ? tieBreakers : defaultTieBreakers(sectionKeysOf(ranked));
  const standing = standingComparator(chain);
  ranked.sort((a, b) => standing(a, b) || byBibThenId(a, b));
  unranked.sort(byBibThenId);

  const out: RankedEntry[] = new Array(ranked.length + unranked.length);
  let rank = 0;
  for (let i = 0; i < ranked.length; i++) {
    if (i === 0 || standing(ranked[i - 1], ranked[i]) !== 0) rank = i + 1;
    out[i] = { ...ranked[i], rank };
  }
  for (let i = 0; i < unranked.length; i++) out[ranked.length + i] = { ...unranked[i], complete: false, rank: null };
  return out;
}

function sectionKeysOf(entries: RankInput[]): string[] {
  const keys = new Set<string>();
  for (const e of entries) for (const k in e.sections) keys.add(k);
  return [...keys];
}

type Compare = (a: RankInput, b: RankInput) => number;

/** Negative when a stands above b; 0 when they share a rank. */
function standingComparator(chain: TieBreaker[]): Compare {
  const steps: Compare[] = chain.map((t) => {
    const sign = t.order === 'asc' ? 1 : -1;
    return t.by === 'section'
      ? (a, b) => compareNullsLast(a.sections[t.key] ?? null, b.sections[t.key] ?? null, sign)
      : (a, b) => compareNullsLast(a.timeUsedSeconds, b.timeUsedSeconds, sign);
  });
  return (a, b) => {
    const byTotal = (b.total as number) - (a.total as number);
    if (byTotal !== 0) return byTotal;
    for (let i = 0; i < steps.length; i++) {
      const c = steps[i](a, b);
      if (c !== 0) return c;
    }
    return 0;
  };
}

function compareNullsLast(a: number | null, b: number | null, sign: number): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -sign : a > b ? sign : 0;
}

/** Deterministic order that carries no meaning: bib ascending (none last), then enrolmentId by code unit. */
function byBibThenId(a: RankInput, b: RankInput): number {
  const byBib = compareNullsLast(a.bib, b.bib, 1);
  if (byBib !== 0) return byBib;
  return a.enrolmentId < b.enrolmentId ? -1 : a.enrolmentId > b.enrolmentId ? 1 : 0;
}
