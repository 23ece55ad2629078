/**
 * Display masking for personal data in lists, exports and logs.
 * Everything counts Unicode code points, not UTF-16 units, so supplementary-plane
 * characters (rare surname characters such as 𠇔) are never split into lone surrogates.
 */

const chars = (s: string): string[] => Array.from(s);

/**
 * First 4 + ten '*' + last 4. The star count is fixed so the mask does not reveal the length;
 * inputs too short to hide anything (8 or fewer characters) are masked entirely.
 */
export function maskIdNumber(id: string): string {
  const cs = chars(id);
  if (cs.length <= 8) return '*'.repeat(cs.length);
  return cs.slice(0, 4).join('') + '*'.repeat(10) + cs.slice(-4).join('');
}

/** Chinese convention: keep the surname and, for 3+ characters, the last character (张* / 张*明 / 欧**明). */
export function maskName(name: string): string {
  const cs = chars(name);
  if (cs.length <= 1) return '*'.repeat(cs.length);
  if (cs.length === 2) return cs[0] + '*';
  return cs[0] + '*'.repeat(cs.length - 2) + cs[cs.length - 1];
}

/** Mainland mobiles (1xx xxxx xxxx) show 3 + 4; anything else keeps only the last 2, or nothing if that is all of it. */
export function maskPhone(phone: string): string {
  if (/^1\d{10}$/.test(phone)) return phone.slice(0, 3) + '****' + phone.slice(-4);
  const cs = chars(phone);
  if (cs.length <= 2) return '*'.repeat(cs.length);
  return '*'.repeat(cs.length - 2) + cs.slice(-2).join('');
}
