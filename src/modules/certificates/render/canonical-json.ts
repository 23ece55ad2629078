/**
 * JSON Canonicalization Scheme (RFC 8785), for the values JSON.parse can produce: object keys sorted by
 * their UTF-16 code units, no whitespace, numbers and strings serialized as ECMAScript's JSON.stringify
 * does (which is what RFC 8785 prescribes). `canonicalize` 4.x is ESM-only, hence these few lines.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no representation for ${value}`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON());
    const obj = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON has no representation for a ${typeof value}`);
}
