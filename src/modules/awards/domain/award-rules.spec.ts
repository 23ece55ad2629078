import type { AwardRule } from '../../competitions/domain/competition.types';
import { awardLabel, exportLabel } from './award-labels';
import { applyAwardRules, AwardRulesInput, FinalResult, minTotalInHundredths } from './award-rules';

/** A ranked, complete result: entry e<n>, worker w<n>. */
const r = (n: number, rank: number | null, total: number, complete = true): FinalResult => ({ enrolmentId: `e${n}`, workerId: `w${n}`, rank, total, complete });

const input = (results: FinalResult[], over: Partial<AwardRulesInput> = {}): AwardRulesInput => ({
  level: 'city',
  contestantType: 'individual',
  medalPolicy: 'direct',
  awardRules: [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }],
  results,
  ...over,
});

/** The awards as compact strings `entry:type:status`, in the order returned. */
const given = (i: AwardRulesInput) => applyAwardRules(i).map((a) => `${a.enrolmentId}:${a.type}:${a.status}`);

const API_RULES: AwardRule[] = [
  { fromRank: 1, toRank: 1, award: 'may_day_medal' },
  { fromRank: 1, toRank: 3, award: 'technical_expert', minTotal: 60 },
];

describe('applyAwardRules', () => {
  describe('ties at first place', () => {
    it.each<[string, FinalResult[], string[]]>([
      ['a single winner', [r(1, 1, 9000), r(2, 2, 8000), r(3, 3, 7000)], ['e1:may_day_medal:issued']],
      ['two tied for first after all tie-breakers', [r(1, 1, 9000), r(2, 1, 9000), r(3, 3, 7000)], ['e1:may_day_medal:issued', 'e2:may_day_medal:issued']],
      ['three tied for first', [r(3, 1, 9000), r(1, 1, 9000), r(2, 1, 9000), r(4, 4, 100)], ['e1:may_day_medal:issued', 'e2:may_day_medal:issued', 'e3:may_day_medal:issued']],
      ['a tie for second (rank 1, 2, 2)', [r(1, 1, 9000), r(2, 2, 8000), r(3, 2, 8000)], ['e1:may_day_medal:issued']],
      ['the whole field tied', [r(1, 1, 0), r(2, 1, 0)], ['e1:may_day_medal:issued', 'e2:may_day_medal:issued']],
    ])('%s', (_label, results, expected) => {
      expect(given(input(results))).toEqual(expected);
    });

    it('gives a range ending at 2 to both tied for first but not to rank 3 (1, 1, 3)', () => {
      const rules: AwardRule[] = [{ fromRank: 1, toRank: 2, award: 'prize_1' }];
      expect(given(input([r(1, 1, 9000), r(2, 1, 9000), r(3, 3, 8000)], { awardRules: rules }))).toEqual(['e1:prize_1:issued', 'e2:prize_1:issued']);
    });

    it('gives a range starting at 2 nobody when the two first places are tied (no rank 2)', () => {
      const rules: AwardRule[] = [{ fromRank: 2, toRank: 2, award: 'prize_2' }];
      expect(given(input([r(1, 1, 9000), r(2, 1, 9000), r(3, 3, 8000)], { awardRules: rules }))).toEqual([]);
    });
  });

  describe('minTotal (points) against totals in hundredths', () => {
    const rule = (minTotal: number): AwardRule[] => [{ fromRank: 1, toRank: 3, award: 'technical_expert', minTotal }];
    it.each<[string, number, number, boolean]>([
      ['exactly at the minimum', 60, 6000, true],
      ['one hundredth below', 60, 5999, false],
      ['well above', 60, 9550, true],
      ['a fractional minimum, reached exactly (60.1 * 100 is 6009.999… as a double)', 60.1, 6010, true],
      ['a fractional minimum, one hundredth short', 60.1, 6009, false],
      ['1.1 * 100 is 110.00000000000001 as a double: 110 reaches it', 1.1, 110, true],
      ['a minimum finer than hundredths cannot be reached by the total just below it', 60.005, 6000, false],
      ['a minimum finer than hundredths, the next hundredth reaches it', 60.005, 6001, true],
      ['minimum 0 and a total of 0', 0, 0, true],
      ['minimum 100 and a full total', 100, 10000, true],
      ['minimum 100 and 99.99', 100, 9999, false],
    ])('%s', (_label, minTotal, total, awarded) => {
      expect(given(input([r(1, 1, total)], { awardRules: rule(minTotal) }))).toEqual(awarded ? ['e1:technical_expert:issued'] : []);
    });

    it('applies the minimum per entry within the range: ranks 1 and 2 above it, rank 3 below', () => {
      expect(given(input([r(1, 1, 9000), r(2, 2, 6000), r(3, 3, 5999)], { awardRules: rule(60) }))).toEqual(['e1:technical_expert:issued', 'e2:technical_expert:issued']);
    });

    it.each([
      [60, 6000],
      [60.1, 6010],
      [0.29, 29],
      [1.1, 110],
      [60.005, 6001],
      [99.999, 10000],
      [0, 0],
    ])('minTotal %p is reached from %p hundredths', (minTotal, hundredths) => {
      expect(minTotalInHundredths(minTotal)).toBe(hundredths);
    });
  });

  describe('overlapping rules', () => {
    it('applies each rule: the winner gets the medal and 技术能手, ranks 2 and 3 only 技术能手 (API.md rules)', () => {
      expect(given(input([r(1, 1, 9000), r(2, 2, 8000), r(3, 3, 7000), r(4, 4, 6900)], { awardRules: API_RULES }))).toEqual([
        'e1:may_day_medal:issued',
        'e1:technical_expert:issued',
        'e2:technical_expert:issued',
        'e3:technical_expert:issued',
      ]);
    });

    it('gives one award per worker and type when two rules name the same award over overlapping ranges', () => {
      const rules: AwardRule[] = [
        { fromRank: 1, toRank: 2, award: 'merit' },
        { fromRank: 2, toRank: 3, award: 'merit' },
      ];
      expect(given(input([r(1, 1, 9000), r(2, 2, 8000), r(3, 3, 7000)], { awardRules: rules }))).toEqual(['e1:merit:issued', 'e2:merit:issued', 'e3:merit:issued']);
    });

    it('keeps a worker once per type if the results name it twice', () => {
      const twice = [r(1, 1, 9000), { ...r(2, 1, 9000), workerId: 'w1' }];
      expect(applyAwardRules(input(twice))).toHaveLength(1);
    });

    it('applies a later rule even when an earlier one with a minimum excludes the entry', () => {
      const rules: AwardRule[] = [
        { fromRank: 1, toRank: 3, award: 'technical_expert', minTotal: 95 },
        { fromRank: 1, toRank: 3, award: 'prize_1' },
      ];
      expect(given(input([r(1, 1, 9000)], { awardRules: rules }))).toEqual(['e1:prize_1:issued']);
    });

    it('gives prizes by disjoint ranges (一等奖 1, 二等奖 2–3, 三等奖 4–6)', () => {
      const rules: AwardRule[] = [
        { fromRank: 1, toRank: 1, award: 'prize_1' },
        { fromRank: 2, toRank: 3, award: 'prize_2' },
        { fromRank: 4, toRank: 6, award: 'prize_3' },
      ];
      const results = [1, 2, 3, 4, 5, 6, 7].map((n) => r(n, n, 10000 - n * 100));
      expect(given(input(results, { awardRules: rules }))).toEqual(['e1:prize_1:issued', 'e2:prize_2:issued', 'e3:prize_2:issued', 'e4:prize_3:issued', 'e5:prize_3:issued', 'e6:prize_3:issued']);
    });
  });

  describe('team contestants', () => {
    it.each<[string, AwardRule[], FinalResult[], string[]]>([
      ['the medal becomes 工人先锋号', [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }], [r(1, 1, 9000), r(2, 2, 8000)], ['e1:worker_pioneer:issued']],
      ['tied teams each get 工人先锋号', [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }], [r(1, 1, 9000), r(2, 1, 9000)], ['e1:worker_pioneer:issued', 'e2:worker_pioneer:issued']],
      ['other awards stay as configured', API_RULES, [r(1, 1, 9000), r(2, 2, 5000)], ['e1:worker_pioneer:issued', 'e1:technical_expert:issued']],
      [
        'a medal rule and a 工人先锋号 rule give one 工人先锋号',
        [
          { fromRank: 1, toRank: 1, award: 'may_day_medal' },
          { fromRank: 1, toRank: 2, award: 'worker_pioneer' },
        ],
        [r(1, 1, 9000), r(2, 2, 8000)],
        ['e1:worker_pioneer:issued', 'e2:worker_pioneer:issued'],
      ],
    ])('%s', (_label, rules, results, expected) => {
      expect(given(input(results, { contestantType: 'team', awardRules: rules }))).toEqual(expected);
    });

    it('issues 工人先锋号 at once even under the nominate policy (only the medal is nominated)', () => {
      expect(given(input([r(1, 1, 9000)], { contestantType: 'team', medalPolicy: 'nominate' }))).toEqual(['e1:worker_pioneer:issued']);
    });

    it('gives individual contestants the medal itself', () => {
      expect(given(input([r(1, 1, 9000)], { contestantType: 'individual' }))).toEqual(['e1:may_day_medal:issued']);
    });
  });

  describe('medal policy', () => {
    it.each<[string, 'direct' | 'nominate', string[]]>([
      ['direct issues the medal', 'direct', ['e1:may_day_medal:issued', 'e1:technical_expert:issued', 'e2:technical_expert:issued']],
      ['nominate starts only the medal as nominated', 'nominate', ['e1:may_day_medal:nominated', 'e1:technical_expert:issued', 'e2:technical_expert:issued']],
    ])('%s', (_label, medalPolicy, expected) => {
      expect(given(input([r(1, 1, 9000), r(2, 2, 8000)], { medalPolicy, awardRules: API_RULES }))).toEqual(expected);
    });

    it('nominates every entry tied for first', () => {
      expect(given(input([r(1, 1, 9000), r(2, 1, 9000)], { medalPolicy: 'nominate' }))).toEqual(['e1:may_day_medal:nominated', 'e2:may_day_medal:nominated']);
    });

    it('leaves a banner (五一劳动奖状) issued under nominate', () => {
      expect(given(input([r(1, 1, 9000)], { medalPolicy: 'nominate', awardRules: [{ fromRank: 1, toRank: 1, award: 'may_day_banner' }] }))).toEqual(['e1:may_day_banner:issued']);
    });
  });

  describe('default rules', () => {
    it.each<[string, AwardRule[] | null | undefined]>([
      ['empty', []],
      ['missing', undefined],
      ['null', null],
    ])('%s rules give rank 1 the May-Day medal and nobody else anything', (_label, awardRules) => {
      expect(given(input([r(1, 1, 9000), r(2, 2, 8000), r(3, 3, 7000)], { awardRules }))).toEqual(['e1:may_day_medal:issued']);
    });

    it('configured rules replace the default: no medal if no rule names it', () => {
      expect(given(input([r(1, 1, 9000)], { awardRules: [{ fromRank: 1, toRank: 3, award: 'merit' }] }))).toEqual(['e1:merit:issued']);
    });
  });

  describe('unranked and incomplete entries', () => {
    it.each<[string, FinalResult[], string[]]>([
      ['an unranked entry (absent, disqualified, withdrawn) gets nothing', [r(1, null, 9900), r(2, 1, 9000)], ['e2:may_day_medal:issued']],
      ['an incomplete entry with a rank gets nothing', [r(1, 1, 9900, false), r(2, 2, 9000)], []],
      ['nobody ranked: no awards', [r(1, null, 0), r(2, null, 0)], []],
      ['no results: no awards', [], []],
    ])('%s', (_label, results, expected) => {
      expect(given(input(results, { awardRules: API_RULES.slice(0, 1) }))).toEqual(expected);
    });

    it('never gives an unranked entry an award even with an open-ended minimum of 0', () => {
      expect(given(input([r(1, null, 10000)], { awardRules: [{ fromRank: 1, toRank: 1000, award: 'merit', minTotal: 0 }] }))).toEqual([]);
    });
  });

  it('carries the entry, worker, rank, total and the competition level on every award', () => {
    expect(applyAwardRules(input([r(7, 1, 8765)], { level: 'province' }))).toEqual([
      { enrolmentId: 'e7', workerId: 'w7', type: 'may_day_medal', level: 'province', rank: 1, total: 8765, status: 'issued' },
    ]);
  });

  it('answers the same whatever the order of the results', () => {
    const results = [r(1, 1, 9000), r(2, 1, 9000), r(3, 3, 7000), r(4, 2, 8000)];
    const a = applyAwardRules(input(results, { awardRules: API_RULES }));
    const b = applyAwardRules(input([...results].reverse(), { awardRules: API_RULES }));
    expect(b).toEqual(a);
  });
});

describe('awardLabel', () => {
  it.each([
    ['may_day_medal', 'city', '市五一劳动奖章'],
    ['may_day_medal', 'national', '全国五一劳动奖章'],
    ['may_day_medal', 'province', '省五一劳动奖章'],
    ['may_day_banner', 'county', '县五一劳动奖状'],
    ['worker_pioneer', 'city', '市工人先锋号'],
    ['technical_expert', 'city', '市技术能手'],
    ['gold_craftsman', 'enterprise', '企业金牌工匠'],
    ['prize_1', 'city', '一等奖'],
    ['prize_2', 'city', '二等奖'],
    ['prize_3', 'city', '三等奖'],
    ['merit', 'city', '优秀奖'],
    ['skill_promotion', 'city', '晋升职业技能等级'],
  ])('%s of a %s competition reads %s', (type, level, label) => {
    expect(awardLabel(type, level)).toBe(label);
  });

  it.each([
    ['issued', '市五一劳动奖章'],
    ['nominated', '市五一劳动奖章（提名）'],
    ['declined', null],
    ['revoked', null],
  ])('in an export, a %s medal reads %p', (status, label) => {
    expect(exportLabel('may_day_medal', 'city', status)).toBe(label);
  });
});
