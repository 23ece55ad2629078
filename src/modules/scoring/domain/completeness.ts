/**
 * Locking scores (`scores_locked`) needs every approved entry complete (ARCHITECTURE.md,
 * "Lifecycle"); absent, disqualified, withdrawn, rejected and pending entries are never scored.
 */
export function mustBeCompleteToLock(status: string): boolean {
  return status === 'approved';
}

/**
 * How many of the given entries are incomplete and their bibs, ascending, for the 409 of a refused
 * lock. The caller passes only entries that must be complete (see `mustBeCompleteToLock`). An entry
 * without a bib counts but cannot be named by one.
 */
export function incompleteEntries(entries: Array<{ bib: number | null; enrolmentId: string; complete: boolean }>): { count: number; bibs: number[] } {
  let count = 0;
  const bibs: number[] = [];
  for (const e of entries) {
    if (e.complete) continue;
    count++;
    if (e.bib !== null) bibs.push(e.bib);
  }
  bibs.sort((a, b) => a - b);
  return { count, bibs };
}

/** The sentence of the 409: "3 entries are not fully scored (bibs 4, 7 and 1 without a bib)". */
export function describeIncomplete({ count, bibs }: { count: number; bibs: number[] }): string {
  if (count === 0) return 'every entry is fully scored';
  const withoutBib = count - bibs.length;
  const parts = [bibs.length > 0 ? `${bibs.length === 1 ? 'bib' : 'bibs'} ${bibs.join(', ')}` : '', withoutBib > 0 ? `${withoutBib} without a bib` : ''].filter(Boolean);
  return `${count} ${count === 1 ? 'entry is' : 'entries are'} not fully scored (${parts.join(' and ')})`;
}
