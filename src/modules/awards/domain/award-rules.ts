import { toHundredths } from '../../scoring/domain/arithmetic';
import { AWARD_TYPES, AwardRule, AwardType, ContestantType, MedalPolicy } from '../../competitions/domain/competition.types';

/** Without configured rules, first place (every entry tied at rank 1) gets the May-Day Labour Medal. */
export const DEFAULT_RULES: readonly AwardRule[] = [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }];

/** One entry's final result, as frozen by the results module (total in hundredths; rank null = not ranked). */
export interface FinalResult {
  enrolmentId: string;
  workerId: string;
  rank: number | null;
  total: number;
  complete: boolean;
}

export interface AwardRulesInput {
  /** The competition's level (city, province, …): every award is of that level. */
  level: string;
  contestantType: ContestantType;
  medalPolicy: MedalPolicy;
  /** The competition's rules; empty or missing ⇒ DEFAULT_RULES. */
  awardRules?: readonly AwardRule[] | null;
  results: readonly FinalResult[];
}

export type NewAwardStatus = 'issued' | 'nominated';

export interface AwardGrant {
  enrolmentId: string;
  workerId: string;
  type: AwardType;
  level: string;
  rank: number;
  /** Hundredths. */
  total: number;
  status: NewAwardStatus;
}

/**
 * The smallest total in hundredths that reaches `minTotal` points. Exact for thresholds written with
 * at most two decimals (60.1 ⇒ 6010, where 60.1 * 100 is 6009.999…); a finer one (60.005) rounds up,
 * since a total of 6000 hundredths does not reach 60.005.
 */
export function minTotalInHundredths(minTotal: number): number {
  return toHundredths(minTotal) ?? Math.ceil(minTotal * 100);
}

/**
 * Team contestants (班组, 工人先锋号) get the Worker Pioneer title where a rule names the individual
 * May-Day Labour Medal; every other award stays what the rule says.
 */
export function awardFor(rule: AwardRule, contestantType: ContestantType): AwardType {
  return contestantType === 'team' && rule.award === 'may_day_medal' ? 'worker_pioneer' : rule.award;
}

/** Only the medal waits for the parent organization under `nominate`; every other award is issued at once. */
export function initialStatus(type: AwardType, medalPolicy: MedalPolicy): NewAwardStatus {
  return medalPolicy === 'nominate' && type === 'may_day_medal' ? 'nominated' : 'issued';
}

const typeOrder = (t: string) => (AWARD_TYPES as readonly string[]).indexOf(t);

/**
 * The awards a finalized competition gives (ARCHITECTURE.md, "Awards, exactly once"). Every rule is
 * applied on its own, so overlapping ranges give several awards to the same entry (medal and 技术能手);
 * an entry tied at a rank is inside a range exactly when the rank is, so everyone tied for first gets
 * the medal. Unranked or incomplete entries get nothing. At most one award per worker and type, the
 * same key the database holds unique. Sorted by rank, then award type, then entry, so the result is
 * deterministic whatever the input order.
 */
export function applyAwardRules(input: AwardRulesInput): AwardGrant[] {
  const rules = input.awardRules && input.awardRules.length > 0 ? input.awardRules : DEFAULT_RULES;
  const ranked = input.results.filter((r): r is FinalResult & { rank: number } => r.complete && r.rank !== null && Number.isInteger(r.rank) && r.rank >= 1);
  const grants = new Map<string, AwardGrant>();
  for (const rule of rules) {
    const min = rule.minTotal === undefined || rule.minTotal === null ? null : minTotalInHundredths(rule.minTotal);
    const type = awardFor(rule, input.contestantType);
    for (const r of ranked) {
      if (r.rank < rule.fromRank || r.rank > rule.toRank) continue;
      if (min !== null && r.total < min) continue;
      const key = `${r.workerId}|${type}`;
      if (grants.has(key)) continue;
      grants.set(key, { enrolmentId: r.enrolmentId, workerId: r.workerId, type, level: input.level, rank: r.rank, total: r.total, status: initialStatus(type, input.medalPolicy) });
    }
  }
  return [...grants.values()].sort(
    (a, b) => a.rank - b.rank || typeOrder(a.type) - typeOrder(b.type) || (a.enrolmentId < b.enrolmentId ? -1 : a.enrolmentId > b.enrolmentId ? 1 : 0),
  );
}
