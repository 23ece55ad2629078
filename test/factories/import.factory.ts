import ExcelJS from 'exceljs';
import { computeCheckDigit } from '../../src/modules/identity/domain/id-number';
import { bearer, TestApp } from '../utils/create-test-app';

/** The template's headers, in order. */
export const IMPORT_HEADERS = ['姓名', '身份证号', '手机号', '工作单位', '工种', '职业技能等级'];

const REGION = '330802';
const BASE_DAY = Date.UTC(1966, 0, 1);
let nextId = 0;

/**
 * A valid ID number that no other call in this process returns: 100 per birth day from 1966-01-01 on (so
 * 10,000 numbers span 100 days), distinct from validIdNumber()'s numbers (born 1975–1999).
 */
export function uniqueIdNumber(): string {
  const k = nextId++;
  const ymd = new Date(BASE_DAY + Math.floor(k / 100) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `${REGION}${ymd}${String((k % 100) * 10 + 1).padStart(3, '0')}`;
  return first17 + computeCheckDigit(first17);
}

/** The same number with a wrong check character. */
export const wrongCheckDigit = (id: string) => id.slice(0, 17) + (id[17] === '0' ? '1' : '0');

/** An 18-character number with a correct check digit around an impossible birth date (30 February). */
export function impossibleDateIdNumber(seq: number): string {
  const first17 = `${REGION}19900230${String(seq % 1000).padStart(3, '0')}`;
  return first17 + computeCheckDigit(first17);
}

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅兵文辉力宇鹏飞鑫浩然子涵欣怡俊杰晨雨';

/** A plausible Chinese name, distinct for the first few hundred thousand i. */
export function chineseName(i: number): string {
  const s = SURNAMES[i % SURNAMES.length];
  const g1 = GIVEN[Math.floor(i / SURNAMES.length) % GIVEN.length];
  const g2 = GIVEN[Math.floor(i / (SURNAMES.length * GIVEN.length)) % GIVEN.length];
  return s + g1 + g2;
}

/** Competition body accepted by POST /api/competitions: enrolment window around now, a valid scheme. */
export function competitionBody(organizationId: string, over: Record<string, unknown> = {}) {
  const now = Date.now();
  const day = 86_400_000;
  return {
    title: '2026年柯城区电工职业技能竞赛',
    kind: 'skills',
    trade: '电工',
    organizationId,
    schedule: {
      enrolmentOpensAt: new Date(now - day).toISOString(),
      enrolmentClosesAt: new Date(now + 10 * day).toISOString(),
      startsAt: new Date(now + 20 * day).toISOString(),
      endsAt: new Date(now + 21 * day).toISOString(),
    },
    scoring: {
      sections: [
        { key: 'theory', name: '理论知识', weight: 30, criteria: [{ key: 'exam', name: '笔试', maxScore: 100, type: 'measurement', judgesRequired: 1, aggregation: 'single' }] },
        { key: 'practical', name: '技能操作', weight: 70, criteria: [{ key: 'wiring', name: '线路安装', maxScore: 40, type: 'judgement', judgesRequired: 3, aggregation: 'trimmed_mean' }] },
      ],
    },
    ...over,
  };
}

/** Creates a competition and, unless `draft`, opens it for enrolment. Returns its id. */
export async function createOpenCompetition(t: TestApp, token: string, organizationId: string, over: Record<string, unknown> = {}, opts: { draft?: boolean } = {}): Promise<string> {
  const res = await t.http().post('/api/competitions').set(bearer(token)).send(competitionBody(organizationId, over));
  if (res.status !== 201) throw new Error(`create competition failed: ${res.status} ${JSON.stringify(res.body)}`);
  if (!opts.draft) {
    const open = await t.http().post(`/api/competitions/${res.body.id}/transitions`).set(bearer(token)).send({ to: 'enrolment_open' });
    if (open.status !== 200) throw new Error(`open competition failed: ${open.status} ${JSON.stringify(open.body)}`);
  }
  return res.body.id as string;
}

export type Row = Array<string | number>;

export async function xlsxOf(rows: Row[], header: string[] = IMPORT_HEADERS): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('报名表');
  ws.addRow(header);
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export const csvOf = (rows: Row[], header: string[] = IMPORT_HEADERS): string => [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';

export type BadKind = 'check_digit' | 'impossible_date' | 'unknown_employer' | 'bad_skill_level' | 'duplicate_id';
export const BAD_KINDS: BadKind[] = ['check_digit', 'impossible_date', 'unknown_employer', 'bad_skill_level', 'duplicate_id'];

export interface GeneratedImport {
  rows: Row[];
  /** Spreadsheet row number (header = 1) → what is wrong with it, and the row it duplicates. */
  bad: Map<number, { kind: BadKind; duplicates?: number }>;
}

/**
 * `n` data rows, one in `badEvery` bad (cycling through BAD_KINDS). Good rows spread over `employers`, with
 * the skill level written in its various accepted forms. A duplicate repeats the ID number of the row above it.
 */
export function generateImport(n: number, opts: { employers: string[]; outside: string[]; trade: string; badEvery?: number; nameOffset?: number }): GeneratedImport {
  const badEvery = opts.badEvery ?? 20;
  const levels = ['1', '二级', '三级/高级工', '中级工', '5', '', '高级技师', '4'];
  const rows: Row[] = [];
  const bad = new Map<number, { kind: BadKind; duplicates?: number }>();
  let badCount = 0;
  for (let i = 0; i < n; i++) {
    const rowNumber = i + 2;
    const good: Row = [chineseName(i + (opts.nameOffset ?? 0)), uniqueIdNumber(), i % 3 === 0 ? '' : `1380000${String(i % 10000).padStart(4, '0')}`, opts.employers[i % opts.employers.length], opts.trade, levels[i % levels.length]];
    if (i % badEvery !== badEvery - 1 || i === 0) {
      rows.push(good);
      continue;
    }
    const kind = BAD_KINDS[badCount++ % BAD_KINDS.length];
    const row = [...good];
    if (kind === 'check_digit') row[1] = wrongCheckDigit(String(good[1]));
    if (kind === 'impossible_date') row[1] = impossibleDateIdNumber(i);
    if (kind === 'unknown_employer') row[3] = badCount % 2 ? '不存在的单位' : opts.outside[badCount % opts.outside.length];
    if (kind === 'bad_skill_level') row[5] = ['六级', '特级', '0', '三级/技师'][badCount % 4];
    if (kind === 'duplicate_id') row[1] = rows[i - 1][1];
    rows.push(row);
    bad.set(rowNumber, kind === 'duplicate_id' ? { kind, duplicates: rowNumber - 1 } : { kind });
  }
  return { rows, bad };
}
