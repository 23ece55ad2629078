/**
 * The rules of a bulk-import file, as pure functions: which column is which, what a cell may hold, and which
 * rows are refused before the database is asked anything. Entry rules proper (duplicate entry, eligibility,
 * quota) are EnrolmentService.tryEnrol's, applied per row by the import job.
 */
import { checkIdNumber } from '../../identity/domain/id-number';
import type { WorkerInput } from '../../identity/workers.service';

export type ImportField = 'name' | 'idNumber' | 'phone' | 'employer' | 'trade' | 'skillLevel';

/** The template's columns, in order, with their Chinese headers. */
export const IMPORT_COLUMNS: ReadonlyArray<{ field: ImportField; title: string }> = [
  { field: 'name', title: '姓名' },
  { field: 'idNumber', title: '身份证号' },
  { field: 'phone', title: '手机号' },
  { field: 'employer', title: '工作单位' },
  { field: 'trade', title: '工种' },
  { field: 'skillLevel', title: '职业技能等级' },
];

export const TITLE: Record<ImportField, string> = Object.fromEntries(IMPORT_COLUMNS.map((c) => [c.field, c.title])) as Record<ImportField, string>;

/** Header spellings accepted per field, compared after normalizeHeader(). */
const HEADER_ALIASES: Record<ImportField, string[]> = {
  name: ['姓名', 'name'],
  idNumber: ['身份证号', '身份证号码', '公民身份号码', '身份证', 'idnumber'],
  phone: ['手机号', '手机号码', '手机', '联系电话', 'phone'],
  employer: ['工作单位', '单位', 'employer', 'employerorgid'],
  trade: ['工种', 'trade'],
  skillLevel: ['职业技能等级', '技能等级', 'skilllevel'],
};

const FIELD_OF_HEADER = new Map<string, ImportField>(
  (Object.entries(HEADER_ALIASES) as Array<[ImportField, string[]]>).flatMap(([field, names]) => names.map((n) => [n, field] as [string, ImportField])),
);

/** A cell as read from the file: XLSX keeps numbers as numbers (an 18-digit ID typed as a number has lost digits). */
export type CellValue = string | number;

/** A spreadsheet row: `row` is its number as the spreadsheet shows it (the header is row 1). */
export interface ImportRow {
  row: number;
  cells: CellValue[];
}

export type ColumnMap = Partial<Record<ImportField, number>>;

export const MAX_NAME_LENGTH = 50;
export const MAX_TRADE_LENGTH = 50;
const PHONE = /^\+?[0-9-]{5,20}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `职业技能等级（1-5）*` → `职业技能等级`; `ID Number` → `idnumber`. */
export function normalizeHeader(raw: CellValue): string {
  return String(raw)
    .normalize('NFKC')
    .replace(/^\uFEFF/, '')
    .replace(/\*/g, '')
    .replace(/\([^)]*\)\s*$/, '')
    .replace(/[\s_-]/g, '')
    .toLowerCase();
}

/** Columns the file must have: always name, ID number and employer; trade and skill level when the competition's rules ask for them. */
export function requiredFields(competition: { trade: string | null; enrolmentRules: { minSkillLevel?: number } }): ImportField[] {
  const out: ImportField[] = ['name', 'idNumber', 'employer'];
  if (competition.trade) out.push('trade');
  if (competition.enrolmentRules.minSkillLevel !== undefined) out.push('skillLevel');
  return out;
}

export type HeaderMapping = { ok: true; columns: ColumnMap } | { ok: false; errors: string[] };

/** Finds each known column in the header row; unknown columns (序号, 备注…) are ignored. Every problem at once. */
export function mapHeaders(header: CellValue[], required: ImportField[]): HeaderMapping {
  const columns: ColumnMap = {};
  const errors: string[] = [];
  header.forEach((cell, index) => {
    const field = FIELD_OF_HEADER.get(normalizeHeader(cell));
    if (!field) return;
    if (columns[field] !== undefined) {
      errors.push(`column ${TITLE[field]} appears twice (columns ${columnLetter(columns[field]!)} and ${columnLetter(index)})`);
      return;
    }
    columns[field] = index;
  });
  const missing = required.filter((f) => columns[f] === undefined);
  if (missing.length) {
    errors.unshift(`missing required columns: ${missing.map((f) => TITLE[f]).join(', ')} (the first row must hold the headers ${IMPORT_COLUMNS.map((c) => c.title).join(', ')})`);
  }
  return errors.length ? { ok: false, errors } : { ok: true, columns };
}

/** 0 → A, 25 → Z, 26 → AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

const SKILL_WORDS: Record<string, number> = {
  '1': 1,
  '2': 2,
  '3': 3,
  '4': 4,
  '5': 5,
  '1级': 1,
  '2级': 2,
  '3级': 3,
  '4级': 4,
  '5级': 5,
  一级: 1,
  二级: 2,
  三级: 3,
  四级: 4,
  五级: 5,
  高级技师: 1,
  技师: 2,
  高级工: 3,
  中级工: 4,
  初级工: 5,
};

/**
 * 职业技能等级: 1 (highest) … 5. Accepts 1–5, 一级…五级, the titles 高级技师=1 技师=2 高级工=3 中级工=4 初级工=5,
 * and combinations such as `三级/高级工` or `二级（技师）` whose parts agree. Blank → null; anything else → undefined.
 */
export function parseSkillLevel(raw: CellValue): number | null | undefined {
  const text = String(raw).normalize('NFKC').trim();
  if (text === '') return null;
  const parts = text.split(/[\s/、,()]+/).filter((p) => p !== '');
  const levels = parts.map((p) => SKILL_WORDS[p.replace(/^0+(?=\d)/, '')]);
  if (levels.length === 0 || levels.some((l) => l === undefined)) return undefined;
  return levels.every((l) => l === levels[0]) ? levels[0] : undefined;
}

export interface OrgRef {
  id: string;
  name: string;
}

/** The organizations a row may name as 工作单位: the competition's eligible subtree, by exact name or by id. */
export class OrgDirectory {
  private readonly byId = new Map<string, OrgRef>();
  private readonly byName = new Map<string, OrgRef[]>();

  constructor(
    orgs: OrgRef[],
    /** Name of the subtree's root, for messages. */
    private readonly scopeName: string,
  ) {
    for (const o of orgs) {
      this.byId.set(o.id.toLowerCase(), o);
      const list = this.byName.get(o.name.trim()) ?? [];
      list.push(o);
      this.byName.set(o.name.trim(), list);
    }
  }

  resolve(raw: string): { id: string } | { reason: string } {
    const value = raw.trim();
    if (UUID.test(value)) {
      const o = this.byId.get(value.toLowerCase());
      return o ? { id: o.id } : { reason: `${TITLE.employer}: no organization with id ${value} within ${this.scopeName}` };
    }
    const found = this.byName.get(value) ?? [];
    if (found.length === 1) return { id: found[0].id };
    if (found.length === 0) return { reason: `${TITLE.employer}: "${value}" matches no organization within ${this.scopeName}` };
    return { reason: `${TITLE.employer}: "${value}" matches ${found.length} organizations within ${this.scopeName}; write the organization's id instead` };
  }
}

/** A row after the file's own rules: either reasons, or what to find or create the worker from. */
export interface RowCheck {
  row: number;
  reasons: string[];
  input?: WorkerInput;
}

const text = (v: CellValue | undefined): string => (v === undefined ? '' : String(v).trim());

export const isBlankRow = (r: ImportRow): boolean => r.cells.every((c) => text(c) === '');

/**
 * Checks every non-blank row against the file's rules, all reasons per row. A later row repeating an ID number
 * of an earlier row is refused naming that row. Values that identify a person are never echoed in reasons.
 */
export function checkRows(rows: ImportRow[], columns: ColumnMap, orgs: OrgDirectory, today: Date = new Date()): RowCheck[] {
  const firstRowOfId = new Map<string, number>();
  const out: RowCheck[] = [];
  for (const r of rows) {
    if (isBlankRow(r)) continue;
    const cell = (f: ImportField) => (columns[f] === undefined ? undefined : r.cells[columns[f]!]);
    const reasons: string[] = [];

    const name = text(cell('name'));
    if (name === '') reasons.push(`${TITLE.name}: required`);
    else if (name.length > MAX_NAME_LENGTH) reasons.push(`${TITLE.name}: longer than ${MAX_NAME_LENGTH} characters`);

    let idNumber: string | undefined;
    const rawId = cell('idNumber');
    // A number cell, or what Excel writes to CSV for one (3.30802E+17).
    if (typeof rawId === 'number' || /^\d+(\.\d+)?e\+?\d+$/i.test(text(rawId))) {
      reasons.push(`${TITLE.idNumber}: stored as a number, which loses digits; format the column as text and enter the number again`);
    } else {
      const id = text(rawId).normalize('NFKC').replace(/^'/, '').replace(/\s+/g, '');
      if (id === '') reasons.push(`${TITLE.idNumber}: required`);
      else {
        const check = checkIdNumber(id, today);
        if (!check.ok) reasons.push(`${TITLE.idNumber}: ${check.reason}`);
        else {
          const first = firstRowOfId.get(check.normalized);
          if (first !== undefined) reasons.push(`${TITLE.idNumber}: the same ID number is already in row ${first}`);
          else firstRowOfId.set(check.normalized, r.row);
          idNumber = check.normalized;
        }
      }
    }

    const phone = text(cell('phone')).normalize('NFKC').replace(/\s+/g, '');
    if (phone !== '' && !PHONE.test(phone)) reasons.push(`${TITLE.phone}: must be 5 to 20 digits`);

    let employerOrgId: string | undefined;
    const employer = text(cell('employer'));
    if (employer === '') reasons.push(`${TITLE.employer}: required`);
    else {
      const found = orgs.resolve(employer);
      if ('reason' in found) reasons.push(found.reason);
      else employerOrgId = found.id;
    }

    const trade = text(cell('trade'));
    if (trade.length > MAX_TRADE_LENGTH) reasons.push(`${TITLE.trade}: longer than ${MAX_TRADE_LENGTH} characters`);

    const rawLevel = cell('skillLevel') ?? '';
    const skillLevel = parseSkillLevel(rawLevel);
    if (skillLevel === undefined) {
      reasons.push(`${TITLE.skillLevel}: "${text(rawLevel).slice(0, 20)}" is not a skill level; use 1–5, 一级…五级 or 高级技师, 技师, 高级工, 中级工, 初级工`);
    }

    out.push(
      reasons.length
        ? { row: r.row, reasons }
        : { row: r.row, reasons, input: { name, idNumber: idNumber!, phone: phone || null, employerOrgId: employerOrgId!, trade: trade || null, skillLevel: skillLevel ?? null } },
    );
  }
  return out;
}
