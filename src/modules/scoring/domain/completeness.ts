/**
 * How many of the given entries are incomplete and their bibs, ascending, for the 409 of a refused
 * lock. The caller passes only entries that must be complete (the approved ones: absent,
 * disqualified, withdrawn, rejected and pending entries are never scored). An entry without a bib
 * counts but cannot be named by one.
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
