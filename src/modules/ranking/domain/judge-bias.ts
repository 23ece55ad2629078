import { roundHalfUp } from '../../scoring/domain/arithmetic';

export interface JudgeMark {
  judgeId: string;
  enrolmentId: string;
  criterion: string;
  /** hundredths */
  value: number;
}

export interface JudgeBias {
  judgeId: string;
  criterion: string;
  /** marks that counted: those on an (entry, criterion) marked by at least two judges */
  count: number;
  /** hundredths, rounded half-up (halves toward +infinity) */
  meanDeviation: number;
  flagged: boolean;
}

/**
 * The judge-bias report for the chief judge. Exact definition:
 * - A group is one (enrolment, criterion); only groups with ≥ 2 marks count (a lone mark has no
 *   panel to deviate from). Its panel mean m_g is the mean of all its marks, the judge's own included.
 * - A mark's deviation is value − m_g. Per (judge, criterion): count = the judge's marks in counted
 *   groups; meanDeviation d_j = Σ deviations ÷ count.
 * - Per criterion, over its J judges with count ≥ 1: μ = (Σ d_j) ÷ J and σ = √(Σ (d_j − μ)² ÷ J)
 *   (population standard deviation of the judges' mean deviations, each judge weighing the same).
 *   A judge is flagged when |d_j| > 2σ, strictly, and never when σ = 0.
 * Everything is exact (BigInt over a common denominator); only the shown meanDeviation is rounded.
 * A consequence of σ including the judge it judges: one judge apart from J − 1 identical others
 * reaches |d_j| = σ·√(J − 1) at most, so a lone outlier needs a panel of at least 6 judges to be
 * flagged (with 5 it lands exactly on 2σ, which is not beyond it).
 * Rows are sorted by criterion, then judgeId; judges with no counted mark are left out.
 */
export function judgeBias(marks: JudgeMark[]): JudgeBias[] {
  // 1. Panel sums and sizes per (enrolment, criterion).
  const groups = new Map<string, { sum: number; n: number }>();
  const groupOf: Array<{ sum: number; n: number }> = new Array(marks.length);
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i];
    const key = `${m.enrolmentId}\u0000${m.criterion}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { sum: 0, n: 0 }));
    g.sum += m.value;
    g.n++;
    groupOf[i] = g;
  }

  // 2. Per (criterion, judge): Σ (value·n − sum) per panel size n, so each deviation (value·n − sum) / n stays an integer numerator.
  const byCriterion = new Map<string, Map<string, { count: number; byPanelSize: Map<number, number> }>>();
  for (let i = 0; i < marks.length; i++) {
    const g = groupOf[i];
    if (g.n < 2) continue;
    const m = marks[i];
    let judges = byCriterion.get(m.criterion);
    if (!judges) byCriterion.set(m.criterion, (judges = new Map()));
    let acc = judges.get(m.judgeId);
    if (!acc) judges.set(m.judgeId, (acc = { count: 0, byPanelSize: new Map() }));
    acc.count++;
    acc.byPanelSize.set(g.n, (acc.byPanelSize.get(g.n) ?? 0) + (m.value * g.n - g.sum));
  }

  // 3. Exact mean deviations and the 2σ test per criterion.
  const rows: JudgeBias[] = [];
  for (const criterion of [...byCriterion.keys()].sort(byCodeUnit)) {
    const judges = byCriterion.get(criterion)!;
    const ids = [...judges.keys()].sort(byCodeUnit);
    // d_j = num_j / den_j
    const fractions = ids.map((id) => {
      const acc = judges.get(id)!;
      let panelLcm = 1n;
      for (const n of acc.byPanelSize.keys()) panelLcm = lcm(panelLcm, BigInt(n));
      let num = 0n;
      for (const [n, s] of acc.byPanelSize) num += BigInt(s) * (panelLcm / BigInt(n));
      return { id, count: acc.count, num, den: panelLcm * BigInt(acc.count) };
    });
    // X_j = d_j × L over L = lcm(den_j); with T = Σ X and Y_j = J·X_j − T:
    // |d_j| > 2σ  ⇔  X_j² > 4σ²L² = 4 Σ Y_k² / J³  ⇔  J³·X_j² > 4·Σ Y_k².
    let L = 1n;
    for (const f of fractions) L = lcm(L, f.den);
    const X = fractions.map((f) => f.num * (L / f.den));
    const J = BigInt(X.length);
    let T = 0n;
    for (const x of X) T += x;
    let sumY2 = 0n;
    for (const x of X) sumY2 += (J * x - T) ** 2n;
    fractions.forEach((f, j) => {
      rows.push({
        judgeId: f.id,
        criterion,
        count: f.count,
        meanDeviation: Number(roundHalfUp(f.num, f.den)),
        flagged: sumY2 > 0n && J ** 3n * X[j] ** 2n > 4n * sumY2,
      });
    });
  }
  return rows;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function lcm(a: bigint, b: bigint): bigint {
  return (a / gcd(a, b)) * b;
}
