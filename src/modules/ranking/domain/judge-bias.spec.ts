import { JudgeMark, judgeBias } from './judge-bias';

/** mulberry32: seeded, so a failure reproduces. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/**
 * Every judge marks every entry on one criterion: the entry's true level plus offset(judge, entry).
 * True levels run 60.00..90.00 so the marks stay positive.
 */
const panel = (judges: string[], entries: number, offset: (judge: number, entry: number) => number, criterion = 'wiring'): JudgeMark[] =>
  judges.flatMap((judgeId, j) => Array.from({ length: entries }, (_, e) => ({ judgeId, enrolmentId: `e${e}`, criterion, value: 6000 + ((e * 37) % 3000) + offset(j, e) })));

const judgesNamed = (n: number) => Array.from({ length: n }, (_, i) => `j${i + 1}`);
const flaggedOf = (rows: ReturnType<typeof judgeBias>) => rows.filter((r) => r.flagged).map((r) => `${r.criterion}/${r.judgeId}`);

describe('judgeBias', () => {
  describe('edge cases', () => {
    it('reports nothing for no marks', () => {
      expect(judgeBias([])).toEqual([]);
    });

    it('ignores entries marked by a single judge: there is no panel to deviate from', () => {
      const marks: JudgeMark[] = [
        { judgeId: 'j1', enrolmentId: 'e1', criterion: 'wiring', value: 900 },
        { judgeId: 'j2', enrolmentId: 'e2', criterion: 'wiring', value: 100 },
      ];
      expect(judgeBias(marks)).toEqual([]);
    });

    it('counts only the marks in groups of at least two and leaves their deviation unaffected by lone marks', () => {
      const marks: JudgeMark[] = [
        { judgeId: 'j1', enrolmentId: 'e1', criterion: 'wiring', value: 900 },
        { judgeId: 'j2', enrolmentId: 'e1', criterion: 'wiring', value: 700 },
        { judgeId: 'j1', enrolmentId: 'e2', criterion: 'wiring', value: 800 },
        { judgeId: 'j2', enrolmentId: 'e2', criterion: 'wiring', value: 800 },
        { judgeId: 'j1', enrolmentId: 'e3', criterion: 'wiring', value: 10 }, // alone: ignored
      ];
      expect(judgeBias(marks)).toEqual([
        { judgeId: 'j1', criterion: 'wiring', count: 2, meanDeviation: 50, flagged: false }, // (+100 + 0) / 2
        { judgeId: 'j2', criterion: 'wiring', count: 2, meanDeviation: -50, flagged: false },
      ]);
    });

    it('keeps the same entry on different criteria apart', () => {
      const marks: JudgeMark[] = [
        { judgeId: 'j1', enrolmentId: 'e1', criterion: 'wiring', value: 900 },
        { judgeId: 'j2', enrolmentId: 'e1', criterion: 'wiring', value: 700 },
        { judgeId: 'j1', enrolmentId: 'e1', criterion: 'safety', value: 500 }, // alone on safety: ignored
      ];
      expect(judgeBias(marks).map((r) => [r.criterion, r.judgeId, r.count])).toEqual([
        ['wiring', 'j1', 1],
        ['wiring', 'j2', 1],
      ]);
    });

    it('flags no one when every judge deviates the same (σ = 0)', () => {
      const rows = judgeBias(panel(judgesNamed(7), 20, () => 0));
      expect(rows.every((r) => r.meanDeviation === 0 && !r.flagged)).toBe(true);
    });

    it.each([
      ['−0.67 to −1 and +0.33 to 0 (panel mean 8.0067)', [800, 801, 801], [-1, 0, 0]],
      ['a half: −0.5 to 0 and +0.5 to +1, toward +infinity (panel mean 8.005)', [800, 801], [0, 1]],
    ])('rounds the mean deviation half-up to hundredths: %s', (_label, values, expected) => {
      const marks = values.map((value, i) => ({ judgeId: `j${i + 1}`, enrolmentId: 'e1', criterion: 'c', value }));
      expect(judgeBias(marks).map((r) => r.meanDeviation)).toEqual(expected);
    });

    it('averages deviations exactly across panels of different sizes', () => {
      // e1: panel of 3, mean 800 ⇒ j1 +100.  e2: panel of 2, mean 850 ⇒ j1 −50.  j1: (100 − 50) / 2 = 25
      const marks: JudgeMark[] = [
        { judgeId: 'j1', enrolmentId: 'e1', criterion: 'c', value: 900 },
        { judgeId: 'j2', enrolmentId: 'e1', criterion: 'c', value: 800 },
        { judgeId: 'j3', enrolmentId: 'e1', criterion: 'c', value: 700 },
        { judgeId: 'j1', enrolmentId: 'e2', criterion: 'c', value: 800 },
        { judgeId: 'j2', enrolmentId: 'e2', criterion: 'c', value: 900 },
      ];
      expect(judgeBias(marks).map((r) => [r.judgeId, r.count, r.meanDeviation])).toEqual([
        ['j1', 2, 25],
        ['j2', 2, 25], // (0 + 50) / 2
        ['j3', 1, -100],
      ]);
    });
  });

  describe('honest and biased panels', () => {
    it('flags no one on an honest panel whose noise evens out per judge', () => {
      // each judge gets the same noise pattern, shifted by one entry: every judge's deviations sum to 0
      const noise = [-15, 10, -5, 20, 0, -10];
      const rows = judgeBias(panel(judgesNamed(7), 60, (j, e) => noise[(e + j) % noise.length]));
      expect(flaggedOf(rows)).toEqual([]);
      expect(rows.map((r) => r.count)).toEqual(Array(7).fill(60));
    });

    it('flags one judge who always marks 3 points high among 6 honest judges with small noise, and only that judge', () => {
      const random = seeded(42);
      const judges = ['honest-1', 'honest-2', 'honest-3', 'generous', 'honest-4', 'honest-5', 'honest-6'];
      const marks = panel(judges, 200, (j) => (judges[j] === 'generous' ? 300 : 0) + Math.floor(random() * 41) - 20);
      const rows = judgeBias(marks);
      expect(flaggedOf(rows)).toEqual(['wiring/generous']);
      const generous = rows.find((r) => r.judgeId === 'generous')!;
      expect(generous.count).toBe(200);
      expect(generous.meanDeviation).toBeGreaterThan(240); // 300 × 6/7 ≈ 257 ± noise
      expect(generous.meanDeviation).toBeLessThan(275);
    });

    it('flags a judge only on the criterion where the bias is', () => {
      const judges = judgesNamed(7);
      const noise = [-15, 10, -5, 20, 0, -10];
      const even = (j: number, e: number) => noise[(e + j) % noise.length];
      const marks = [...panel(judges, 60, (j, e) => even(j, e) + (j === 2 ? -400 : 0), 'wiring'), ...panel(judges, 60, even, 'safety')];
      expect(flaggedOf(judgeBias(marks))).toEqual(['wiring/j3']);
    });

    it.each([
      [2, false],
      [5, false], // a lone outlier reaches exactly 2σ with 5 judges: not beyond it
      [6, true],
      [9, true],
    ])('with %i judges, one far-off judge among identical others is flagged: %p (the √(J − 1) limit of the rule)', (n, flagged) => {
      const rows = judgeBias(panel(judgesNamed(n), 10, (j) => (j === 0 ? 1000 : 0)));
      expect(rows.find((r) => r.judgeId === 'j1')!.flagged).toBe(flagged);
      expect(rows.filter((r) => r.judgeId !== 'j1').every((r) => !r.flagged)).toBe(true);
    });

    it('lists rows by criterion, then judge', () => {
      const marks = [...panel(['b', 'a'], 2, () => 0, 'wiring'), ...panel(['b', 'a'], 2, () => 0, 'safety')];
      expect(judgeBias(marks).map((r) => `${r.criterion}/${r.judgeId}`)).toEqual(['safety/a', 'safety/b', 'wiring/a', 'wiring/b']);
    });
  });
});
