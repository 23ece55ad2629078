import { COMPETITION_STATUSES, CompetitionStatus } from './competition.types';
import { Guard, GUARDS, TransitionFacts, allowedTargets, checkTransition } from './lifecycle';

/** Facts meeting every guard this issue owns, so a case fails only on the fact it changes. */
const allMet: TransitionFacts = { schemeErrors: [], hasEnrolmentWindow: true, approvedEntries: 2, bibsDrawn: true };

const FORWARD: Array<[CompetitionStatus, CompetitionStatus]> = [
  ['draft', 'enrolment_open'],
  ['enrolment_open', 'enrolment_closed'],
  ['enrolment_closed', 'in_progress'],
  ['in_progress', 'scores_locked'],
  ['scores_locked', 'published'],
  ['published', 'finalized'],
];

const BEFORE_FINALIZED: CompetitionStatus[] = ['draft', 'enrolment_open', 'enrolment_closed', 'in_progress', 'scores_locked', 'published'];

describe('checkTransition', () => {
  describe('edges of the lifecycle', () => {
    it.each([
      ['draft', 'enrolment_closed', 'enrolment_open, cancelled'],
      ['draft', 'in_progress', 'enrolment_open, cancelled'],
      ['draft', 'finalized', 'enrolment_open, cancelled'],
      ['enrolment_open', 'in_progress', 'enrolment_closed, cancelled'],
      ['enrolment_closed', 'scores_locked', 'in_progress, cancelled'],
      ['in_progress', 'published', 'scores_locked, cancelled'],
      ['scores_locked', 'finalized', 'published, cancelled'],
    ] as Array<[CompetitionStatus, CompetitionStatus, string]>)('refuses to skip a state: %s → %s, naming the possible targets', (from, to, possible) => {
      expect(checkTransition(from, to, allMet)).toEqual({
        ok: false,
        code: 'INVALID_TRANSITION',
        message: `a competition in ${from} cannot move to ${to} (possible: ${possible})`,
      });
    });

    it.each([
      ['enrolment_open', 'draft'],
      ['in_progress', 'enrolment_open'],
      ['published', 'scores_locked'],
    ] as Array<[CompetitionStatus, CompetitionStatus]>)('refuses to move backwards: %s → %s', (from, to) => {
      expect(checkTransition(from, to, allMet)).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
    });

    it.each(COMPETITION_STATUSES.filter((s) => s !== 'finalized' && s !== 'cancelled'))('refuses to stay in %s', (status) => {
      expect(checkTransition(status, status, allMet)).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
    });

    it.each(
      (['finalized', 'cancelled'] as const).flatMap((from) => COMPETITION_STATUSES.map((to) => [from, to] as [CompetitionStatus, CompetitionStatus])),
    )('treats %s as final: refuses → %s', (from, to) => {
      expect(checkTransition(from, to, { ...allMet, force: true })).toEqual({
        ok: false,
        code: 'INVALID_TRANSITION',
        message: `a competition in ${from} cannot move to ${to} (it is final)`,
      });
    });

    it.each(BEFORE_FINALIZED)('allows cancelling from %s, even with no facts at all', (from) => {
      expect(checkTransition(from, 'cancelled', {})).toEqual({ ok: true });
    });

    it.each(FORWARD)('allows %s → %s when its guards hold', (from, to) => {
      expect(checkTransition(from, to, allMet)).toEqual({ ok: true });
    });
  });

  describe('opening enrolment', () => {
    it.each([
      ['no scoring scheme', { schemeErrors: undefined }, 'SCHEME_MISSING', 'opening enrolment needs a scoring scheme'],
      [
        'an invalid scoring scheme',
        { schemeErrors: ['scoring.sections weights must sum to 100 (they sum to 90)', 'scoring.sections[1].criteria[0].maxScore must be greater than 0'] },
        'SCHEME_INVALID',
        'opening enrolment needs a valid scoring scheme: scoring.sections weights must sum to 100 (they sum to 90); scoring.sections[1].criteria[0].maxScore must be greater than 0',
      ],
      ['no enrolment window', { hasEnrolmentWindow: false }, 'NO_ENROLMENT_WINDOW', 'opening enrolment needs schedule.enrolmentOpensAt and schedule.enrolmentClosesAt'],
      ['an unknown enrolment window', { hasEnrolmentWindow: undefined }, 'NO_ENROLMENT_WINDOW', 'opening enrolment needs schedule.enrolmentOpensAt and schedule.enrolmentClosesAt'],
    ] as Array<[string, Partial<TransitionFacts>, string, string]>)('refuses with %s', (_label, facts, code, message) => {
      expect(checkTransition('draft', 'enrolment_open', { ...allMet, ...facts })).toEqual({ ok: false, code, message });
    });

    it('names the scheme first when both the scheme and the window are missing', () => {
      expect(checkTransition('draft', 'enrolment_open', {})).toMatchObject({ ok: false, code: 'SCHEME_MISSING' });
    });
  });

  describe('closing enrolment', () => {
    it.each([
      ['no count of entries', undefined, 0],
      ['0 approved entries', 0, 0],
      ['1 approved entry', 1, 1],
    ])('refuses with %s, saying how many there are', (_label, approvedEntries, shown) => {
      expect(checkTransition('enrolment_open', 'enrolment_closed', { ...allMet, approvedEntries })).toEqual({
        ok: false,
        code: 'TOO_FEW_ENTRIES',
        message: `closing enrolment needs at least 2 approved entries (there are ${shown})`,
      });
    });

    it.each([2, 3, 500])('allows closing with %i approved entries', (approvedEntries) => {
      expect(checkTransition('enrolment_open', 'enrolment_closed', { ...allMet, approvedEntries })).toEqual({ ok: true });
    });
  });

  describe('starting', () => {
    it.each([
      ['bibs not drawn', false],
      ['no fact about bibs', undefined],
    ])('refuses with %s', (_label, bibsDrawn) => {
      expect(checkTransition('enrolment_closed', 'in_progress', { ...allMet, bibsDrawn })).toEqual({
        ok: false,
        code: 'BIBS_NOT_DRAWN',
        message: 'starting needs bib numbers drawn (POST /api/competitions/:id/draw)',
      });
    });
  });

  describe('a custom guards table (later guards plug in)', () => {
    const scoresComplete: Guard = (f) => (f.scoresComplete ? null : { code: 'SCORES_INCOMPLETE', message: 'publishing needs every contestant fully scored' });
    const noticeOver: Guard = (f) => (f.noticeOver || f.force ? null : { code: 'NOTICE_PERIOD_RUNNING', message: 'the notice period is not over' });
    const guards = { ...GUARDS, published: [scoresComplete], finalized: [noticeOver] };

    it.each([
      ['scores_locked', 'published', {}, { ok: false, code: 'SCORES_INCOMPLETE', message: 'publishing needs every contestant fully scored' }],
      ['scores_locked', 'published', { scoresComplete: true }, { ok: true }],
      ['published', 'finalized', {}, { ok: false, code: 'NOTICE_PERIOD_RUNNING', message: 'the notice period is not over' }],
      ['published', 'finalized', { force: true }, { ok: true }],
      ['enrolment_open', 'enrolment_closed', { approvedEntries: 1 }, { ok: false, code: 'TOO_FEW_ENTRIES', message: 'closing enrolment needs at least 2 approved entries (there are 1)' }],
    ] as Array<[CompetitionStatus, CompetitionStatus, TransitionFacts, unknown]>)('applies the plugged-in table to %s → %s with %o', (from, to, facts, result) => {
      expect(checkTransition(from, to, facts, guards)).toEqual(result);
    });

    it('still refuses an edge outside the lifecycle before asking any guard', () => {
      const asked = jest.fn(() => null);
      expect(checkTransition('draft', 'published', {}, { published: [asked] })).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
      expect(asked).not.toHaveBeenCalled();
    });

    it('stops at the first unmet guard of the target', () => {
      const second = jest.fn(() => null);
      const first: Guard = () => ({ code: 'FIRST', message: 'first guard unmet' });
      expect(checkTransition('scores_locked', 'published', {}, { published: [first, second] })).toEqual({ ok: false, code: 'FIRST', message: 'first guard unmet' });
      expect(second).not.toHaveBeenCalled();
    });

    it('passes the facts to every guard of the target', () => {
      const guard = jest.fn(() => null);
      const facts = { custom: 42 };
      expect(checkTransition('in_progress', 'scores_locked', facts, { scores_locked: [guard] })).toEqual({ ok: true });
      expect(guard).toHaveBeenCalledWith(facts);
    });
  });
});

describe('allowedTargets', () => {
  it('hands out a copy, so a caller changing it cannot change the lifecycle', () => {
    allowedTargets('draft').push('finalized');
    allowedTargets('draft').reverse();
    expect(allowedTargets('draft')).toEqual(['enrolment_open', 'cancelled']);
    expect(checkTransition('draft', 'finalized', allMet)).toMatchObject({ ok: false, code: 'INVALID_TRANSITION' });
  });

  it.each([
    ['finalized', []],
    ['cancelled', []],
    ['draft', ['enrolment_open', 'cancelled']],
    ['enrolment_open', ['enrolment_closed', 'cancelled']],
    ['enrolment_closed', ['in_progress', 'cancelled']],
    ['in_progress', ['scores_locked', 'cancelled']],
    ['scores_locked', ['published', 'cancelled']],
    ['published', ['finalized', 'cancelled']],
  ] as Array<[CompetitionStatus, CompetitionStatus[]]>)('from %s allows %j', (from, targets) => {
    expect(allowedTargets(from)).toEqual(targets);
  });
});
