import { drawBibs } from './draw';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `entry-${String(i).padStart(3, '0')}`);

/** Fisher–Yates shuffle with Math.random: a different input order each call, unrelated to the seed. */
const shuffled = <T>(xs: T[]): T[] => {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};

/** The ids in bib order: bib 1 first. */
const byBib = (draw: Map<string, number>) => [...draw.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);

describe('drawBibs', () => {
  it('gives no bibs when there are no entries', () => {
    expect(drawBibs([], 'seed')).toEqual(new Map());
  });

  it.each(['', 'seed', '抽签-2026'])('gives bib 1 to a single entry whatever the seed (%p)', (seed) => {
    expect(drawBibs(['only'], seed)).toEqual(new Map([['only', 1]]));
  });

  it.each([2, 3, 7, 20, 100, 1000])('gives %i entries the bibs 1..N, each exactly once', (n) => {
    const draw = drawBibs(ids(n), `seed-${n}`);
    expect([...draw.keys()].sort()).toEqual(ids(n));
    expect([...draw.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  const uuids = ['8c5b7a7e-0f1d-4a7b-9e3c-2b1d0f6a5e41', '0a7e2c1b-3d4f-4e5a-8b6c-7d8e9f0a1b2c', 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9', '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a'];
  it.each([
    ['20 ids reversed', ids(20), [...ids(20)].reverse()],
    ['20 ids shuffled', ids(20), shuffled(ids(20))],
    ['uuids in another order', uuids, [uuids[2], uuids[0], uuids[3], uuids[1]]],
  ])('gives the same bibs for the same seed and the same ids in another order: %s', (_label, entries, reordered) => {
    expect(drawBibs(reordered, 'qz-2026-electricians')).toEqual(drawBibs(entries, 'qz-2026-electricians'));
  });

  it('draws today what it drew when this spec was written (a recorded seed stays verifiable)', () => {
    expect(byBib(drawBibs(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 'qz-2026-electricians'))).toEqual(['h', 'a', 'f', 'd', 'c', 'g', 'b', 'e']);
  });

  it('gives the same bibs on every call with the same seed (a draw can be re-checked later)', () => {
    const first = byBib(drawBibs(ids(20), 'audit-me'));
    for (let i = 0; i < 5; i++) expect(byBib(drawBibs(shuffled(ids(20)), 'audit-me'))).toEqual(first);
  });

  it.each([
    ['a and b', 'a', 'b'],
    ['seeds differing in one character', 'seed-1', 'seed-2'],
    ['a seed and its upper-case form', 'draw', 'DRAW'],
  ])('gives different permutations of 20 entries for different seeds: %s', (_label, seedA, seedB) => {
    // Two uniform permutations of 20 coincide with probability 1/20!, about 4e-19.
    expect(byBib(drawBibs(ids(20), seedA))).not.toEqual(byBib(drawBibs(ids(20), seedB)));
  });

  it('gives 200 seeds 200 distinct permutations of 20 entries', () => {
    const seen = new Set(Array.from({ length: 200 }, (_, s) => byBib(drawBibs(ids(20), `seed-${s}`)).join(',')));
    expect(seen.size).toBe(200);
  });

  it('spreads bib 1 evenly over 5 entries across 2000 seeds (each 300 to 500 times; 400 expected)', () => {
    const five = ids(5);
    const firsts = new Map(five.map((id) => [id, 0]));
    for (let s = 0; s < 2000; s++) {
      const first = byBib(drawBibs(five, `seed-${s}`))[0];
      firsts.set(first, firsts.get(first)! + 1);
    }
    for (const id of five) {
      expect(firsts.get(id)).toBeGreaterThanOrEqual(300);
      expect(firsts.get(id)).toBeLessThanOrEqual(500);
    }
  });

  it('spreads every bib evenly over every position: 3 entries, 3000 seeds, each (entry, bib) pair 850 to 1150 times', () => {
    const three = ids(3);
    const counts = new Map<string, number>();
    for (let s = 0; s < 3000; s++) {
      for (const [id, bib] of drawBibs(three, `s${s}`)) counts.set(`${id}#${bib}`, (counts.get(`${id}#${bib}`) ?? 0) + 1);
    }
    expect(counts.size).toBe(9);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThanOrEqual(850);
      expect(n).toBeLessThanOrEqual(1150);
    }
  });

  it('reaches all 6 orders of 3 entries, each roughly equally often over 3000 seeds (400 to 600; 500 expected)', () => {
    const counts = new Map<string, number>();
    for (let s = 0; s < 3000; s++) {
      const order = byBib(drawBibs(['a', 'b', 'c'], `seed-${s}`)).join('');
      counts.set(order, (counts.get(order) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['abc', 'acb', 'bac', 'bca', 'cab', 'cba']);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThanOrEqual(400);
      expect(n).toBeLessThanOrEqual(600);
    }
  });
});
