import { Aggregation } from '../../competitions/domain/competition.types';
import { CriterionInput, SectionInput, aggregate, fromHundredths, minimumMarks, roundHalfUp, scoreEntry, toHundredths } from './arithmetic';

describe('toHundredths', () => {
  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['three decimals that float noise would round away (1.005 * 100 = 100.49999999999999)', 1.005],
    ['three decimals', 8.755],
    ['a thousandth', 0.001],
    ['half a hundredth', 0.005],
    ['a computed 0.1 + 0.2, which is not the double of 0.3 (0.30000000000000004)', 0.1 + 0.2],
    ['a value beyond the safe-integer range of hundredths', 1e21],
  ])('refuses %s', (_label, value) => {
    expect(toHundredths(value)).toBeNull();
  });

  it.each([
    [8.75, 875], // 8.75 * 100 = 875.0000000000001
    [0.29, 29], // 0.29 * 100 = 28.999999999999996
    [4.35, 435], // 4.35 * 100 = 434.99999999999994
    [1.15, 115],
    [1.1, 110],
    [19.99, 1999],
    [0.01, 1],
    [0, 0],
    [100, 10000],
    [-8.75, -875],
    [123456.78, 12345678],
  ])('reads %p as %p hundredths despite float noise', (value, expected) => {
    expect(toHundredths(value)).toBe(expected);
  });

  it('never answers -0', () => {
    expect(Object.is(toHundredths(-0), 0)).toBe(true);
  });

  it('round-trips every two-decimal value from 0.00 to 1000.00 through fromHundredths', () => {
    for (let h = 0; h <= 100000; h++) {
      if (toHundredths(fromHundredths(h)) !== h) throw new Error(`${h} did not round-trip`);
    }
  });

  it.each([
    [875, 8.75],
    [29, 0.29],
    [0, 0],
    [10000, 100],
    [-150, -1.5],
  ])('turns %p hundredths into %p', (h, value) => {
    expect(fromHundredths(h)).toBe(value);
  });
});

describe('roundHalfUp', () => {
  it.each([[0n], [-1n], [-100n]])('refuses the denominator %p', (d) => {
    expect(() => roundHalfUp(1n, d)).toThrow(RangeError);
  });

  it.each([
    // [numerator, denominator, result, what]
    [0n, 5n, 0n, 'zero'],
    [10n, 5n, 2n, 'an exact quotient'],
    [5n, 2n, 3n, 'a half (2.5) up'],
    [1n, 2n, 1n, 'a half (0.5) up'],
    [7n, 2n, 4n, '3.5 up'],
    [4n, 3n, 1n, '1.33 down'],
    [5n, 3n, 2n, '1.67 up'],
    [8754999n, 1000000n, 9n, 'just below a half (8.754999) down'],
    [8755001n, 1000000n, 9n, 'just above a half (8.755001) up'],
    [4999n, 1000n, 5n, '4.999 up'],
    [4499n, 1000n, 4n, '4.499 down'],
    [-10n, 5n, -2n, 'an exact negative quotient'],
    [-5n, 2n, -2n, 'a negative half (−2.5) toward +infinity'],
    [-1n, 2n, 0n, '−0.5 toward +infinity'],
    [-7n, 2n, -3n, '−3.5 toward +infinity'],
    [-1n, 3n, 0n, '−0.33 to 0'],
    [-2n, 3n, -1n, '−0.67 to −1'],
    [-8754999n, 1000000n, -9n, '−8.754999 to the nearest, −9'],
    [-8755001n, 1000000n, -9n, '−8.755001 to the nearest, −9'],
    [10n ** 30n + 1n, 2n, 5n * 10n ** 29n + 1n, 'a number beyond any double, exactly'],
  ])('rounds %p / %p to %p (%s)', (n, d, expected) => {
    expect(roundHalfUp(n, d)).toBe(expected);
  });

  it('agrees with floor(x + 1/2) on every fraction n/d with |n| ≤ 60 and d ≤ 12', () => {
    for (let d = 1; d <= 12; d++) {
      for (let n = -60; n <= 60; n++) {
        // Exact on these small values: (2n + d) / (2d) is never within float noise of an integer it does not equal.
        const expected = BigInt(Math.floor((2 * n + d) / (2 * d)));
        if (roundHalfUp(BigInt(n), BigInt(d)) !== expected) throw new Error(`${n}/${d}`);
      }
    }
  });
});

describe('aggregate', () => {
  describe('edge cases', () => {
    it.each([['single'], ['mean'], ['trimmed_mean'], ['median']] as Array<[Aggregation]>)('gives null for no marks with %s', (aggregation) => {
      expect(aggregate([], aggregation)).toBeNull();
    });

    it.each([
      ['one mark', [800]],
      ['two marks', [800, 900]],
    ])('gives null for a trimmed mean of %s (it needs 3; the caller treats it as incomplete)', (_label, marks) => {
      expect(aggregate(marks, 'trimmed_mean')).toBeNull();
    });

    it.each([
      ['single', [850, 850, 850, 850, 850]],
      ['mean', [850, 850, 850, 850, 850]],
      ['trimmed_mean', [850, 850, 850, 850, 850]],
      ['median', [850, 850, 850, 850, 850]],
      ['median', [850, 850, 850, 850]],
      ['trimmed_mean', [850, 850, 850]],
    ] as Array<[Aggregation, number[]]>)('gives the common mark when all marks are equal: %s of %p', (aggregation, marks) => {
      expect(aggregate(marks, aggregation)).toBe(850);
    });

    it.each([
      ['trimmed_mean drops only one of two equal lowest marks', [800, 800, 800, 900, 900], 'trimmed_mean', 833], // (800+800+900)/3 = 833.33
      ['trimmed_mean drops only one of two equal highest marks', [700, 900, 900, 900, 800], 'trimmed_mean', 867], // (800+900+900)/3 = 866.67
      ['median of tied middle marks', [800, 800, 900], 'median', 800],
      ['median of an even count with tied middle marks', [700, 800, 800, 900], 'median', 800],
      ['mean with ties', [800, 800, 900], 'mean', 833],
    ] as Array<[string, number[], Aggregation, number]>)('handles ties in marks: %s', (_label, marks, aggregation, expected) => {
      expect(aggregate(marks, aggregation)).toBe(expected);
    });
  });

  describe('rounding at .005, once, half-up', () => {
    const justBelow = [...Array<number>(998).fill(875), 875 + 499]; // Σ = 999 × 875 + 499 ⇒ 875.4995
    const justAbove = [...Array<number>(998).fill(875), 875 + 500]; // Σ = 999 × 875 + 500 ⇒ 875.5005
    it.each([
      ['a mean landing exactly on 8.755 rounds up to 8.76', [875, 876], 'mean', 876],
      ['a mean of 8.755 over eight marks rounds up', [875, 875, 875, 875, 876, 876, 876, 876], 'mean', 876],
      ['a mean of 8.754 (4377 / 5) rounds down to 8.75', [875, 875, 875, 876, 876], 'mean', 875],
      ['a mean of 8.754995 (just below the half) rounds down', justBelow, 'mean', 875],
      ['a mean of 8.755005 (just above the half) rounds up', justAbove, 'mean', 876],
      ['a mean of 8.7533 rounds down', [875, 875, 876], 'mean', 875],
      ['a mean of 8.7567 rounds up', [875, 876, 876], 'mean', 876],
      ['a median of two middle marks averaging 8.755 rounds up', [875, 876], 'median', 876],
      ['a median of 1.015 over four marks rounds up', [100, 101, 102, 103], 'median', 102],
      ['a trimmed mean landing on 1.015 rounds up', [100, 101, 102, 200], 'trimmed_mean', 102],
      ['a trimmed mean of 1.0033 rounds down', [0, 100, 100, 101, 1000], 'trimmed_mean', 100],
      ['two single marks averaging 8.755 round up', [875, 876], 'single', 876],
    ] as Array<[string, number[], Aggregation, number]>)('%s', (_label, marks, aggregation, expected) => {
      expect(aggregate(marks, aggregation)).toBe(expected);
    });
  });

  describe('each aggregation', () => {
    it.each([
      ['single of one mark', [875], 'single', 875],
      ['single of two marks (averaged, not picked)', [800, 900], 'single', 850],
      ['mean of three', [800, 900, 1000], 'mean', 900],
      ['mean of one', [640], 'mean', 640],
      ['mean of zeros', [0, 0, 0], 'mean', 0],
      ['trimmed_mean of 3 marks is the middle one', [950, 700, 800], 'trimmed_mean', 800],
      ['trimmed_mean of 4 marks is the mean of the middle two', [700, 950, 800, 850], 'trimmed_mean', 825],
      ['trimmed_mean of 5 marks', [900, 700, 850, 950, 800], 'trimmed_mean', 850],
      ['trimmed_mean of 5 marks ignores an outlier', [3200, 3350, 3525, 3100, 3675], 'trimmed_mean', 3358], // 10075 / 3 = 3358.33
      ['trimmed_mean of 6 marks', [100, 200, 300, 400, 500, 10000], 'trimmed_mean', 350],
      ['median of one', [875], 'median', 875],
      ['median of an odd count, unsorted', [900, 700, 800], 'median', 800],
      ['median of 5, unsorted', [1000, 100, 500, 900, 200], 'median', 500],
      ['median of an even count', [1000, 700, 900, 800], 'median', 850],
      ['median of two', [700, 800], 'median', 750],
    ] as Array<[string, number[], Aggregation, number]>)('%s', (_label, marks, aggregation, expected) => {
      expect(aggregate(marks, aggregation)).toBe(expected);
    });

    it.each([['single'], ['mean'], ['trimmed_mean'], ['median']] as Array<[Aggregation]>)('leaves the marks array as it was (%s)', (aggregation) => {
      const marks = [900, 700, 800, 1000, 600];
      aggregate(marks, aggregation);
      expect(marks).toEqual([900, 700, 800, 1000, 600]);
    });

    it('refuses an unknown aggregation', () => {
      expect(() => aggregate([1, 2, 3], 'mode' as Aggregation)).toThrow(RangeError);
    });

    it.each([
      ['single', 1],
      ['mean', 1],
      ['median', 1],
      ['trimmed_mean', 3],
    ] as Array<[Aggregation, number]>)('lets %s work from %i mark(s)', (aggregation, n) => {
      expect(minimumMarks(aggregation)).toBe(n);
    });
  });
});

// The scheme of API.md: theory 30 % (exam, max 100, single); practical 70 % (wiring, max 40,
// trimmed_mean of 5 judges; safety, max 10, mean of 3 judges).
const apiScheme = (marks: { exam: number[]; wiring: number[]; safety: number[] }): SectionInput[] => [
  { key: 'theory', weight: 30, criteria: [{ key: 'exam', maxScore: 10000, judgesRequired: 1, aggregation: 'single', marks: marks.exam }] },
  {
    key: 'practical',
    weight: 70,
    criteria: [
      { key: 'wiring', maxScore: 4000, judgesRequired: 5, aggregation: 'trimmed_mean', marks: marks.wiring },
      { key: 'safety', maxScore: 1000, judgesRequired: 3, aggregation: 'mean', marks: marks.safety },
    ],
  },
];
const fullMarks = { exam: [8550], wiring: [3200, 3350, 3525, 3100, 3675], safety: [850, 900, 875] };

/** Two one-criterion sections, single judge each: the smallest scheme that shows a rule. */
const twoSections = (a: { max: number; mark: number; weight: number }, b: { max: number; mark: number; weight: number }): SectionInput[] => [
  { key: 'a', weight: a.weight, criteria: [{ key: 'ca', maxScore: a.max, judgesRequired: 1, aggregation: 'single', marks: [a.mark] }] },
  { key: 'b', weight: b.weight, criteria: [{ key: 'cb', maxScore: b.max, judgesRequired: 1, aggregation: 'single', marks: [b.mark] }] },
];

describe('scoreEntry', () => {
  describe('missing marks', () => {
    it('leaves the total null and names the criterion when wiring has 4 of its 5 marks, while theory still shows', () => {
      expect(scoreEntry(apiScheme({ ...fullMarks, wiring: [3200, 3350, 3525, 3100] }), 0)).toEqual({
        criteria: { exam: 8550, wiring: null, safety: 875 },
        sections: { theory: 8550, practical: null },
        total: null,
        complete: false,
        missing: [{ criterion: 'wiring', have: 4, need: 5 }],
      });
    });

    it('names every criterion of an entry nobody has marked yet', () => {
      expect(scoreEntry(apiScheme({ exam: [], wiring: [], safety: [] }), 0)).toEqual({
        criteria: { exam: null, wiring: null, safety: null },
        sections: { theory: null, practical: null },
        total: null,
        complete: false,
        missing: [
          { criterion: 'exam', have: 0, need: 1 },
          { criterion: 'wiring', have: 0, need: 5 },
          { criterion: 'safety', have: 0, need: 3 },
        ],
      });
    });

    it('shows a later complete section although an earlier one is incomplete', () => {
      const score = scoreEntry(apiScheme({ ...fullMarks, exam: [] }), 0);
      expect(score).toMatchObject({ sections: { theory: null, practical: 8466 }, total: null, complete: false });
    });

    it('keeps the total null however large the penalty when the entry is incomplete', () => {
      expect(scoreEntry(apiScheme({ ...fullMarks, safety: [900] }), 100000).total).toBeNull();
    });

    it('needs 3 marks for a trimmed mean even when a (mis-configured) criterion requires fewer judges', () => {
      const sections: SectionInput[] = [{ key: 's', weight: 100, criteria: [{ key: 'c', maxScore: 1000, judgesRequired: 2, aggregation: 'trimmed_mean', marks: [800, 900] }] }];
      expect(scoreEntry(sections, 0)).toMatchObject({ total: null, complete: false, missing: [{ criterion: 'c', have: 2, need: 3 }] });
    });

    it('uses every mark when more judges marked than required', () => {
      // trimmed mean of 6: drop 3100 and 3675 ⇒ (3200 + 3350 + 3525 + 3400) / 4 = 3368.75 ⇒ 3369
      expect(scoreEntry(apiScheme({ ...fullMarks, wiring: [3200, 3350, 3525, 3100, 3675, 3400] }), 0).criteria.wiring).toBe(3369);
    });
  });

  describe('penalties', () => {
    it.each([
      ['exceeding the total', 9000, 0],
      ['far exceeding the total', 1000000, 0],
      ['exceeding the total by a fraction of a hundredth (84.912 − 84.92)', 8492, 0],
      ['equal to the rounded total (84.91)', 8491, 0], // 8491.2 − 8491 = 0.2 ⇒ 0
      ['a hundredth below the total', 8490, 1], // 1.2 ⇒ 1
      ['none', 0, 8491],
      ['1.50 points', 150, 8341], // 8491.2 − 150 = 8341.2
    ])('floors the total at 0 and rounds once, with penalties %s (%p)', (_label, penalties, expected) => {
      expect(scoreEntry(apiScheme(fullMarks), penalties).total).toBe(expected);
    });

    it('refuses penalties that are not integer hundredths', () => {
      expect(() => scoreEntry(apiScheme(fullMarks), 1.5)).toThrow(RangeError);
    });
  });

  describe('the API.md example scheme (30 / 70)', () => {
    it('computes the hand-checked total 84.91', () => {
      // exam 85.50 (single) ⇒ theory 85.50 %.
      // wiring 32.00 33.50 35.25 31.00 36.75 ⇒ drop 31.00 and 36.75 ⇒ 100.75 / 3 = 33.583 ⇒ 33.58.
      // safety 8.50 9.00 8.75 ⇒ 8.75.   practical = (33.58 + 8.75) / 50 × 100 = 84.66 %.
      // total = 85.50 × 30 / 100 + 84.66 × 70 / 100 = 25.65 + 59.262 = 84.912 ⇒ 84.91.
      expect(scoreEntry(apiScheme(fullMarks), 0)).toEqual({
        criteria: { exam: 8550, wiring: 3358, safety: 875 },
        sections: { theory: 8550, practical: 8466 },
        total: 8491,
        complete: true,
        missing: [],
      });
    });

    it.each([
      ['full marks', { exam: [10000], wiring: [4000, 4000, 4000, 4000, 4000], safety: [1000, 1000, 1000] }, 10000],
      ['zero everywhere', { exam: [0], wiring: [0, 0, 0, 0, 0], safety: [0, 0, 0] }, 0],
      ['full theory only', { exam: [10000], wiring: [0, 0, 0, 0, 0], safety: [0, 0, 0] }, 3000],
      ['full practical only', { exam: [0], wiring: [4000, 4000, 4000, 4000, 4000], safety: [1000, 1000, 1000] }, 7000],
    ])('gives %s the total %p', (_label, marks, expected) => {
      expect(scoreEntry(apiScheme(marks), 0).total).toBe(expected);
    });
  });

  describe('rounding of sections and the total', () => {
    it.each([
      // [what, a, b, section a, section b, total]
      ['a section landing on .5 hundredths rounds up for display', { max: 800, mark: 1, weight: 50 }, { max: 10000, mark: 0, weight: 50 }, 13, 0, 6], // 12.5 ⇒ 13; total 6.25 ⇒ 6
      ['a section below .5 hundredths rounds down for display', { max: 300, mark: 1, weight: 50 }, { max: 10000, mark: 0, weight: 50 }, 33, 0, 17], // 33.33 ⇒ 33; total 16.67 ⇒ 17
      ['a total landing exactly on .5 hundredths rounds up', { max: 10000, mark: 8001, weight: 50 }, { max: 10000, mark: 8000, weight: 50 }, 8001, 8000, 8001], // 8000.5
      ['a total just below .5 hundredths rounds down', { max: 10000, mark: 8001, weight: 49 }, { max: 10000, mark: 8000, weight: 51 }, 8001, 8000, 8000], // 8000.49
      ['a total just above .5 hundredths rounds up', { max: 10000, mark: 8001, weight: 51 }, { max: 10000, mark: 8000, weight: 49 }, 8001, 8000, 8001], // 8000.51
    ])('%s', (_label, a, b, sectionA, sectionB, total) => {
      expect(scoreEntry(twoSections(a, b), 0)).toMatchObject({ sections: { a: sectionA, b: sectionB }, total });
    });

    it('weights the exact section ratios, not the rounded section scores (which would give 82.34)', () => {
      // theory: exam 80.02 of 100 ⇒ 80.02 %.  practical: wiring 25.83 of 30 + safety 7.50 of 10
      // ⇒ 33.33 / 40 = 83.325 % (shown 83.33).
      // exact:        80.02 × 0.3 + 83.325 × 0.7 = 24.006 + 58.3275 = 82.3335 ⇒ 82.33
      // rounded first: 80.02 × 0.3 + 83.33 × 0.7  = 24.006 + 58.331  = 82.337  ⇒ 82.34
      const sections: SectionInput[] = [
        { key: 'theory', weight: 30, criteria: [{ key: 'exam', maxScore: 10000, judgesRequired: 1, aggregation: 'single', marks: [8002] }] },
        {
          key: 'practical',
          weight: 70,
          criteria: [
            { key: 'wiring', maxScore: 3000, judgesRequired: 1, aggregation: 'single', marks: [2583] },
            { key: 'safety', maxScore: 1000, judgesRequired: 1, aggregation: 'single', marks: [750] },
          ],
        },
      ];
      const score = scoreEntry(sections, 0);
      expect(score.sections).toEqual({ theory: 8002, practical: 8333 });
      const roundedFirst = roundHalfUp(BigInt(8002 * 30 + 8333 * 70), 100n);
      expect(roundedFirst).toBe(8234n);
      expect(score.total).toBe(8233);
    });

    it('accepts a weight with two decimals', () => {
      expect(scoreEntry(twoSections({ max: 10000, mark: 10000, weight: 33.33 }, { max: 10000, mark: 0, weight: 66.67 }), 0).total).toBe(3333);
    });
  });

  describe('schemes no valid competition has', () => {
    it.each([
      ['a section with no criteria', [{ key: 'empty', weight: 100, criteria: [] }]],
      ['a section whose max sums to 0', [{ key: 's', weight: 100, criteria: [{ key: 'c', maxScore: 0, judgesRequired: 1, aggregation: 'single', marks: [0] }] }]],
      ['a weight with three decimals', [{ key: 's', weight: 33.333, criteria: [{ key: 'c', maxScore: 100, judgesRequired: 1, aggregation: 'single', marks: [50] }] }]],
    ] as Array<[string, SectionInput[]]>)('refuses %s', (_label, sections) => {
      expect(() => scoreEntry(sections, 0)).toThrow(RangeError);
    });
  });

  describe('against an independent computation with exact fractions', () => {
    /** A fraction in lowest terms with a positive denominator. */
    class Fraction {
      readonly n: bigint;
      readonly d: bigint;
      constructor(n: bigint, d: bigint = 1n) {
        if (d < 0n) [n, d] = [-n, -d];
        const g = gcd(n < 0n ? -n : n, d);
        this.n = n / g;
        this.d = d / g;
      }
      plus(o: Fraction) {
        return new Fraction(this.n * o.d + o.n * this.d, this.d * o.d);
      }
      times(o: Fraction) {
        return new Fraction(this.n * o.n, this.d * o.d);
      }
      /** Nearest integer, halves up, for a non-negative fraction: floor, then +1 when the remainder is at least half. */
      roundNonNegative(): bigint {
        const q = this.n / this.d;
        return 2n * (this.n - q * this.d) >= this.d ? q + 1n : q;
      }
    }
    const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a === 0n ? 1n : a) : gcd(b, a % b));
    const frac = (n: number, d = 1) => new Fraction(BigInt(n), BigInt(d));

    /** Criterion score in hundredths, by sorting and fractions (no shared code with aggregate). */
    const referenceCriterion = (marks: number[], aggregation: Aggregation): number => {
      const sorted = [...marks].sort((a, b) => a - b);
      const used =
        aggregation === 'trimmed_mean' ? sorted.slice(1, -1) : aggregation === 'median' ? sorted.slice((sorted.length - 1) >> 1, (sorted.length >> 1) + 1) : sorted;
      return Number(new Fraction(BigInt(used.reduce((s, m) => s + m, 0)), BigInt(used.length)).roundNonNegative());
    };

    /** Total in hundredths: Σ (S / M) × w × 100 − penalties, floored at 0, rounded once. */
    const referenceTotal = (sections: SectionInput[], penalties: number): number => {
      let total = frac(0);
      for (const s of sections) {
        const scored = s.criteria.reduce((acc, c) => acc + referenceCriterion(c.marks, c.aggregation), 0);
        const max = s.criteria.reduce((acc, c) => acc + c.maxScore, 0);
        total = total.plus(frac(scored, max).times(frac(s.weight * 100)));
      }
      total = total.plus(frac(-penalties));
      return total.n <= 0n ? 0 : Number(total.roundNonNegative());
    };

    /** mulberry32: a seeded generator, so a failure reproduces. */
    const seeded = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };

    const randomEntry = (random: () => number): { sections: SectionInput[]; penalties: number } => {
      const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      const sectionCount = int(1, 4);
      // weights: whole numbers ≥ 1 summing to 100
      const cuts = Array.from({ length: sectionCount - 1 }, () => int(1, 99)).sort((a, b) => a - b);
      const bounds = [0, ...cuts, 100];
      const weights = bounds.slice(1).map((b, i) => b - bounds[i]).map((w) => Math.max(w, 1));
      const aggregations: Aggregation[] = ['single', 'mean', 'trimmed_mean', 'median'];
      let k = 0;
      const sections = weights.map((weight, i): SectionInput => ({
        key: `s${i}`,
        weight,
        criteria: Array.from({ length: int(1, 5) }, (): CriterionInput => {
          const aggregation = aggregations[int(0, 3)];
          const judgesRequired = aggregation === 'single' ? 1 : aggregation === 'trimmed_mean' ? int(3, 7) : int(1, 6);
          const maxScore = [int(1, 10000), int(1, 20) * 500, 333, 700, 4000][int(0, 4)];
          const marks = Array.from({ length: judgesRequired }, () => int(0, maxScore));
          return { key: `c${k++}`, maxScore, judgesRequired, aggregation, marks };
        }),
      }));
      const penalties = [0, 0, int(0, 500), int(0, 12000)][int(0, 3)];
      return { sections, penalties };
    };

    it('gives the same total as exact fractions for 1,000 random complete entries', () => {
      const random = seeded(20260501);
      let nonZero = 0;
      for (let i = 0; i < 1000; i++) {
        const { sections, penalties } = randomEntry(random);
        const score = scoreEntry(sections, penalties);
        expect(score.complete).toBe(true);
        const expected = referenceTotal(sections, penalties);
        if (score.total !== expected) throw new Error(`entry ${i}: ${score.total} ≠ ${expected} for ${JSON.stringify({ sections, penalties })}`);
        for (const s of sections) for (const c of s.criteria) expect(score.criteria[c.key]).toBe(referenceCriterion(c.marks, c.aggregation));
        if (expected > 0) nonZero++;
      }
      expect(nonZero).toBeGreaterThan(500); // the cases are not mostly floored at 0
    });
  });
});
