import { AwardRule, Criterion, Schedule, ScoringScheme, TieBreaker } from './competition.types';
import { validateAwardRules, validateCompetitionRules, validateSchedule, validateScheme, validateTieBreakers } from './scheme-validation';

/** The scheme of the create-body example in API.md. */
const apiExampleScheme = (): ScoringScheme => ({
  sections: [
    {
      key: 'theory',
      name: '理论知识',
      weight: 30,
      criteria: [{ key: 'exam', name: '笔试', maxScore: 100, type: 'measurement', judgesRequired: 1, aggregation: 'single' }],
    },
    {
      key: 'practical',
      name: '技能操作',
      weight: 70,
      criteria: [
        { key: 'wiring', name: '线路安装', maxScore: 40, type: 'judgement', judgesRequired: 5, aggregation: 'trimmed_mean' },
        { key: 'safety', name: '安全文明生产', maxScore: 10, type: 'judgement', judgesRequired: 3, aggregation: 'mean' },
      ],
    },
  ],
});

/** The API.md example with one criterion (section i, criterion j) changed, so a case fails only on what it targets. */
const withCriterion = (i: number, j: number, patch: Partial<Criterion>): ScoringScheme => {
  const s = apiExampleScheme();
  s.sections[i].criteria[j] = { ...s.sections[i].criteria[j], ...patch };
  return s;
};

const withWeights = (...weights: number[]): ScoringScheme => ({
  sections: weights.map((weight, i) => ({
    key: `s${i}`,
    name: `第${i + 1}部分`,
    weight,
    criteria: [{ key: `c${i}`, name: '评分项', maxScore: 10, type: 'judgement', judgesRequired: 3, aggregation: 'mean' }],
  })),
});

describe('validateScheme', () => {
  describe('weights', () => {
    it.each([
      ['a fractional weight even though the sum is 100', [30.5, 69.5], 'scoring.sections[0].weight must be a whole number from 1 to 100'],
      ['a zero weight', [0, 100], 'scoring.sections[0].weight must be a whole number from 1 to 100'],
      ['a negative weight', [-10, 110], 'scoring.sections[0].weight must be a whole number from 1 to 100'],
    ])('refuses %s', (_label, weights, error) => {
      expect(validateScheme(withWeights(...weights))).toContain(error);
    });

    it.each([
      ['below 100', [30, 60], 90],
      ['above 100', [30, 80], 110],
      ['a single section below 100', [99], 99],
      ['three sections just over 100', [34, 33, 34], 101],
    ])('refuses weights summing %s and says what they sum to', (_label, weights, sum) => {
      expect(validateScheme(withWeights(...weights))).toEqual([`scoring.sections weights must sum to 100 (they sum to ${sum})`]);
    });

    it.each([
      ['a single section of 100', [100]],
      ['three unequal sections', [20, 30, 50]],
      ['one hundred sections of 1', Array.from({ length: 100 }, () => 1)],
    ])('accepts whole weights summing to 100: %s', (_label, weights) => {
      expect(validateScheme(withWeights(...weights))).toEqual([]);
    });
  });

  describe('keys', () => {
    it('refuses two sections with the same key', () => {
      const s = apiExampleScheme();
      s.sections[1].key = 'theory';
      expect(validateScheme(s)).toEqual(['scoring.sections[1].key "theory" is used by another section']);
    });

    it('refuses the same criterion key in two different sections', () => {
      expect(validateScheme(withCriterion(1, 1, { key: 'exam' }))).toEqual([
        'scoring.sections[1].criteria[1].key "exam" is used by another criterion',
      ]);
    });

    it.each([
      ['a space', 'hand tools'],
      ['Chinese characters', '理论'],
      ['upper-case letters', 'Theory'],
      ['a leading hyphen', '-theory'],
      ['a slash', 'a/b'],
      ['an empty key', ''],
      ['51 characters', 'a'.repeat(51)],
    ])('refuses a section key with %s', (_label, key) => {
      const s = apiExampleScheme();
      s.sections[0].key = key;
      expect(validateScheme(s)).toEqual([
        `scoring.sections[0].key "${key}" must be URL-safe: lower-case letters, digits, "-" or "_" (up to 50)`,
      ]);
    });

    it.each([
      ['a space', 'wire up'],
      ['Chinese characters', '接线'],
      ['upper-case letters', 'Wiring'],
    ])('refuses a criterion key with %s', (_label, key) => {
      expect(validateScheme(withCriterion(1, 0, { key }))).toEqual([
        `scoring.sections[1].criteria[0].key "${key}" must be URL-safe: lower-case letters, digits, "-" or "_" (up to 50)`,
      ]);
    });

    it.each(['a', '0', 'hand_tools', 'part-2', 'a'.repeat(50)])('accepts the URL-safe key %p', (key) => {
      expect(validateScheme(withCriterion(1, 0, { key }))).toEqual([]);
    });
  });

  describe('maxScore', () => {
    it.each([
      ['0', 0, 'must be greater than 0'],
      ['negative', -5, 'must be greater than 0'],
      ['not a number', NaN, 'must be greater than 0'],
      ['three decimals (10.125)', 10.125, 'may have at most two decimals'],
      ['three decimals (0.001)', 0.001, 'may have at most two decimals'],
    ])('refuses a maxScore that is %s', (_label, maxScore, what) => {
      expect(validateScheme(withCriterion(1, 1, { maxScore }))).toEqual([`scoring.sections[1].criteria[1].maxScore ${what}`]);
    });

    it.each([
      ['two decimals', 9.75],
      ['one decimal', 0.5],
      ['the smallest two-decimal value', 0.01],
      ['a value whose binary form is inexact (0.29)', 0.29],
      ['a large two-decimal value', 123456.78],
    ])('accepts a maxScore with %s', (_label, maxScore) => {
      expect(validateScheme(withCriterion(1, 1, { maxScore }))).toEqual([]);
    });
  });

  describe('judges and aggregation', () => {
    it.each([
      ['0 judges', { judgesRequired: 0 }, 'scoring.sections[1].criteria[1].judgesRequired must be a whole number of at least 1'],
      ['1.5 judges', { judgesRequired: 1.5 }, 'scoring.sections[1].criteria[1].judgesRequired must be a whole number of at least 1'],
      ['a negative number of judges', { judgesRequired: -3 }, 'scoring.sections[1].criteria[1].judgesRequired must be a whole number of at least 1'],
      [
        'trimmed_mean with 2 judges',
        { aggregation: 'trimmed_mean', judgesRequired: 2 },
        'scoring.sections[1].criteria[1]: trimmed_mean drops the highest and the lowest mark and needs judgesRequired of at least 3',
      ],
      [
        'trimmed_mean with 1 judge',
        { aggregation: 'trimmed_mean', judgesRequired: 1 },
        'scoring.sections[1].criteria[1]: trimmed_mean drops the highest and the lowest mark and needs judgesRequired of at least 3',
      ],
      [
        'single with 2 judges',
        { aggregation: 'single', judgesRequired: 2 },
        'scoring.sections[1].criteria[1]: single aggregation needs judgesRequired of exactly 1',
      ],
    ] as Array<[string, Partial<Criterion>, string]>)('refuses %s', (_label, patch, error) => {
      expect(validateScheme(withCriterion(1, 1, patch))).toEqual([error]);
    });

    it.each([
      ['trimmed_mean with 3 judges', { aggregation: 'trimmed_mean', judgesRequired: 3 }],
      ['single with 1 judge', { aggregation: 'single', judgesRequired: 1 }],
      ['mean with 1 judge', { aggregation: 'mean', judgesRequired: 1 }],
      ['median with 2 judges', { aggregation: 'median', judgesRequired: 2 }],
    ] as Array<[string, Partial<Criterion>]>)('accepts %s', (_label, patch) => {
      expect(validateScheme(withCriterion(1, 1, patch))).toEqual([]);
    });
  });

  describe('structure', () => {
    it('refuses a scheme without sections, with that one reason', () => {
      expect(validateScheme({ sections: [] })).toEqual(['scoring.sections must hold at least one section']);
    });

    it('refuses a section without criteria', () => {
      const s = apiExampleScheme();
      s.sections[0].criteria = [];
      expect(validateScheme(s)).toEqual(['scoring.sections[0].criteria must hold at least one criterion']);
    });
  });

  it('reports several failures at once, each naming its path', () => {
    const s = apiExampleScheme();
    s.sections[0].key = 'Theory';
    s.sections[0].weight = 40;
    s.sections[1].criteria[0] = { ...s.sections[1].criteria[0], maxScore: 0, judgesRequired: 2 };
    s.sections[1].criteria[1] = { ...s.sections[1].criteria[1], key: 'exam' };
    expect(validateScheme(s)).toEqual([
      'scoring.sections[0].key "Theory" must be URL-safe: lower-case letters, digits, "-" or "_" (up to 50)',
      'scoring.sections[1].criteria[0].maxScore must be greater than 0',
      'scoring.sections[1].criteria[0]: trimmed_mean drops the highest and the lowest mark and needs judgesRequired of at least 3',
      'scoring.sections[1].criteria[1].key "exam" is used by another criterion',
      'scoring.sections weights must sum to 100 (they sum to 110)',
    ]);
  });

  it('accepts the example scheme of API.md', () => {
    expect(validateScheme(apiExampleScheme())).toEqual([]);
  });
});

describe('validateTieBreakers', () => {
  it.each([
    ['a section missing from the scheme', [{ by: 'section', key: 'interview', order: 'desc' }], apiExampleScheme(), ['tieBreakers[0].key "interview" names no section of the scoring scheme']],
    ['a criterion key in place of a section key', [{ by: 'section', key: 'wiring', order: 'desc' }], apiExampleScheme(), ['tieBreakers[0].key "wiring" names no section of the scoring scheme']],
    ['any section when there is no scheme', [{ by: 'timeUsed', order: 'asc' }, { by: 'section', key: 'practical', order: 'desc' }], undefined, ['tieBreakers[1].key "practical" names no section of the scoring scheme']],
  ] as Array<[string, TieBreaker[], ScoringScheme | undefined, string[]]>)('refuses a tie-breaker naming %s', (_label, tieBreakers, scheme, errors) => {
    expect(validateTieBreakers(tieBreakers, scheme)).toEqual(errors);
  });

  it.each([
    ['no tie-breakers', [], apiExampleScheme()],
    ['time used, which needs no section', [{ by: 'timeUsed', order: 'asc' }], undefined],
    ['the tie-breakers of API.md', [{ by: 'section', key: 'practical', order: 'desc' }, { by: 'timeUsed', order: 'asc' }], apiExampleScheme()],
  ] as Array<[string, TieBreaker[], ScoringScheme | undefined]>)('accepts %s', (_label, tieBreakers, scheme) => {
    expect(validateTieBreakers(tieBreakers, scheme)).toEqual([]);
  });
});

describe('validateAwardRules', () => {
  it.each([
    ['fromRank 0', { fromRank: 0, toRank: 3, award: 'prize_1' }, ['awardRules[0].fromRank must be a whole number of at least 1']],
    ['a fractional fromRank', { fromRank: 1.5, toRank: 3, award: 'prize_1' }, ['awardRules[0].fromRank must be a whole number of at least 1']],
    ['toRank below fromRank', { fromRank: 3, toRank: 2, award: 'prize_2' }, ['awardRules[0].toRank must be a whole number not below fromRank']],
    ['a fractional toRank', { fromRank: 1, toRank: 2.5, award: 'prize_2' }, ['awardRules[0].toRank must be a whole number not below fromRank']],
    ['an unknown award', { fromRank: 1, toRank: 1, award: 'gold_medal' }, [expect.stringMatching(/^awardRules\[0\]\.award "gold_medal" is not a known award \(may_day_medal, .*skill_promotion\)$/)]],
    ['minTotal 101', { fromRank: 1, toRank: 3, award: 'technical_expert', minTotal: 101 }, ['awardRules[0].minTotal must be from 0 to 100']],
    ['minTotal -1', { fromRank: 1, toRank: 3, award: 'technical_expert', minTotal: -1 }, ['awardRules[0].minTotal must be from 0 to 100']],
    [
      'every field at once',
      { fromRank: 0, toRank: -1, award: 'trophy', minTotal: 200 },
      [
        'awardRules[0].fromRank must be a whole number of at least 1',
        'awardRules[0].toRank must be a whole number not below fromRank',
        expect.stringContaining('awardRules[0].award "trophy" is not a known award'),
        'awardRules[0].minTotal must be from 0 to 100',
      ],
    ],
  ] as Array<[string, AwardRule, unknown[]]>)('refuses %s', (_label, rule, errors) => {
    expect(validateAwardRules([rule])).toEqual(errors);
  });

  it('names the index of the failing rule', () => {
    expect(validateAwardRules([{ fromRank: 1, toRank: 1, award: 'may_day_medal' }, { fromRank: 1, toRank: 3, award: 'merit', minTotal: 100.5 }])).toEqual([
      'awardRules[1].minTotal must be from 0 to 100',
    ]);
  });

  it.each([
    ['the award rules of API.md', [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }, { fromRank: 1, toRank: 3, award: 'technical_expert', minTotal: 60 }]],
    ['minTotal at its bounds 0 and 100', [{ fromRank: 1, toRank: 1, award: 'prize_1', minTotal: 0 }, { fromRank: 2, toRank: 2, award: 'prize_2', minTotal: 100 }]],
    ['fromRank equal to toRank', [{ fromRank: 4, toRank: 4, award: 'merit' }]],
    ['no rules', []],
  ] as Array<[string, AwardRule[]]>)('accepts %s', (_label, rules) => {
    expect(validateAwardRules(rules)).toEqual([]);
  });
});

describe('validateSchedule', () => {
  const inOrder: Schedule = {
    enrolmentOpensAt: '2026-03-01T08:00:00+08:00',
    enrolmentClosesAt: '2026-04-01T17:00:00+08:00',
    startsAt: '2026-05-01T08:00:00+08:00',
    endsAt: '2026-05-02T17:00:00+08:00',
  };

  it.each([
    ['an unparseable time', { ...inOrder, startsAt: 'next Monday' }, ['schedule.startsAt is not an ISO-8601 time']],
    ['an empty time', { ...inOrder, enrolmentOpensAt: '' }, ['schedule.enrolmentOpensAt is not an ISO-8601 time']],
    ['closing before opening', { ...inOrder, enrolmentClosesAt: '2026-02-01T08:00:00+08:00' }, ['schedule.enrolmentClosesAt must come after schedule.enrolmentOpensAt']],
    ['closing at the moment of opening', { ...inOrder, enrolmentClosesAt: inOrder.enrolmentOpensAt }, ['schedule.enrolmentClosesAt must come after schedule.enrolmentOpensAt']],
    ['starting before enrolment closes', { ...inOrder, startsAt: '2026-03-15T08:00:00+08:00' }, ['schedule.startsAt must come after schedule.enrolmentClosesAt']],
    ['ending at the moment of starting', { ...inOrder, endsAt: inOrder.startsAt }, ['schedule.endsAt must come after schedule.startsAt']],
    ['ending before starting with enrolment times absent', { startsAt: inOrder.startsAt, endsAt: '2026-04-30T08:00:00+08:00' }, ['schedule.endsAt must come after schedule.startsAt']],
    ['an end in another offset that is the very instant of the start', { startsAt: '2026-05-01T08:00:00+08:00', endsAt: '2026-05-01T00:00:00Z' }, ['schedule.endsAt must come after schedule.startsAt']],
  ] as Array<[string, Schedule, string[]]>)('refuses %s', (_label, schedule, errors) => {
    expect(validateSchedule(schedule)).toEqual(errors);
  });

  it.each([
    ['all four times in order', inOrder],
    ['enrolment closing exactly when the competition starts', { ...inOrder, enrolmentClosesAt: inOrder.startsAt }],
    ['only some of the times', { enrolmentOpensAt: inOrder.enrolmentOpensAt, startsAt: inOrder.startsAt }],
    ['no times at all', {}],
  ] as Array<[string, Schedule]>)('accepts %s', (_label, schedule) => {
    expect(validateSchedule(schedule)).toEqual([]);
  });
});

describe('validateCompetitionRules', () => {
  it.each([
    ['minAge above maxAge', { minAge: 56, maxAge: 55 }, ['enrolmentRules.minAge must not exceed enrolmentRules.maxAge']],
    ['minAge equal to maxAge', { minAge: 40, maxAge: 40 }, []],
    ['only a minAge', { minAge: 18 }, []],
    ['only a maxAge', { maxAge: 55 }, []],
  ])('checks the age bounds: %s', (_label, enrolmentRules, errors) => {
    expect(validateCompetitionRules({ enrolmentRules })).toEqual(errors);
  });

  it('gathers the failures of the scheme, tie-breakers, award rules, schedule and age bounds in one list', () => {
    expect(
      validateCompetitionRules({
        scoring: withCriterion(0, 0, { maxScore: 10.125 }),
        tieBreakers: [{ by: 'section', key: 'interview', order: 'desc' }],
        awardRules: [{ fromRank: 0, toRank: 1, award: 'prize_1' }],
        schedule: { startsAt: '2026-05-02T08:00:00+08:00', endsAt: '2026-05-01T08:00:00+08:00' },
        enrolmentRules: { minAge: 60, maxAge: 18 },
      }),
    ).toEqual([
      'scoring.sections[0].criteria[0].maxScore may have at most two decimals',
      'tieBreakers[0].key "interview" names no section of the scoring scheme',
      'awardRules[0].fromRank must be a whole number of at least 1',
      'schedule.endsAt must come after schedule.startsAt',
      'enrolmentRules.minAge must not exceed enrolmentRules.maxAge',
    ]);
  });

  it('accepts the create body of API.md', () => {
    expect(
      validateCompetitionRules({
        scoring: apiExampleScheme(),
        tieBreakers: [{ by: 'section', key: 'practical', order: 'desc' }, { by: 'timeUsed', order: 'asc' }],
        awardRules: [{ fromRank: 1, toRank: 1, award: 'may_day_medal' }, { fromRank: 1, toRank: 3, award: 'technical_expert', minTotal: 60 }],
        schedule: { enrolmentOpensAt: '2026-03-01T08:00:00+08:00', enrolmentClosesAt: '2026-04-01T17:00:00+08:00', startsAt: '2026-05-01T08:00:00+08:00', endsAt: '2026-05-02T17:00:00+08:00' },
        enrolmentRules: { minAge: 18, maxAge: 55 },
      }),
    ).toEqual([]);
  });
});
