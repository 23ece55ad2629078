import { Aggregation } from '../../competitions/domain/competition.types';

/**
 * Scoring arithmetic (ARCHITECTURE.md, "Scoring arithmetic"): marks, criterion scores, section
 * scores and totals are integers in hundredths (8.75 ⇒ 875). Every division rounds through
 * `roundHalfUp` on BigInt; no float decides a score or a rank.
 */

/**
 * A decimal number as integer hundredths, or null when it is not finite or has more than two
 * decimals. Exact on the doubles themselves: `h / 100` is the double nearest to the decimal h/100,
 * so it equals `value` exactly when `value` was written with at most two decimals (8.75 ⇒ 875
 * although 8.75 * 100 is 875.0000000000001; 1.005 ⇒ null because 1.005 * 100 rounds to 100 and
 * 100 / 100 is not 1.005). Null too beyond the safe-integer range, where hundredths stop being exact.
 */
export function toHundredths(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  const h = Math.round(value * 100);
  if (!Number.isSafeInteger(h) || h / 100 !== value) return null;
  return h === 0 ? 0 : h; // never -0
}

export function fromHundredths(h: number): number {
  return h / 100;
}

/**
 * numerator ÷ denominator rounded half-up to an integer: floor((2n + d) / (2d)). Halves go toward
 * +infinity (2.5 ⇒ 3, −2.5 ⇒ −2), so a negative value rounds like its positive neighbour shifted.
 */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError(`roundHalfUp needs a positive denominator (got ${denominator})`);
  return floorDiv(2n * numerator + denominator, 2n * denominator);
}

/** Floor division for a positive divisor (BigInt `/` truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/** The fewest marks an aggregation can work with; below it the criterion stays incomplete. */
export function minimumMarks(aggregation: Aggregation): number {
  return aggregation === 'trimmed_mean' ? 3 : 1;
}

/**
 * One criterion's score in hundredths from its marks in hundredths, rounded half-up once; null when
 * there is nothing to aggregate.
 * - `single`: the scheme asks for one mark; should more be present (say a second judge was
 *   assigned) they are averaged like `mean` rather than one picked arbitrarily.
 * - `mean`: Σ marks ÷ n.
 * - `trimmed_mean`: one highest and one lowest mark dropped (one of each even when several are
 *   equal), then the mean; null below 3 marks, which the caller treats as incomplete.
 * - `median`: the middle mark, or the mean of the two middle marks for an even count.
 */
export function aggregate(marks: number[], aggregation: Aggregation): number | null {
  const n = marks.length;
  if (n < minimumMarks(aggregation)) return null;
  switch (aggregation) {
    case 'single':
    case 'mean':
      return mean(sum(marks), n);
    case 'trimmed_mean': {
      let lo = marks[0];
      let hi = marks[0];
      for (let i = 1; i < n; i++) {
        if (marks[i] < lo) lo = marks[i];
        if (marks[i] > hi) hi = marks[i];
      }
      return mean(sum(marks) - lo - hi, n - 2);
    }
    case 'median': {
      const sorted = marks.slice().sort((a, b) => a - b);
      const mid = n >> 1;
      return n % 2 === 1 ? sorted[mid] : mean(sorted[mid - 1] + sorted[mid], 2);
    }
    default:
      throw new RangeError(`unknown aggregation "${aggregation as string}"`);
  }
}

/** Integer marks stay exact as doubles far beyond any real competition (2^53 hundredths). */
function sum(marks: number[]): number {
  let s = 0;
  for (let i = 0; i < marks.length; i++) s += marks[i];
  return s;
}

function mean(total: number, n: number): number {
  return Number(roundHalfUp(BigInt(total), BigInt(n)));
}

export interface CriterionInput {
  key: string;
  /** hundredths */
  maxScore: number;
  judgesRequired: number;
  aggregation: Aggregation;
  /** hundredths, from non-recused assigned judges */
  marks: number[];
}

export interface SectionInput {
  key: string;
  /** percent of the total, normally whole numbers summing to 100 */
  weight: number;
  criteria: CriterionInput[];
}

export interface EntryScore {
  /** hundredths; null while the criterion lacks marks */
  criteria: Record<string, number | null>;
  /** hundredths of a percentage point (0..10000), rounded for display; null while any of its criteria is */
  sections: Record<string, number | null>;
  /** hundredths (0..10000), null while the entry is incomplete */
  total: number | null;
  complete: boolean;
  missing: Array<{ criterion: string; have: number; need: number }>;
}

/**
 * An entry's score. A criterion counts once it has `judgesRequired` marks (and at least the
 * aggregation's minimum: 3 for `trimmed_mean`); its score is `aggregate` of all its marks.
 *
 * Section score S_s / M_s × 100 (S_s = Σ criterion scores, M_s = Σ criterion max) is rounded half-up
 * for display only. The total is computed exactly from the unrounded section ratios,
 *   total = Σ_s S_s × w_s × 100 / M_s − penalties   (in hundredths),
 * as one fraction over Π M_s in BigInt, floored at 0 and rounded half-up once — rounding sections
 * first could move the total by a hundredth. A weight may have up to two decimals.
 * Throws RangeError for a scheme no valid competition has (a section whose max sums to ≤ 0, a
 * weight with more decimals, penalties that are not integer hundredths): scheme validation and
 * the mark/penalty DTOs rule those out before they reach here. Marks are integer hundredths.
 */
export function scoreEntry(sections: SectionInput[], penalties: number): EntryScore {
  if (!Number.isSafeInteger(penalties)) throw new RangeError(`penalties must be integer hundredths (got ${penalties})`);
  const criteria: Record<string, number | null> = {};
  const sectionScores: Record<string, number | null> = {};
  const missing: Array<{ criterion: string; have: number; need: number }> = [];
  let complete = true;
  // Σ_s S_s × w_s(hundredths) / M_s as num / den, over den = Π M_s.
  let num = 0n;
  let den = 1n;
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i];
    let scored = 0;
    let max = 0;
    let sectionComplete = true;
    for (let j = 0; j < section.criteria.length; j++) {
      const c = section.criteria[j];
      const need = Math.max(c.judgesRequired, minimumMarks(c.aggregation));
      const have = c.marks.length;
      const score = have >= need ? aggregate(c.marks, c.aggregation) : null;
      criteria[c.key] = score;
      max += c.maxScore;
      if (score === null) {
        sectionComplete = false;
        missing.push({ criterion: c.key, have, need });
      } else {
        scored += score;
      }
    }
    if (!(max > 0) || !Number.isSafeInteger(max)) throw new RangeError(`section "${section.key}" needs criteria whose maxScore (hundredths) sums to a positive integer`);
    if (!sectionComplete) {
      sectionScores[section.key] = null;
      complete = false;
      continue;
    }
    const s = BigInt(scored);
    const m = BigInt(max);
    sectionScores[section.key] = Number(roundHalfUp(s * 10000n, m));
    if (!complete) continue; // the total is null anyway; keep showing the complete sections
    const w = toHundredths(section.weight);
    if (w === null) throw new RangeError(`section "${section.key}" has weight ${section.weight}; at most two decimals`);
    num = num * m + s * BigInt(w) * den;
    den *= m;
  }
  let total: number | null = null;
  if (complete) {
    const net = num - BigInt(penalties) * den;
    total = net <= 0n ? 0 : Number(roundHalfUp(net, den));
  }
  return { criteria, sections: sectionScores, total, complete, missing };
}
