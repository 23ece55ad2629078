import { noticePeriodEndsAt, planResults, resultValues, ResultValues, sameValues, StandingInput } from './results';

const entry = (id: string, total: number | null, over: Partial<StandingInput> = {}): StandingInput => ({
  enrolmentId: id,
  workerId: `w-${id}`,
  status: 'approved',
  bib: Number(id.replace(/\D/g, '')) || null,
  timeUsedSeconds: null,
  total,
  sections: total === null ? {} : { theory: total, practical: total },
  penalties: 0,
  complete: total !== null,
  ...over,
});

describe('resultValues', () => {
  it('ranks like the live ranking: ties share a rank and the next skips (1, 1, 3)', () => {
    const rows = resultValues([entry('e1', 8000), entry('e2', 9000), entry('e3', 9000)], []);
    expect(rows.map((r) => [r.enrolmentId, r.rank])).toEqual([
      ['e2', 1],
      ['e3', 1],
      ['e1', 3],
    ]);
  });

  it('breaks a tie on total by the configured tie-breakers', () => {
    const a = entry('e1', 9000, { sections: { theory: 9500, practical: 8800 } });
    const b = entry('e2', 9000, { sections: { theory: 8000, practical: 9600 } });
    const rows = resultValues([a, b], [{ by: 'section', key: 'practical', order: 'desc' }]);
    expect(rows.map((r) => [r.enrolmentId, r.rank])).toEqual([
      ['e2', 1],
      ['e1', 2],
    ]);
  });

  it('keeps an incomplete entry unranked with total 0 when it has none, and leaves out sections without a score', () => {
    const partial = entry('e2', null, { sections: { theory: 7000, practical: null } });
    const rows = resultValues([entry('e1', 8000), partial], []);
    expect(rows[1]).toEqual({ enrolmentId: 'e2', workerId: 'w-e2', rank: null, total: 0, sections: { theory: 7000 }, penalties: 0, complete: false });
  });

  it('leaves out entries that are not approved', () => {
    expect(resultValues([entry('e1', 8000), entry('e2', 9900, { status: 'disqualified' }), entry('e3', 9900, { status: 'absent' })], []).map((r) => r.enrolmentId)).toEqual(['e1']);
  });

  it('carries penalties and the worker through', () => {
    const [r] = resultValues([entry('e1', 8000, { penalties: 250 })], []);
    expect([r.penalties, r.workerId]).toEqual([250, 'w-e1']);
  });
});

const row = (id: string, rank: number | null, total: number, over: Partial<ResultValues> = {}): ResultValues => ({
  enrolmentId: id,
  workerId: `w-${id}`,
  rank,
  total,
  sections: { theory: total },
  penalties: 0,
  complete: true,
  ...over,
});

describe('sameValues', () => {
  it.each([
    ['rank', { rank: 2 }],
    ['total', { total: 1 }],
    ['penalties', { penalties: 100 }],
    ['completeness', { complete: false }],
    ['a section score', { sections: { theory: 1 } }],
    ['a section more', { sections: { theory: 8000, practical: 1 } }],
  ])('sees a change of %s', (_what, over) => {
    expect(sameValues(row('e1', 1, 8000), row('e1', 1, 8000, over as Partial<ResultValues>))).toBe(false);
  });

  it('ignores the order of section keys', () => {
    expect(sameValues(row('e1', 1, 8000, { sections: { a: 1, b: 2 } }), row('e1', 1, 8000, { sections: { b: 2, a: 1 } }))).toBe(true);
  });
});

describe('planResults', () => {
  it('inserts every row the first time (publication)', () => {
    const plan = planResults([], [row('e1', 1, 9000), row('e2', 2, 8000)]);
    expect(plan.insert.map((r) => r.enrolmentId)).toEqual(['e1', 'e2']);
    expect(plan.update).toEqual([]);
    expect(plan.changes).toEqual([
      { enrolmentId: 'e1', before: null, after: { rank: 1, total: 9000 } },
      { enrolmentId: 'e2', before: null, after: { rank: 2, total: 8000 } },
    ]);
  });

  it('updates only the rows that changed, ranks shifting included', () => {
    const stored = [
      { id: 'r1', ...row('e1', 1, 9000) },
      { id: 'r2', ...row('e2', 2, 8000) },
      { id: 'r3', ...row('e3', 3, 7000) },
    ];
    const plan = planResults(stored, [row('e2', 1, 9500, { sections: { theory: 9500 } }), row('e1', 2, 9000), row('e3', 3, 7000)]);
    expect(plan.insert).toEqual([]);
    expect(plan.update.map((u) => [u.id, u.values.rank, u.values.total])).toEqual([
      ['r2', 1, 9500],
      ['r1', 2, 9000],
    ]);
    expect(plan.changes).toEqual([
      { enrolmentId: 'e2', before: { rank: 2, total: 8000 }, after: { rank: 1, total: 9500 } },
      { enrolmentId: 'e1', before: { rank: 1, total: 9000 }, after: { rank: 2, total: 9000 } },
    ]);
  });

  it('changes nothing when nothing changed', () => {
    const plan = planResults([{ id: 'r1', ...row('e1', 1, 9000) }], [row('e1', 1, 9000)]);
    expect(plan).toEqual({ insert: [], update: [], remove: [], changes: [] });
  });

  it('removes rows of entries no longer ranked', () => {
    const plan = planResults([{ id: 'r1', ...row('e1', 1, 9000) }], []);
    expect(plan.remove).toEqual(['r1']);
    expect(plan.changes).toEqual([{ enrolmentId: 'e1', before: { rank: 1, total: 9000 }, after: null }]);
  });
});

describe('noticePeriodEndsAt', () => {
  it.each([
    [5, '2026-11-28T08:00:00.000Z', '2026-12-03T08:00:00.000Z'],
    [0, '2026-11-28T08:00:00.000Z', '2026-11-28T08:00:00.000Z'],
    [1, '2026-12-31T23:59:59.999Z', '2027-01-01T23:59:59.999Z'],
  ])('%i days from %s ends at %s', (days, from, to) => {
    expect(noticePeriodEndsAt(new Date(from), days).toISOString()).toBe(to);
  });
});
