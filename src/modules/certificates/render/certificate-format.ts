/** How numbers and dates are printed and signed on certificates. */

/** Hundredths as printed: 9550 ⇒ "95.50". */
export const formatTotal = (hundredths: number) => `${Math.trunc(hundredths / 100)}.${String(Math.abs(hundredths) % 100).padStart(2, '0')}`;

/** The date in China (UTC+8, no daylight saving): 2026年11月28日; `year` numbers the serial. */
export function chinaDate(d: Date): { year: number; text: string } {
  const local = new Date(d.getTime() + 8 * 3600_000);
  const [y, m, day] = [local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate()];
  return { year: y, text: `${y}年${m}月${day}日` };
}
