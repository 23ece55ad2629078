/**
 * Statement texts that do not depend on exactly how many rows or values a call carries. A text with
 * 45 rows and one with 46 are two statements to prepare (and two entries in the driver's statement
 * cache); with the sizes below a busy route uses a handful of texts, each prepared once.
 */

/** The smallest power of two ≥ n (1 for n ≤ 1). */
export function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * The values of an IN list or of OR-ed lookups, padded to a power of two by repeating the last one:
 * `x IN (a, b, b, b)` matches what `x IN (a, b)` matches, and a repeated OR term adds nothing.
 */
export function paddedToPowerOfTwo<T>(values: readonly T[]): T[] {
  const out = values.slice();
  if (out.length === 0) return out;
  const last = out[out.length - 1];
  for (let n = powerOfTwoAtLeast(out.length); out.length < n; ) out.push(last);
  return out;
}

/**
 * Rows for multi-row INSERTs, in chunks whose sizes are powers of two, at most `max` (itself a power
 * of two), largest first: 45 rows → 32 + 8 + 4 + 1. Rows cannot be repeated, so they are split instead.
 */
export function powerOfTwoChunks<T>(rows: readonly T[], max = 128): T[][] {
  if (max < 1 || powerOfTwoAtLeast(max) !== max) throw new RangeError(`max must be a power of two, got ${max}`);
  const out: T[][] = [];
  let i = 0;
  while (i < rows.length) {
    let size = max;
    while (size > rows.length - i) size /= 2;
    out.push(rows.slice(i, i + size));
    i += size;
  }
  return out;
}

/** Rows in consecutive chunks of at most `size` (bound parameters per statement are limited). */
export function chunked<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
