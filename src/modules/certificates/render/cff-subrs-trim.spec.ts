import { trimmedLength } from './cff-subrs-trim';

describe('trimmedLength (CFF subroutines kept in a subset)', () => {
  it.each([
    ['keeps up to the last used one when the bias bracket allows', 1000, { 3: true, 17: true }, 18],
    ['keeps none of a small index when none is used', 1000, {}, 0],
    ['never goes below 1240 for an index of 1240 to 33899 (bias 1131)', 28516, { 5: true }, 1240],
    ['keeps up to the last used one above the bracket floor', 28516, { 5: true, 20000: true }, 20001],
    ['never goes below 33900 for a larger index (bias 32768)', 40000, { 1: true }, 33900],
    ['keeps a bracket-floor index whole', 1240, { 0: true }, 1240],
    ['ignores slots marked unused', 1000, { 3: true, 900: false }, 4],
  ])('%s', (_label, count, used, expected) => {
    expect(trimmedLength(count, used as Record<number, boolean>)).toBe(expected);
  });
});
