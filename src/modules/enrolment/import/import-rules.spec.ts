import { computeCheckDigit } from '../../identity/domain/id-number';
import { checkRows, columnLetter, ImportRow, mapHeaders, OrgDirectory, parseSkillLevel, requiredFields } from './import-rules';

const id = (first17: string) => first17 + computeCheckDigit(first17);
const ID_A = id('33080219900101123');
const ID_B = id('33080219851231456');
const TODAY = new Date(2026, 4, 1, 12);

const ORG_A = { id: '11111111-1111-4111-8111-111111111111', name: '国网衢州供电公司工会' };
const ORG_B = { id: '22222222-2222-4222-8222-222222222222', name: '巨化集团工会' };
const TWIN_1 = { id: '33333333-3333-4333-8333-333333333333', name: '第一车间' };
const TWIN_2 = { id: '44444444-4444-4444-8444-444444444444', name: '第一车间' };
const orgs = new OrgDirectory([ORG_A, ORG_B, TWIN_1, TWIN_2], '衢州市总工会');

const TEMPLATE = ['姓名', '身份证号', '手机号', '工作单位', '工种', '职业技能等级'];
const COLUMNS = { name: 0, idNumber: 1, phone: 2, employer: 3, trade: 4, skillLevel: 5 };

describe('parseSkillLevel', () => {
  it.each<[string | number, number | null | undefined]>([
    // edge cases first: blank, out of range, disagreeing parts, unknown words
    ['', null],
    ['   ', null],
    ['0', undefined],
    ['6', undefined],
    ['-1', undefined],
    ['3.5', undefined],
    ['六级', undefined],
    ['特级技师', undefined],
    ['三级/技师', undefined],
    ['高级', undefined],
    // numbers, digits, full-width digits, leading zeros
    [1, 1],
    [5, 5],
    ['3', 3],
    [' 4 ', 4],
    ['３', 3],
    ['03', 3],
    ['3级', 3],
    // grades and titles
    ['一级', 1],
    ['二级', 2],
    ['三级', 3],
    ['四级', 4],
    ['五级', 5],
    ['高级技师', 1],
    ['技师', 2],
    ['高级工', 3],
    ['中级工', 4],
    ['初级工', 5],
    // combinations whose parts agree
    ['三级/高级工', 3],
    ['三级／高级工', 3],
    ['二级（技师）', 2],
    ['高级工(三级)', 3],
    ['一级、高级技师', 1],
    ['技师/', 2],
  ])('%p → %p', (raw, expected) => {
    expect(parseSkillLevel(raw)).toBe(expected);
  });
});

describe('mapHeaders', () => {
  const base = requiredFields({ trade: null, enrolmentRules: {} });

  it('finds the template headers in order', () => {
    expect(mapHeaders(TEMPLATE, base)).toEqual({ ok: true, columns: COLUMNS });
  });

  it('accepts the English headers in any order and ignores unknown columns', () => {
    expect(mapHeaders(['序号', 'skillLevel', 'Name', 'idNumber', 'employer', 'phone', 'trade', '备注'], base)).toEqual({
      ok: true,
      columns: { skillLevel: 1, name: 2, idNumber: 3, employer: 4, phone: 5, trade: 6 },
    });
  });

  it('tolerates a BOM, required-field stars, notes in brackets and spaces', () => {
    expect(mapHeaders(['\uFEFF*姓名', '身份证号码 ', '工作单位（必填）', '职业技能等级(1-5)'], base)).toEqual({
      ok: true,
      columns: { name: 0, idNumber: 1, employer: 2, skillLevel: 3 },
    });
  });

  it('lists every missing required column in one message', () => {
    const r = mapHeaders(['姓名', '手机号'], base);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]).toMatch(/^missing required columns: 身份证号, 工作单位 /);
  });

  it('requires 工种 when the competition has a trade and 职业技能等级 when it has a minimum level', () => {
    const required = requiredFields({ trade: '电工', enrolmentRules: { minSkillLevel: 3 } });
    const r = mapHeaders(['姓名', '身份证号', '工作单位'], required);
    expect(!r.ok && r.errors[0]).toMatch(/^missing required columns: 工种, 职业技能等级 /);
  });

  it('refuses a column that appears twice, naming both columns', () => {
    const r = mapHeaders(['姓名', '身份证号', '工作单位', 'name'], base);
    expect(!r.ok && r.errors).toEqual(['column 姓名 appears twice (columns A and D)']);
  });
});

describe('columnLetter', () => {
  it.each([
    [0, 'A'],
    [25, 'Z'],
    [26, 'AA'],
    [701, 'ZZ'],
    [702, 'AAA'],
  ])('%i → %s', (i, letter) => expect(columnLetter(i)).toBe(letter));
});

describe('checkRows', () => {
  const row = (n: number, cells: Array<string | number>): ImportRow => ({ row: n, cells });
  const check = (rows: ImportRow[]) => checkRows(rows, COLUMNS, orgs, TODAY);

  it('turns a valid row into the input of the worker to find or create', () => {
    expect(check([row(2, [' 张小明 ', ID_A.toLowerCase(), '138 0000 1234', ORG_A.name, '电工', '三级/高级工'])])).toEqual([
      { row: 2, reasons: [], input: { name: '张小明', idNumber: ID_A, phone: '13800001234', employerOrgId: ORG_A.id, trade: '电工', skillLevel: 3 } },
    ]);
  });

  it('leaves optional cells empty as null, accepts an organization id and a full-width ID number', () => {
    const fullWidth = ID_B.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
    expect(check([row(7, ['李四', fullWidth, '', ORG_B.id.toUpperCase()])])[0]).toEqual({
      row: 7,
      reasons: [],
      input: { name: '李四', idNumber: ID_B, phone: null, employerOrgId: ORG_B.id, trade: null, skillLevel: null },
    });
  });

  it('skips blank rows but keeps the spreadsheet row numbers of the others', () => {
    const out = check([row(2, ['', '  ', '']), row(3, []), row(4, ['王五', ID_A, '', ORG_A.name, '', ''])]);
    expect(out.map((r) => r.row)).toEqual([4]);
  });

  it.each<[string, Array<string | number>, RegExp]>([
    ['a missing name', ['', ID_A, '', ORG_A.name], /^姓名: required$/],
    ['a name longer than 50 characters', ['张'.repeat(51), ID_A, '', ORG_A.name], /^姓名: longer than 50 characters$/],
    ['a missing ID number', ['张三', '', '', ORG_A.name], /^身份证号: required$/],
    ['a wrong check digit', ['张三', ID_A.slice(0, 17) + (ID_A[17] === '0' ? '1' : '0'), '', ORG_A.name], /^身份证号: check digit is wrong$/],
    ['an impossible birth date', ['张三', id('33080219900230123'), '', ORG_A.name], /^身份证号: birth date 19900230 is not a real date$/],
    ['a birth date in the future', ['张三', id('33080220300101123'), '', ORG_A.name], /^身份证号: birth date is in the future$/],
    ['a short ID number', ['张三', '3308021990', '', ORG_A.name], /^身份证号: must be 18 characters$/],
    ['an ID number stored as a number', ['张三', 330802199001011200, '', ORG_A.name], /^身份证号: stored as a number, which loses digits/],
    ['an ID number Excel wrote to CSV as a number', ['张三', '3.30802E+17', '', ORG_A.name], /^身份证号: stored as a number, which loses digits/],
    ['a bad phone', ['张三', ID_A, '138-abc', ORG_A.name], /^手机号: must be 5 to 20 digits$/],
    ['a missing 工作单位', ['张三', ID_A, '', ''], /^工作单位: required$/],
    ['an unknown 工作单位', ['张三', ID_A, '', '不存在的公司'], /^工作单位: "不存在的公司" matches no organization within 衢州市总工会$/],
    ['an ambiguous 工作单位', ['张三', ID_A, '', '第一车间'], /^工作单位: "第一车间" matches 2 organizations within 衢州市总工会; write the organization's id instead$/],
    ['an unknown organization id', ['张三', ID_A, '', '55555555-5555-4555-8555-555555555555'], /^工作单位: no organization with id 55555555-5555-4555-8555-555555555555 within 衢州市总工会$/],
    ['a trade longer than 50 characters', ['张三', ID_A, '', ORG_A.name, '工'.repeat(51)], /^工种: longer than 50 characters$/],
    ['a bad skill level', ['张三', ID_A, '', ORG_A.name, '电工', '六级'], /^职业技能等级: "六级" is not a skill level/],
  ])('refuses %s with a reason naming the column', (_, cells, reason) => {
    const [out] = check([row(5, cells)]);
    expect(out.input).toBeUndefined();
    expect(out.row).toBe(5);
    expect(out.reasons).toHaveLength(1);
    expect(out.reasons[0]).toMatch(reason);
  });

  it('gives every reason of a row at once', () => {
    const [out] = check([row(9, ['', '123', 'x', '', '', '九级'])]);
    expect(out.reasons.map((r) => r.split(':')[0])).toEqual(['姓名', '身份证号', '手机号', '工作单位', '职业技能等级']);
  });

  it('refuses a later row with the same ID number, naming the first row, whatever the case of X', () => {
    const withX = id('11010519491231002');
    expect(withX.endsWith('X')).toBe(true);
    const out = check([row(2, ['甲', withX, '', ORG_A.name]), row(3, ['乙', ID_A, '', ORG_A.name]), row(4, ['甲', withX.toLowerCase(), '', ORG_B.name]), row(8, ['丙', withX, '', '不存在'])]);
    expect(out.map((r) => [r.row, r.reasons])).toEqual([
      [2, []],
      [3, []],
      [4, ['身份证号: the same ID number is already in row 2']],
      [8, ['身份证号: the same ID number is already in row 2', '工作单位: "不存在" matches no organization within 衢州市总工会']],
    ]);
  });

  it('never echoes an ID number or a phone number in a reason', () => {
    const bad = ID_A.slice(0, 17) + (ID_A[17] === '0' ? '1' : '0');
    const out = check([row(2, ['张三', bad, '138-abc-1234', ORG_A.name])]);
    for (const r of out[0].reasons) {
      expect(r).not.toContain(bad);
      expect(r).not.toContain('138');
    }
  });
});
