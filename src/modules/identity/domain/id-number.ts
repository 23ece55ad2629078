/**
 * PRC resident identity number (GB 11643-1999): 6-digit region, 8-digit birth date,
 * 3-digit sequence (odd = male), and an ISO 7064 MOD 11-2 check character.
 */

export type IdNumberCheck =
  | { ok: true; birthDate: string /* YYYY-MM-DD */; gender: 'M' | 'F'; normalized: string }
  | { ok: false; reason: string };

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const MIN_BIRTH_YEAR = 1900;

/** Throws on bad input because callers (test factories, fixtures) must never build numbers from garbage. */
export function computeCheckDigit(first17: string): string {
  if (!/^\d{17}$/.test(first17)) {
    throw new RangeError(`computeCheckDigit needs exactly 17 digits, got '${first17}'`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/**
 * Validates without trimming: callers decide whether stray whitespace is a user error.
 * "Today" is the calendar day of `today` in the process time zone, so the server should run with TZ=Asia/Shanghai.
 */
export function checkIdNumber(raw: string, today: Date = new Date()): IdNumberCheck {
  if (raw.length !== 18) return { ok: false, reason: 'must be 18 characters' };
  // Lowercase x is common from phone keyboards; store one canonical form so lookups/hashes match.
  const normalized = raw.toUpperCase();
  if (!/^\d{17}[\dX]$/.test(normalized)) {
    return { ok: false, reason: 'must be 17 digits followed by a digit or X' };
  }
  if (computeCheckDigit(normalized.slice(0, 17)) !== normalized[17]) {
    return { ok: false, reason: 'check digit is wrong' };
  }

  const ymd = normalized.slice(6, 14);
  const year = Number(ymd.slice(0, 4));
  const month = Number(ymd.slice(4, 6));
  const day = Number(ymd.slice(6, 8));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, reason: `birth date ${ymd} is not a real date` };
  }
  if (year < MIN_BIRTH_YEAR) return { ok: false, reason: `birth date ${ymd} is before ${MIN_BIRTH_YEAR}` };

  const birthDate = `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`;
  // Zero-padded ISO dates compare correctly as strings.
  if (birthDate > localIsoDate(today)) return { ok: false, reason: 'birth date is in the future' };

  const gender = Number(normalized[16]) % 2 === 1 ? 'M' : 'F';
  return { ok: true, birthDate, gender, normalized };
}

/**
 * Completed years on the calendar day of `on` (process time zone, as in checkIdNumber).
 * A 29 February birthday counts as reached on 1 March in non-leap years.
 */
export function ageOn(birthDate: string, on: Date): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m) throw new RangeError(`birth date must be YYYY-MM-DD, got '${birthDate}'`);
  const [by, bm, bd] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [y, mo, d] = [on.getFullYear(), on.getMonth() + 1, on.getDate()];
  const reached = mo > bm || (mo === bm && d >= bd);
  return y - by - (reached ? 0 : 1);
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function localIsoDate(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
