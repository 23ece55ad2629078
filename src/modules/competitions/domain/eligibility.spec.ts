import { EligibilityInput, Ineligibility, checkEligibility } from './eligibility';

const OPENS = '2026-03-01T08:00:00+08:00';
const CLOSES = '2026-04-01T17:00:00+08:00';
/** 08:00 on 1 May in China is 00:00 UTC, and a day earlier still in every zone west of Greenwich. */
const STARTS = '2026-05-01T08:00:00+08:00';
const IN_WINDOW = new Date('2026-03-15T10:00:00+08:00');

/** A worker and competition meeting every rule, so a case fails only on the field it changes. */
const eligible = (): EligibilityInput => ({
  competition: {
    status: 'enrolment_open',
    trade: '电工',
    schedule: { enrolmentOpensAt: OPENS, enrolmentClosesAt: CLOSES, startsAt: STARTS, endsAt: '2026-05-02T17:00:00+08:00' },
    enrolmentRules: { minAge: 18, maxAge: 55, minSkillLevel: 4, quotaPerOrganization: 3 },
    eligiblePath: '/zj/qz/',
  },
  worker: { birthDate: '1990-03-07', skillLevel: 3, trade: '电工', employerPath: '/zj/qz/kc/plant-7/' },
  selfService: true,
  now: IN_WINDOW,
});

type Patch = {
  competition?: Partial<EligibilityInput['competition']>;
  worker?: Partial<EligibilityInput['worker']>;
  selfService?: boolean;
  now?: Date;
};

const check = (patch: Patch = {}): Ineligibility[] => {
  const base = eligible();
  return checkEligibility({
    competition: { ...base.competition, ...patch.competition },
    worker: { ...base.worker, ...patch.worker },
    selfService: patch.selfService ?? base.selfService,
    now: patch.now ?? base.now,
  });
};

const rules = (reasons: Ineligibility[]) => reasons.map((r) => r.rule);

describe('checkEligibility', () => {
  it('reports every unmet rule at once, each with its rule', () => {
    const reasons = check({
      competition: { status: 'enrolment_closed' },
      worker: { birthDate: '2010-01-01', skillLevel: 5, trade: '焊工', employerPath: '/zj/hz/plant-1/' },
    });
    expect(reasons).toEqual([
      { rule: 'window', message: 'enrolment is not open (the competition is enrolment_closed)' },
      { rule: 'age', message: "age 16 on the competition's start date is below the minimum of 18" },
      { rule: 'skill_level', message: 'skill level 5 is below the required level 4 (1 is the highest)' },
      { rule: 'trade', message: "the competition is for the trade 电工, the worker's trade is 焊工" },
      { rule: 'organization', message: "the worker's employer is not within the organizations this competition is open to" },
    ]);
  });

  describe('window', () => {
    it.each([
      ['draft', true],
      ['draft', false],
      ['enrolment_closed', false],
      ['in_progress', false],
      ['cancelled', false],
    ])('refuses while the competition is %s (self-service: %s)', (status, selfService) => {
      expect(check({ competition: { status }, selfService })).toEqual([{ rule: 'window', message: `enrolment is not open (the competition is ${status})` }]);
    });

    it.each([
      ['a second before it opens', new Date(Date.parse(OPENS) - 1000), `enrolment opens at ${OPENS}`],
      ['a day before it opens', new Date('2026-02-28T08:00:00+08:00'), `enrolment opens at ${OPENS}`],
      ['a second after it closes', new Date(Date.parse(CLOSES) + 1000), `enrolment closed at ${CLOSES}`],
      ['after the competition started', new Date('2026-05-01T09:00:00+08:00'), `enrolment closed at ${CLOSES}`],
    ])('refuses self-service enrolment %s although the state is enrolment_open', (_label, now, message) => {
      expect(check({ now })).toEqual([{ rule: 'window', message }]);
    });

    it.each([
      ['at the very moment it opens', new Date(OPENS)],
      ['at the very moment it closes', new Date(CLOSES)],
    ])('accepts self-service enrolment %s', (_label, now) => {
      expect(check({ now })).toEqual([]);
    });

    it.each([
      ['before the window opens', new Date('2026-02-01T08:00:00+08:00')],
      ['after the window closed', new Date('2026-04-20T08:00:00+08:00')],
    ])('accepts an organizer enrolling a worker %s while the state is enrolment_open', (_label, now) => {
      expect(check({ selfService: false, now })).toEqual([]);
    });

    it('accepts self-service enrolment when the schedule has no window', () => {
      expect(check({ competition: { schedule: { startsAt: STARTS } }, now: new Date('2030-01-01T00:00:00Z') })).toEqual([]);
    });
  });

  describe('age on the start date', () => {
    it.each([
      // [label, birthDate, reasons]: the start date is 2026-05-01, minAge 18, maxAge 55
      ['turns 18 the day after the start', '2008-05-02', [{ rule: 'age', message: "age 17 on the competition's start date is below the minimum of 18" }]],
      ['turns 18 on the start date', '2008-05-01', []],
      ['turned 18 the day before the start', '2008-04-30', []],
      ['turned 56 the day before the start', '1970-04-30', [{ rule: 'age', message: "age 56 on the competition's start date is above the maximum of 55" }]],
      ['turns 56 on the start date', '1970-05-01', [{ rule: 'age', message: "age 56 on the competition's start date is above the maximum of 55" }]],
      ['turns 56 the day after the start', '1970-05-02', []],
    ])('for a worker who %s', (_label, birthDate, reasons) => {
      expect(check({ worker: { birthDate } })).toEqual(reasons);
    });

    it.each([
      ['07:30 in China (still the day before in UTC)', '2026-05-01T07:30:00+08:00'],
      ['the same instant written in UTC', '2026-04-30T23:30:00Z'],
      ['23:59 in China', '2026-05-01T23:59:00+08:00'],
    ])("takes the start date as the calendar day in China whatever the server's time zone: %s", (_label, startsAt) => {
      const on = (birthDate: string) => rules(check({ competition: { schedule: { startsAt } }, worker: { birthDate } }));
      expect(on('2008-05-01')).toEqual([]);
      expect(on('2008-05-02')).toEqual(['age']);
    });

    it('computes the age on the day of enrolment when the schedule has no start', () => {
      const competition = { schedule: {} };
      const now = new Date('2026-03-15T10:00:00+08:00');
      expect(check({ competition, now, worker: { birthDate: '2008-03-16' } })).toEqual([
        { rule: 'age', message: "age 17 on the competition's start date is below the minimum of 18" },
      ]);
      expect(check({ competition, now, worker: { birthDate: '2008-03-15' } })).toEqual([]);
    });

    it.each([
      ['only a minimum', { minAge: 18 }, '1930-01-01', []],
      ['only a maximum', { maxAge: 55 }, '2020-01-01', []],
      ['no bounds', {}, '2020-01-01', []],
    ])('checks %s', (_label, enrolmentRules, birthDate, reasons) => {
      expect(check({ competition: { enrolmentRules }, worker: { birthDate } })).toEqual(reasons);
    });
  });

  describe('skill level (1 is the highest)', () => {
    it.each([
      ['level 5 (entry) when 4 is required', 5, 'skill level 5 is below the required level 4 (1 is the highest)'],
      ['no recorded level', null, 'a skill level of 4 or higher is required and none is recorded'],
    ])('refuses %s', (_label, skillLevel, message) => {
      expect(check({ worker: { skillLevel } })).toEqual([{ rule: 'skill_level', message }]);
    });

    it.each([4, 3, 2, 1])('accepts level %i when 4 is required', (skillLevel) => {
      expect(check({ worker: { skillLevel } })).toEqual([]);
    });

    it.each([5, null])('accepts level %p when no level is required', (skillLevel) => {
      expect(check({ competition: { enrolmentRules: {} }, worker: { skillLevel } })).toEqual([]);
    });
  });

  describe('trade', () => {
    it.each([
      ['another trade', '焊工', '焊工'],
      ['no recorded trade', null, 'not recorded'],
      ['an empty trade', '', ''],
    ])("refuses a worker with %s", (_label, trade, shown) => {
      expect(check({ worker: { trade } })).toEqual([{ rule: 'trade', message: `the competition is for the trade 电工, the worker's trade is ${shown}` }]);
    });

    it.each([
      ['surrounding whitespace in the worker trade', { trade: '电工' }, { trade: ' 电工 ' }],
      ['surrounding whitespace in the competition trade', { trade: '电工\t' }, { trade: '电工' }],
      ['a competition without trade and a worker with one', { trade: null }, { trade: '焊工' }],
      ['a competition without trade and a worker without one', { trade: null }, { trade: null }],
    ])('accepts %s', (_label, competition, worker) => {
      expect(check({ competition, worker })).toEqual([]);
    });
  });

  describe('organization', () => {
    it.each([
      ['a sibling whose id starts with the same text', '/zj/qz/', '/zj/qzx/plant-1/'],
      ['the parent of the eligible root', '/zj/qz/', '/zj/'],
      ['another branch of the tree', '/zj/qz/', '/zj/hz/plant-1/'],
      ['a sibling of an eligible "/a/" at "/ab/"', '/a/', '/ab/'],
    ])('refuses an employer in %s', (_label, eligiblePath, employerPath) => {
      expect(check({ competition: { eligiblePath }, worker: { employerPath } })).toEqual([
        { rule: 'organization', message: "the worker's employer is not within the organizations this competition is open to" },
      ]);
    });

    it.each([
      ['the eligible root itself', '/zj/qz/', '/zj/qz/'],
      ['a direct child of the root', '/zj/qz/', '/zj/qz/kc/'],
      ['a team four levels down', '/zj/', '/zj/qz/kc/plant-7/team-2/'],
      ['"/a/b/" under "/a/"', '/a/', '/a/b/'],
    ])('accepts an employer at %s', (_label, eligiblePath, employerPath) => {
      expect(check({ competition: { eligiblePath }, worker: { employerPath } })).toEqual([]);
    });
  });

  it('accepts a worker meeting every rule', () => {
    expect(check()).toEqual([]);
  });
});
