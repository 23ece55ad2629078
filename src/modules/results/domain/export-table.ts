/** One line of a results export, scores in hundredths. */
export interface ExportLine {
  rank: number | null;
  bib: number | null;
  name: string;
  employer: string | null;
  sections: Record<string, number>;
  penalties: number;
  total: number;
  awards: string[];
}

export type Cell = string | number | null;

export interface ExportTable {
  headers: string[];
  rows: Cell[][];
  /** indices of the columns holding scores (two decimals) */
  scoreColumns: number[];
}

/**
 * 成绩表: 名次, 参赛号, 姓名, 工作单位, one column per section (by its name, in scheme order), 扣分,
 * 总分, 奖项. Ranked lines first by rank, then unranked ones, each by bib. Scores are numbers with two
 * decimals at most; an entry's awards are joined with 、.
 */
export function exportTable(sections: Array<{ key: string; name: string }>, lines: ExportLine[]): ExportTable {
  const headers = ['名次', '参赛号', '姓名', '工作单位', ...sections.map((s) => s.name), '扣分', '总分', '奖项'];
  const sorted = [...lines].sort((a, b) => nullsLast(a.rank, b.rank) || nullsLast(a.bib, b.bib));
  const rows = sorted.map((l): Cell[] => [
    l.rank,
    l.bib,
    l.name,
    l.employer,
    ...sections.map((s) => (l.sections[s.key] === undefined ? null : l.sections[s.key] / 100)),
    l.penalties / 100,
    l.total / 100,
    l.awards.join('、'),
  ]);
  const scoreColumns = [...sections.map((_, i) => 4 + i), 4 + sections.length, 5 + sections.length];
  return { headers, rows, scoreColumns };
}

function nullsLast(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

/**
 * RFC 4180 CSV in UTF-8 with a BOM (Excel on a Chinese Windows opens it as UTF-8 only then), CRLF line
 * ends. Score columns are written with exactly two decimals. Text that a spreadsheet would run as a
 * formula (starting with = + - @, tab or CR) is prefixed with ' (OWASP CSV injection).
 */
export function toCsv(table: ExportTable): Buffer {
  const scores = new Set(table.scoreColumns);
  const line = (cells: Cell[], header: boolean) =>
    cells
      .map((v, i) => {
        if (v === null || v === undefined) return '';
        if (typeof v === 'number') return !header && scores.has(i) ? v.toFixed(2) : String(v);
        return csvText(v);
      })
      .join(',');
  const text = [line(table.headers, true), ...table.rows.map((r) => line(r, false))].join('\r\n') + '\r\n';
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

export function csvText(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
