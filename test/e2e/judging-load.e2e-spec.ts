import { EntryScore, Score } from '../../src/modules/scoring/score.entity';
import { bearer, createTestApp, TestApp } from '../utils/create-test-app';
import { createUser } from '../factories/identity.factory';
import { assignJudges, createJudges, createJudgingOrgTree, MarkInput, newClientId, startCompetition, StartedCompetition, submitMarks, TestUser } from '../factories/judging.factory';

/**
 * Exactness under load: five judges mark 200 entries at once, each tablet sending its marks in several
 * concurrent batches, then change some, replay a batch and the chief judge adds penalties, all at
 * once. Every stored standing must equal a recomputation, written here from ARCHITECTURE.md
 * ("Scoring arithmetic") and independent of src/modules/scoring/domain/arithmetic.ts.
 */

type Aggregation = 'single' | 'mean' | 'trimmed_mean' | 'median';
interface CriterionDef {
  key: string;
  name: string;
  maxScore: number;
  type: 'measurement' | 'judgement';
  judgesRequired: number;
  aggregation: Aggregation;
}
interface SectionDef {
  key: string;
  name: string;
  weight: number;
  criteria: CriterionDef[];
}

/** Decimal maxima, every aggregation, and judge counts whose means fall on thirds, quarters and halves of a hundredth. */
const SCHEME: { sections: SectionDef[] } = {
  sections: [
    { key: 'theory', name: '理论知识', weight: 30, criteria: [{ key: 'exam', name: '笔试', maxScore: 100, type: 'measurement', judgesRequired: 1, aggregation: 'single' }] },
    {
      key: 'practical',
      name: '技能操作',
      weight: 55,
      criteria: [
        { key: 'wiring', name: '线路安装', maxScore: 40, type: 'judgement', judgesRequired: 5, aggregation: 'trimmed_mean' },
        { key: 'safety', name: '安全文明生产', maxScore: 10, type: 'judgement', judgesRequired: 3, aggregation: 'mean' },
        { key: 'craft', name: '工艺', maxScore: 12.5, type: 'judgement', judgesRequired: 3, aggregation: 'median' },
      ],
    },
    { key: 'record', name: '技术记录', weight: 15, criteria: [{ key: 'report', name: '记录表', maxScore: 7.75, type: 'judgement', judgesRequired: 2, aggregation: 'mean' }] },
  ],
};
const CRITERIA = new Map(SCHEME.sections.flatMap((s) => s.criteria.map((c) => [c.key, c] as const)));

/** Who marks what: exam one judge (single), wiring all five, safety/craft four (mean and median of 4), report three (mean of 3). */
const PANEL: Array<{ criteria: string[]; chief?: boolean; byBib?: boolean }> = [
  { criteria: ['exam', 'wiring', 'safety', 'report'], chief: true },
  { criteria: ['wiring', 'safety', 'craft'], byBib: true },
  { criteria: ['wiring', 'safety', 'craft'] },
  { criteria: ['wiring', 'craft', 'report'], byBib: true },
  { criteria: ['wiring', 'safety', 'craft', 'report'] },
];

const ENTRIES = 200;
const BATCHES_PER_JUDGE = 5;

// ── the independent recomputation (exact rationals in BigInt) ─────────────────

/** How often the recomputation had to round, and how often it met an exact half: the data must exercise both. */
const rounding = { inexact: 0, halves: 0 };

class Ratio {
  readonly n: bigint;
  readonly d: bigint;
  constructor(n: bigint, d: bigint = 1n) {
    if (d === 0n) throw new Error('zero denominator');
    if (d < 0n) [n, d] = [-n, -d];
    const g = gcd(n < 0n ? -n : n, d);
    this.n = n / g;
    this.d = d / g;
  }
  plus(o: Ratio): Ratio {
    return new Ratio(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  minus(o: Ratio): Ratio {
    return new Ratio(this.n * o.d - o.n * this.d, this.d * o.d);
  }
  times(o: Ratio): Ratio {
    return new Ratio(this.n * o.n, this.d * o.d);
  }
  over(o: Ratio): Ratio {
    return new Ratio(this.n * o.d, this.d * o.n);
  }
  /** Half-up to an integer, for values ≥ 0: the integer part plus one when the remainder is at least a half. */
  roundHalfUp(): number {
    if (this.n < 0n) throw new Error('negative');
    const whole = this.n / this.d;
    const rest = this.n - whole * this.d;
    if (rest !== 0n) rounding.inexact++;
    if (2n * rest === this.d) rounding.halves++;
    return Number(2n * rest >= this.d ? whole + 1n : whole);
  }
}
function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}
const r = (n: number | bigint, d: number | bigint = 1) => new Ratio(BigInt(n), BigInt(d));

/** One criterion in hundredths: rounded half-up once. */
function criterionScore(marks: number[], aggregation: Aggregation): number {
  const sorted = [...marks].sort((a, b) => a - b);
  const meanOf = (xs: number[]) => xs.reduce((acc, x) => acc.plus(r(x)), r(0)).over(r(xs.length));
  switch (aggregation) {
    case 'single':
    case 'mean':
      return meanOf(sorted).roundHalfUp();
    case 'trimmed_mean':
      return meanOf(sorted.slice(1, -1)).roundHalfUp();
    case 'median': {
      const mid = Math.floor(sorted.length / 2);
      return (sorted.length % 2 ? r(sorted[mid]) : meanOf([sorted[mid - 1], sorted[mid]])).roundHalfUp();
    }
  }
}

interface Expected {
  criteria: Record<string, number>;
  sections: Record<string, number>;
  total: number;
}

/** Section = Σ criterion scores ÷ Σ max × 100; total = Σ section × weight ÷ 100 − penalties, floored at 0, rounded once. */
function expectedStanding(marks: Map<string, number[]>, penalty: number): Expected {
  const criteria: Record<string, number> = {};
  const sections: Record<string, number> = {};
  let total = r(0);
  for (const s of SCHEME.sections) {
    let scored = 0;
    let max = 0;
    for (const c of s.criteria) {
      criteria[c.key] = criterionScore(marks.get(c.key)!, c.aggregation);
      scored += criteria[c.key];
      max += Math.round(c.maxScore * 100);
    }
    const percent = r(scored).over(r(max)).times(r(100)); // of the section, in points
    sections[s.key] = percent.times(r(100)).roundHalfUp(); // in hundredths
    total = total.plus(percent.times(r(s.weight)).over(r(100)));
  }
  const net = total.times(r(100)).minus(r(penalty)); // hundredths
  return { criteria, sections, total: net.n <= 0n ? 0 : net.roundHalfUp() };
}

// ── marks ─────────────────────────────────────────────────────────────────────

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = 20260501;
const rand = prng(SEED);
const randInt = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** A mark in hundredths for entry i by judge j: edge cases for the first entries, then 55–100 % of the maximum. */
function markFor(i: number, j: number, criterion: string): number {
  const max = Math.round(CRITERIA.get(criterion)!.maxScore * 100);
  if (i === 0) return max; // all at the maximum
  if (i === 1) return 0; // all zero
  if (i === 2) return Math.round(max * 0.8); // all equal
  if (i === 3) return [max, max, 0, 0, max][j]; // ties at both ends
  if (i === 4) return max - j; // one hundredth apart
  return randInt(Math.floor(max * 0.55), max);
}

/** JSON with sorted keys, to compare stored JSON columns whatever their key order. */
const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

function shuffle<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const k = randInt(0, i);
    [out[i], out[k]] = [out[k], out[i]];
  }
  return out;
}

function chunks<T>(xs: T[], n: number): T[][] {
  const size = Math.ceil(xs.length / n);
  return Array.from({ length: n }, (_, i) => xs.slice(i * size, (i + 1) * size)).filter((c) => c.length > 0);
}

describe('judging under load', () => {
  let t: TestApp;
  let organizer: TestUser;
  let judges: TestUser[];
  let c: StartedCompetition;

  beforeAll(async () => {
    t = await createTestApp();
    const orgs = await createJudgingOrgTree(t);
    [organizer, judges] = await Promise.all([
      createUser(t, await t.adminToken(), { roles: ['organizer'], organizationId: orgs.city.id }),
      Promise.all([createJudges(t, orgs.city.id, 3), createJudges(t, orgs.county.id, 2)]).then((js) => js.flat()),
    ]);
    c = await startCompetition(t, organizer.token, orgs.city.id, {
      employers: [orgs.enterprise.id, orgs.otherEnterprise.id, orgs.team.id],
      contestants: ENTRIES,
      groupSize: 20,
      over: { scoring: SCHEME, tieBreakers: [{ by: 'section', key: 'practical', order: 'desc' }] },
    });
    await assignJudges(t, organizer.token, c.id, PANEL.map((p, j) => ({ userId: judges[j].id, criteria: p.criteria, chief: p.chief })));
  });
  afterAll(async () => t?.dispose());

  it('ends with every standing equal to an independent recomputation after five judges mark 200 entries in parallel, change marks, replay and take penalties', async () => {
    expect(c.entries).toHaveLength(ENTRIES);
    /** final value per "enrolmentId|criterion|judge" */
    const finalValue = new Map<string, number>();
    const markOf = (j: number, e: (typeof c.entries)[number], criterion: string, h: number, clientId = newClientId(`j${j}`)): MarkInput =>
      PANEL[j].byBib ? { bib: e.bib, criterion, value: h / 100, clientId } : { enrolmentId: e.enrolmentId, criterion, value: h / 100, clientId };

    // 1. Every judge marks everything, in concurrent batches, all judges at once.
    const firstBatches: MarkInput[][][] = PANEL.map((p, j) => {
      const marks = c.entries.flatMap((e, i) =>
        p.criteria.map((k) => {
          const h = markFor(i, j, k);
          finalValue.set(`${e.enrolmentId}|${k}|${j}`, h);
          return markOf(j, e, k, h);
        }),
      );
      return chunks(shuffle(marks), BATCHES_PER_JUDGE);
    });
    const started = Date.now();
    const first = await Promise.all(firstBatches.flatMap((batches, j) => batches.map((b) => submitMarks(t, judges[j].token, c.id, b))));
    for (const res of first) {
      expect(res.status).toBe(200);
      expect(res.body.rejected).toEqual([]);
    }
    const marksSent = firstBatches.flat(2).length;
    expect(marksSent).toBe(ENTRIES * 17);

    // 2. At once: each judge changes about one mark in ten (two batches) and replays its first batch;
    //    the chief judge records penalties, some on entries whose marks are changing.
    const changeBatches: MarkInput[][][] = PANEL.map((p, j) => {
      const changes = c.entries.flatMap((e, i) =>
        p.criteria.flatMap((k) => {
          if (i < 5 || rand() >= 0.1) return [];
          const h = randInt(0, Math.round(CRITERIA.get(k)!.maxScore * 100));
          finalValue.set(`${e.enrolmentId}|${k}|${j}`, h);
          return [markOf(j, e, k, h)];
        }),
      );
      return chunks(changes, 2);
    });
    const penalties = new Map<string, number>();
    const penaltyRequests: Array<{ enrolmentId: string; points: number }> = [];
    const penalise = (i: number, points: number) => {
      const id = c.entries[i].enrolmentId;
      penalties.set(id, (penalties.get(id) ?? 0) + Math.round(points * 100));
      penaltyRequests.push({ enrolmentId: id, points });
    };
    penalise(1, 5); // on a total of 0
    penalise(2, 100); // more than its total
    penalise(7, 1.5);
    penalise(7, 2.25); // two at once on one entry
    for (let i = 10; i < ENTRIES; i += 37) penalise(i, randInt(1, 999) / 100);
    const second = await Promise.all([
      ...changeBatches.flatMap((batches, j) => batches.map((b) => submitMarks(t, judges[j].token, c.id, b))),
      ...firstBatches.map((batches, j) => submitMarks(t, judges[j].token, c.id, batches[0])),
      ...penaltyRequests.map((p) => t.http().post(`/api/competitions/${c.id}/penalties`).set(bearer(judges[0].token)).send({ ...p, reason: '违反操作规程' })),
    ]);
    for (const res of second) {
      expect([200, 201]).toContain(res.status);
      if (res.status === 200) expect(res.body.rejected).toEqual([]);
    }
    const replayed = second.slice(changeBatches.flat().length, changeBatches.flat().length + PANEL.length);
    replayed.forEach((res, j) => expect(res.body.accepted).toEqual(firstBatches[j][0].map((m) => m.clientId)));
    const elapsed = Date.now() - started;

    // 3. What is stored is what was sent last.
    const stored = await t.db.run((m) => m.find(Score, { where: { competitionId: c.id } }));
    expect(stored).toHaveLength(marksSent);
    const judgeIndex = new Map(judges.map((j, i) => [j.id, i]));
    const mismatched = stored.filter((s) => finalValue.get(`${s.enrolmentId}|${s.criterionKey}|${judgeIndex.get(s.judgeUserId)}`) !== s.value);
    expect(mismatched).toEqual([]);

    // 4. Every standing equals the recomputation from the marks sent.
    const standings = await t.db.run((m) => m.find(EntryScore, { where: { competitionId: c.id } }));
    expect(standings).toHaveLength(ENTRIES);
    const byId = new Map(standings.map((s) => [s.enrolmentId, s]));
    const wrong: unknown[] = [];
    for (const e of c.entries) {
      const marks = new Map<string, number[]>();
      PANEL.forEach((p, j) => p.criteria.forEach((k) => marks.set(k, [...(marks.get(k) ?? []), finalValue.get(`${e.enrolmentId}|${k}|${j}`)!])));
      const want = { ...expectedStanding(marks, penalties.get(e.enrolmentId) ?? 0), penalties: penalties.get(e.enrolmentId) ?? 0, complete: true };
      const s = byId.get(e.enrolmentId)!;
      const got = { criteria: s.criteria, sections: s.sections, total: s.total, penalties: s.penalties, complete: s.complete };
      if (canon(got) !== canon(want)) {
        wrong.push({ bib: e.bib, got, want });
      }
    }
    expect(wrong).toEqual([]);
    expect(rounding.halves).toBeGreaterThan(50);
    expect(rounding.inexact).toBeGreaterThan(500);
    // The edge entries came out as designed.
    expect(byId.get(c.entries[0].enrolmentId)!.total).toBe(10000);
    expect(byId.get(c.entries[1].enrolmentId)!.total).toBe(0);
    expect(byId.get(c.entries[2].enrolmentId)!.total).toBe(0);
    expect(elapsed).toBeLessThan(45_000);

    // 5. Complete: the chief judge can lock.
    const lock = await t.http().post(`/api/competitions/${c.id}/transitions`).set(bearer(judges[0].token)).send({ to: 'scores_locked' });
    expect(lock.status).toBe(200);
  });
});
