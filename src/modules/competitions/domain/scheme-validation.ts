import { AWARD_TYPES, AwardRule, Schedule, ScoringScheme, TieBreaker } from './competition.types';

const KEY = /^[a-z0-9][a-z0-9_-]{0,49}$/;

const hasAtMostTwoDecimals = (n: number) => Number.isFinite(n) && Math.abs(Math.round(n * 100) - n * 100) < 1e-9;

/**
 * The rules a scoring scheme must follow; every failure is named (a path and what is wrong), all at
 * once. The shape (types, required fields) is checked before by the DTO; this checks the meaning.
 */
export function validateScheme(scoring: ScoringScheme): string[] {
  const errors: string[] = [];
  if (!scoring.sections || scoring.sections.length === 0) return ['scoring.sections must hold at least one section'];
  const sectionKeys = new Set<string>();
  const criterionKeys = new Set<string>();
  let weightSum = 0;
  scoring.sections.forEach((s, i) => {
    const at = `scoring.sections[${i}]`;
    if (!KEY.test(s.key)) errors.push(`${at}.key "${s.key}" must be URL-safe: lower-case letters, digits, "-" or "_" (up to 50)`);
    if (sectionKeys.has(s.key)) errors.push(`${at}.key "${s.key}" is used by another section`);
    sectionKeys.add(s.key);
    if (!Number.isInteger(s.weight) || s.weight < 1 || s.weight > 100) errors.push(`${at}.weight must be a whole number from 1 to 100`);
    weightSum += Number.isFinite(s.weight) ? s.weight : 0;
    if (!s.criteria || s.criteria.length === 0) errors.push(`${at}.criteria must hold at least one criterion`);
    (s.criteria ?? []).forEach((c, j) => {
      const cat = `${at}.criteria[${j}]`;
      if (!KEY.test(c.key)) errors.push(`${cat}.key "${c.key}" must be URL-safe: lower-case letters, digits, "-" or "_" (up to 50)`);
      if (criterionKeys.has(c.key)) errors.push(`${cat}.key "${c.key}" is used by another criterion`);
      criterionKeys.add(c.key);
      if (!(c.maxScore > 0)) errors.push(`${cat}.maxScore must be greater than 0`);
      else if (!hasAtMostTwoDecimals(c.maxScore)) errors.push(`${cat}.maxScore may have at most two decimals`);
      if (!Number.isInteger(c.judgesRequired) || c.judgesRequired < 1) errors.push(`${cat}.judgesRequired must be a whole number of at least 1`);
      else if (c.aggregation === 'trimmed_mean' && c.judgesRequired < 3) errors.push(`${cat}: trimmed_mean drops the highest and the lowest mark and needs judgesRequired of at least 3`);
      else if (c.aggregation === 'single' && c.judgesRequired !== 1) errors.push(`${cat}: single aggregation needs judgesRequired of exactly 1`);
    });
  });
  if (weightSum !== 100) errors.push(`scoring.sections weights must sum to 100 (they sum to ${weightSum})`);
  return errors;
}

export function validateTieBreakers(tieBreakers: TieBreaker[], scoring: ScoringScheme | undefined): string[] {
  const sections = new Set((scoring?.sections ?? []).map((s) => s.key));
  return tieBreakers.flatMap((t, i) =>
    t.by === 'section' && !sections.has(t.key) ? [`tieBreakers[${i}].key "${t.key}" names no section of the scoring scheme`] : [],
  );
}

export function validateAwardRules(rules: AwardRule[]): string[] {
  return rules.flatMap((r, i) => {
    const at = `awardRules[${i}]`;
    const errs: string[] = [];
    if (!Number.isInteger(r.fromRank) || r.fromRank < 1) errs.push(`${at}.fromRank must be a whole number of at least 1`);
    if (!Number.isInteger(r.toRank) || r.toRank < r.fromRank) errs.push(`${at}.toRank must be a whole number not below fromRank`);
    if (!(AWARD_TYPES as readonly string[]).includes(r.award)) errs.push(`${at}.award "${r.award}" is not a known award (${AWARD_TYPES.join(', ')})`);
    if (r.minTotal !== undefined && !(r.minTotal >= 0 && r.minTotal <= 100)) errs.push(`${at}.minTotal must be from 0 to 100`);
    return errs;
  });
}

const SCHEDULE_ORDER: Array<keyof Schedule> = ['enrolmentOpensAt', 'enrolmentClosesAt', 'startsAt', 'endsAt'];

/** Times present must parse and come in order: enrolment opens < closes ≤ starts < ends. */
export function validateSchedule(schedule: Schedule): string[] {
  const errors: string[] = [];
  const times = SCHEDULE_ORDER.map((k) => [k, schedule[k] === undefined ? undefined : Date.parse(schedule[k]!)] as const);
  for (const [k, t] of times) if (t !== undefined && Number.isNaN(t)) errors.push(`schedule.${k} is not an ISO-8601 time`);
  if (errors.length) return errors;
  const present = times.filter(([, t]) => t !== undefined) as Array<readonly [keyof Schedule, number]>;
  for (let i = 1; i < present.length; i++) {
    const [prevKey, prev] = present[i - 1];
    const [key, t] = present[i];
    const strict = !(prevKey === 'enrolmentClosesAt' && key === 'startsAt');
    if (strict ? t <= prev : t < prev) errors.push(`schedule.${key} must come after schedule.${prevKey}`);
  }
  return errors;
}

export interface CompetitionRulesInput {
  scoring?: ScoringScheme;
  tieBreakers?: TieBreaker[];
  awardRules?: AwardRule[];
  schedule?: Schedule;
  enrolmentRules?: { minAge?: number; maxAge?: number };
}

/** All semantic checks of a competition's configuration, for create and edit (400 with every failure). */
export function validateCompetitionRules(input: CompetitionRulesInput): string[] {
  const errors: string[] = [];
  if (input.scoring) errors.push(...validateScheme(input.scoring));
  if (input.tieBreakers) errors.push(...validateTieBreakers(input.tieBreakers, input.scoring));
  if (input.awardRules) errors.push(...validateAwardRules(input.awardRules));
  if (input.schedule) errors.push(...validateSchedule(input.schedule));
  const r = input.enrolmentRules;
  if (r?.minAge !== undefined && r.maxAge !== undefined && r.minAge > r.maxAge) errors.push('enrolmentRules.minAge must not exceed enrolmentRules.maxAge');
  return errors;
}
