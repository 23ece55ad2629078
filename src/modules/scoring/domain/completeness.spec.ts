import { incompleteEntries } from './completeness';

const entry = (bib: number | null, complete: boolean, enrolmentId = `e-${bib ?? 'x'}`) => ({ bib, enrolmentId, complete });

describe('incompleteEntries', () => {
  it.each([
    ['no entries', [], { count: 0, bibs: [] }],
    ['only complete entries', [entry(1, true), entry(2, true)], { count: 0, bibs: [] }],
    ['one incomplete entry', [entry(1, true), entry(2, false)], { count: 1, bibs: [2] }],
    ['incomplete entries out of bib order, listed ascending', [entry(12, false), entry(4, false), entry(7, false), entry(5, true)], { count: 3, bibs: [4, 7, 12] }],
    ['bibs 10 and 9, sorted as numbers not text', [entry(10, false), entry(9, false)], { count: 2, bibs: [9, 10] }],
    ['an incomplete entry without a bib: counted, not listed', [entry(null, false, 'e-a'), entry(3, false)], { count: 2, bibs: [3] }],
    ['only entries without a bib', [entry(null, false, 'e-a'), entry(null, false, 'e-b')], { count: 2, bibs: [] }],
    ['every entry incomplete', [entry(2, false), entry(1, false)], { count: 2, bibs: [1, 2] }],
  ])('reports %s', (_label, entries, expected) => {
    expect(incompleteEntries(entries)).toEqual(expected);
  });

  it('leaves the input as it was', () => {
    const entries = [entry(3, false), entry(1, false)];
    incompleteEntries(entries);
    expect(entries.map((e) => e.bib)).toEqual([3, 1]);
  });
});
