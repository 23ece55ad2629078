import { paddedToPowerOfTwo, powerOfTwoAtLeast, powerOfTwoChunks } from './statement-shapes';

describe('statement shapes', () => {
  it.each([
    [0, 1],
    [1, 1],
    [2, 2],
    [3, 4],
    [45, 64],
    [64, 64],
    [65, 128],
  ])('powerOfTwoAtLeast(%i) = %i', (n, p) => expect(powerOfTwoAtLeast(n)).toBe(p));

  it('pads a list by repeating its last value, and leaves an empty one empty', () => {
    expect(paddedToPowerOfTwo(['a', 'b', 'c'])).toEqual(['a', 'b', 'c', 'c']);
    expect(paddedToPowerOfTwo(['a', 'b'])).toEqual(['a', 'b']);
    expect(paddedToPowerOfTwo([])).toEqual([]);
    expect(new Set(paddedToPowerOfTwo(Array.from({ length: 45 }, (_, i) => i))).size).toBe(45);
  });

  it.each([
    [45, 128, [32, 8, 4, 1]],
    [1, 128, [1]],
    [0, 128, []],
    [300, 128, [128, 128, 32, 8, 4]],
    [7, 4, [4, 2, 1]],
  ])('splits %i rows (max %i) into %j, every row once and in order', (n, max, sizes) => {
    const rows = Array.from({ length: n }, (_, i) => i);
    const chunks = powerOfTwoChunks(rows, max);
    expect(chunks.map((c) => c.length)).toEqual(sizes);
    expect(chunks.flat()).toEqual(rows);
  });

  it('refuses a maximum that is not a power of two', () => {
    expect(() => powerOfTwoChunks([1, 2, 3], 100)).toThrow(RangeError);
  });

  it('keeps the number of distinct sizes small: 1 to 1,000 rows use 8 chunk sizes and 11 padded lengths', () => {
    const chunkSizes = new Set<number>();
    const padded = new Set<number>();
    for (let n = 1; n <= 1000; n++) {
      for (const c of powerOfTwoChunks(Array.from({ length: n }), 128)) chunkSizes.add(c.length);
      padded.add(paddedToPowerOfTwo(Array.from({ length: n }, (_, i) => i)).length);
    }
    expect(chunkSizes.size).toBe(8);
    expect(padded.size).toBe(11);
  });
});
