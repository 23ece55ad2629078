import { ENROLMENT_STATUSES, TieBreaker } from '../../competitions/domain/competition.types';
import { RankInput, RankedEntry, defaultTieBreakers, rankEntries } from './ranking';

let nextBib = 1;
/** An approved, complete entry; bibs count up unless given. */
const e = (
  enrolmentId: string,
  total: number | null,
  opts: { practical?: number | null; theory?: number | null; time?: number | null; bib?: number | null; status?: string; complete?: boolean } = {},
): RankInput => ({
  enrolmentId,
  status: opts.status ?? 'approved',
  total,
  sections: { theory: opts.theory === undefined ? 5000 : opts.theory, practical: opts.practical === undefined ? 5000 : opts.practical },
  timeUsedSeconds: opts.time === undefined ? 3600 : opts.time,
  complete: opts.complete ?? total !== null,
  bib: opts.bib === undefined ? nextBib++ : opts.bib,
});

/** [enrolmentId, rank] in listed order: what a reader of the ranking sees. */
const standing = (ranked: RankedEntry[]) => ranked.map((r) => [r.enrolmentId, r.rank]);

const DEFAULT: TieBreaker[] = [];
const PRACTICAL_DESC: TieBreaker = { by: 'section', key: 'practical', order: 'desc' };
const TIME_ASC: TieBreaker = { by: 'timeUsed', order: 'asc' };

describe('defaultTieBreakers', () => {
  it.each([
    ['a scheme with a practical section', ['theory', 'practical'], [PRACTICAL_DESC, TIME_ASC]],
    ['a scheme whose only section is practical', ['practical'], [PRACTICAL_DESC, TIME_ASC]],
    ['a scheme without a practical section', ['theory', 'oral'], [TIME_ASC]],
    ['no sections', [], [TIME_ASC]],
  ] as Array<[string, string[], TieBreaker[]]>)('gives %s the chain %j', (_label, keys, expected) => {
    expect(defaultTieBreakers(keys)).toEqual(expected);
  });
});

describe('rankEntries', () => {
  describe('edge cases', () => {
    it('ranks no entries as an empty list', () => {
      expect(rankEntries([], DEFAULT)).toEqual([]);
    });

    it('ranks a single entry first', () => {
      expect(standing(rankEntries([e('a', 7000)], DEFAULT))).toEqual([['a', 1]]);
    });

    it('gives every entry rank 1 when all are equal after every tie-breaker, listed by bib', () => {
      const entries = [e('c', 8000, { bib: 3 }), e('a', 8000, { bib: 1 }), e('b', 8000, { bib: 2 })];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['a', 1], ['b', 1], ['c', 1]]);
    });

    it.each(ENROLMENT_STATUSES.filter((s) => s !== 'approved'))('leaves out a %s entry entirely', (status) => {
      const entries = [e('in', 8000), e('out', 9000, { status }), e('late', null, { status })];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['in', 1]]);
    });

    it('lists incomplete entries after the ranked ones, with rank null and complete false, by bib', () => {
      const entries = [e('i9', null, { bib: 9 }), e('low', 1000, { bib: 1 }), e('i2', null, { bib: 2 }), e('high', 9000, { bib: 5 }), e('inone', null, { bib: null })];
      const ranked = rankEntries(entries, DEFAULT);
      expect(standing(ranked)).toEqual([['high', 1], ['low', 2], ['i2', null], ['i9', null], ['inone', null]]);
      expect(ranked.map((r) => r.complete)).toEqual([true, true, false, false, false]);
    });

    it.each([
      ['marked complete but without a total', e('odd', null, { complete: true, bib: 2 })],
      ['with a total but not complete', e('odd', 9999, { complete: false, bib: 2 })],
    ])('treats an entry %s as incomplete', (_label, odd) => {
      const ranked = rankEntries([e('a', 5000, { bib: 1 }), odd], DEFAULT);
      expect(ranked.map((r) => [r.enrolmentId, r.rank, r.complete])).toEqual([['a', 1, true], ['odd', null, false]]);
    });

    it('lists only incomplete entries when nobody is complete yet', () => {
      expect(standing(rankEntries([e('b', null, { bib: 2 }), e('a', null, { bib: 1 })], DEFAULT))).toEqual([['a', null], ['b', null]]);
    });

    it('keeps the input (entries and their order) as it was and carries every field through', () => {
      const entries = [e('b', 1000), e('a', 2000)];
      const copy = JSON.parse(JSON.stringify(entries));
      const ranked = rankEntries(entries, DEFAULT);
      expect(entries).toEqual(copy);
      expect(ranked[0]).toEqual({ ...entries[1], rank: 1 });
    });
  });

  describe('ties and tie-breakers', () => {
    it('breaks a tie on total by the practical section, higher first, by default', () => {
      const entries = [e('a', 8000, { practical: 7000, time: 100 }), e('b', 8000, { practical: 7500, time: 900 })];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['b', 1], ['a', 2]]);
    });

    it('breaks a tie on total and practical by time used, shorter first, by default', () => {
      const entries = [e('slow', 8000, { time: 3000 }), e('fast', 8000, { time: 2400 })];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['fast', 1], ['slow', 2]]);
    });

    it('breaks ties by time used alone when the scheme has no practical section', () => {
      const entries = [
        { ...e('slow', 8000, { time: 3000 }), sections: { oral: 9000 } },
        { ...e('fast', 8000, { time: 2400 }), sections: { oral: 1000 } },
      ];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['fast', 1], ['slow', 2]]);
    });

    it('gives entries still equal after all tie-breakers the same rank and skips the next (1, 1, 3)', () => {
      const entries = [e('third', 7000, { bib: 1 }), e('tieB', 8000, { bib: 4 }), e('tieA', 8000, { bib: 2 })];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['tieA', 1], ['tieB', 1], ['third', 3]]);
    });

    it('gives a three-way tie rank 2 and continues at 5 (1, 2, 2, 2, 5)', () => {
      const entries = [e('top', 9000), e('x', 8000), e('y', 8000), e('z', 8000), e('last', 1000)];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['top', 1], ['x', 2], ['y', 2], ['z', 2], ['last', 5]]);
    });

    it('ranks a tie broken by a tie-breaker 1, 2 and not 1, 1', () => {
      const entries = [e('a', 8000, { practical: 7000 }), e('b', 8000, { practical: 7001 }), e('c', 7999, { practical: 9999 })];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['b', 1], ['a', 2], ['c', 3]]);
    });

    it('lists a tie by bib, then enrolmentId for equal bibs, with no bib last', () => {
      const entries = [e('n2', 8000, { bib: null }), e('b', 8000, { bib: 5 }), e('n1', 8000, { bib: null }), e('a', 8000, { bib: 5 }), e('z', 8000, { bib: 1 })];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['z', 1], ['a', 1], ['b', 1], ['n1', 1], ['n2', 1]]);
    });

    it('never lets the total be overridden by a tie-breaker', () => {
      const entries = [e('a', 8001, { practical: 0, time: 99999 }), e('b', 8000, { practical: 10000, time: 1 })];
      expect(standing(rankEntries(entries, DEFAULT))).toEqual([['a', 1], ['b', 2]]);
    });

    it.each([
      ['section desc puts the higher score first', [{ by: 'section', key: 'theory', order: 'desc' }], ['hi', 'lo']],
      ['section asc puts the lower score first', [{ by: 'section', key: 'theory', order: 'asc' }], ['lo', 'hi']],
      ['timeUsed asc puts the shorter time first', [{ by: 'timeUsed', order: 'asc' }], ['hi', 'lo']],
      ['timeUsed desc puts the longer time first', [{ by: 'timeUsed', order: 'desc' }], ['lo', 'hi']],
    ] as Array<[string, TieBreaker[], string[]]>)('follows the configured order: %s', (_label, chain, expected) => {
      const entries = [e('lo', 8000, { theory: 6000, time: 2000, bib: 1 }), e('hi', 8000, { theory: 7000, time: 1000, bib: 2 })];
      expect(rankEntries(entries, chain).map((r) => r.enrolmentId)).toEqual(expected);
    });

    it('applies the configured chain in its order and ignores the default', () => {
      // theory decides before time; practical, which the default would use first, is not in the chain
      const chain: TieBreaker[] = [{ by: 'section', key: 'theory', order: 'desc' }, TIME_ASC];
      const entries = [
        e('a', 8000, { theory: 6000, practical: 9000, time: 1000 }),
        e('b', 8000, { theory: 7000, practical: 1000, time: 5000 }),
        e('c', 8000, { theory: 6000, practical: 9000, time: 900 }),
      ];
      expect(standing(rankEntries(entries, chain))).toEqual([['b', 1], ['c', 2], ['a', 3]]);
    });

    it.each([
      ['asc', { by: 'timeUsed', order: 'asc' }],
      ['desc', { by: 'timeUsed', order: 'desc' }],
    ] as Array<[string, TieBreaker]>)('puts a null time used after any time when the order is %s', (_label, tieBreaker) => {
      const entries = [e('none', 8000, { time: null, bib: 1 }), e('long', 8000, { time: 9000, bib: 2 }), e('short', 8000, { time: 10, bib: 3 })];
      const ids = rankEntries(entries, [tieBreaker]).map((r) => r.enrolmentId);
      expect(ids[2]).toBe('none');
      expect(standing(rankEntries(entries, [tieBreaker]))[2]).toEqual(['none', 3]);
    });

    it.each([
      ['asc', { by: 'section', key: 'practical', order: 'asc' }],
      ['desc', { by: 'section', key: 'practical', order: 'desc' }],
    ] as Array<[string, TieBreaker]>)('puts a null or missing section score after any score when the order is %s', (_label, tieBreaker) => {
      const missing = { ...e('missing', 8000, { bib: 1 }), sections: { theory: 5000 } };
      const entries = [missing, e('null', 8000, { practical: null, bib: 2 }), e('zero', 8000, { practical: 0, bib: 3 })];
      expect(standing(rankEntries(entries, [tieBreaker]))).toEqual([['zero', 1], ['missing', 2], ['null', 2]]);
    });

    it('gives the same ranking whatever order the entries come in', () => {
      const entries = [e('a', 8000), e('b', 8000, { practical: 6000 }), e('c', 7000), e('d', 8000, { time: 10 }), e('i', null), e('f', 8000)];
      const expected = rankEntries(entries, DEFAULT);
      expect(rankEntries([...entries].reverse(), DEFAULT)).toEqual(expected);
      expect(rankEntries([entries[3], entries[0], entries[5], entries[4], entries[1], entries[2]], DEFAULT)).toEqual(expected);
    });
  });

  describe('10,000 entries against a naive reference', () => {
    /** mulberry32: seeded, so a failure reproduces. */
    const seeded = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };

    /** Is a strictly ahead of b? Written out by hand from the rules, sharing nothing with rankEntries. */
    const ahead = (a: RankInput, b: RankInput, chain: TieBreaker[]): boolean => {
      if (a.total! > b.total!) return true;
      if (a.total! < b.total!) return false;
      for (const t of chain) {
        const va = t.by === 'timeUsed' ? a.timeUsedSeconds : (a.sections[t.key] ?? null);
        const vb = t.by === 'timeUsed' ? b.timeUsedSeconds : (b.sections[t.key] ?? null);
        if (va === vb) continue;
        if (va === null) return false;
        if (vb === null) return true;
        return t.order === 'desc' ? va > vb : va < vb;
      }
      return false;
    };

    /** Rank = 1 + how many are strictly ahead (O(n²)); list by rank, bib (none last), id; incomplete after. */
    const reference = (entries: RankInput[], chain: TieBreaker[]): Array<[string, number | null]> => {
      const listed = entries.filter((x) => x.status === 'approved');
      const complete = listed.filter((x) => x.complete && x.total !== null);
      const incomplete = listed.filter((x) => !(x.complete && x.total !== null));
      const ranks = new Map<RankInput, number>();
      for (const a of complete) {
        let before = 0;
        for (const b of complete) if (ahead(b, a, chain)) before++;
        ranks.set(a, before + 1);
      }
      const bibKey = (x: RankInput) => x.bib ?? Number.MAX_SAFE_INTEGER;
      const tail = (x: RankInput, y: RankInput) => bibKey(x) - bibKey(y) || (x.enrolmentId < y.enrolmentId ? -1 : x.enrolmentId > y.enrolmentId ? 1 : 0);
      complete.sort((x, y) => ranks.get(x)! - ranks.get(y)! || tail(x, y));
      incomplete.sort(tail);
      return [...complete.map((x): [string, number | null] => [x.enrolmentId, ranks.get(x)!]), ...incomplete.map((x): [string, null] => [x.enrolmentId, null])];
    };

    const statuses = ['approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'absent', 'disqualified', 'withdrawn', 'pending', 'rejected'];
    const population = (random: () => number, n: number): RankInput[] => {
      const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      // Bibs 1..n shuffled, a few missing; few distinct values so ties run deep through the chain.
      const bibs = Array.from({ length: n }, (_, i) => i + 1);
      for (let i = n - 1; i > 0; i--) {
        const j = int(0, i);
        [bibs[i], bibs[j]] = [bibs[j], bibs[i]];
      }
      return bibs.map((bib, i) => {
        const complete = random() > 0.05;
        return {
          enrolmentId: `entry-${(i * 7919) % n}`,
          status: statuses[int(0, statuses.length - 1)],
          total: complete ? 5000 + int(0, 120) : null,
          sections: { theory: int(0, 4) * 100, practical: random() < 0.05 ? null : int(0, 4) * 100 },
          timeUsedSeconds: random() < 0.1 ? null : 1800 + int(0, 5) * 60,
          complete,
          bib: random() < 0.01 ? null : bib,
        };
      });
    };

    it.each([
      ['the default chain', DEFAULT, defaultTieBreakers(['theory', 'practical'])],
      ['theory asc, then time desc', [{ by: 'section', key: 'theory', order: 'asc' }, { by: 'timeUsed', order: 'desc' }], null],
      ['no tie-breaker that separates (time only)', [TIME_ASC], null],
    ] as Array<[string, TieBreaker[], TieBreaker[] | null]>)('ranks 10,000 entries exactly as the reference with %s', (_label, chain, referenceChain) => {
      const entries = population(seeded(chain.length * 1000 + 7), 10000);
      const actual = standing(rankEntries(entries, chain));
      const expected = reference(entries, referenceChain ?? chain);
      expect(actual.length).toBe(expected.length);
      expect(actual).toEqual(expected);
      // the data does exercise ties and every exclusion
      const shared = new Map<number, number>();
      for (const [, r] of actual) if (r !== null) shared.set(r as number, (shared.get(r as number) ?? 0) + 1);
      expect([...shared.values()].filter((count) => count > 1).length).toBeGreaterThan(10);
      expect(actual.some(([, r]) => r === null)).toBe(true);
      expect(actual.length).toBeLessThan(entries.length);
    });
  });
});
