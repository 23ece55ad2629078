import ExcelJS from 'exceljs';
import * as iconv from 'iconv-lite';
import { cellValue, decodeCsvText, detectFormat, ImportFileError, parseCsv, readTable, readXlsx } from './import-file';
import { buildImportTemplate } from './import-template';

const CSV = '姓名,身份证号,工作单位\n张小明,330802199001011234,国网衢州供电公司工会\n';

async function xlsx(sheets: Array<{ name: string; rows: ExcelJS.CellValue[][] }>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const s of sheets) {
    const ws = wb.addWorksheet(s.name);
    for (const r of s.rows) ws.addRow(r);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('detectFormat', () => {
  it.each<[string, Buffer, string, string | RegExp]>([
    ['an empty file', Buffer.alloc(0), 'a.csv', /the file is empty/],
    ['an old .xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]), 'a.xls', /old Excel \(.xls\) files are not supported/],
    ['a .xlsx that is no ZIP', Buffer.from(CSV), 'a.xlsx', /named .xlsx but is not an XLSX file/],
  ])('refuses %s', (_, data, name, message) => {
    expect(() => detectFormat(data, name)).toThrow(ImportFileError);
    expect(() => detectFormat(data, name)).toThrow(message);
  });

  it('decides by content: a ZIP is XLSX whatever its name, anything else is CSV', () => {
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]);
    expect(detectFormat(zip, 'upload.csv')).toBe('xlsx');
    expect(detectFormat(zip)).toBe('xlsx');
    expect(detectFormat(Buffer.from(CSV), 'upload.txt')).toBe('csv');
    expect(detectFormat(Buffer.from(CSV))).toBe('csv');
  });
});

describe('decodeCsvText', () => {
  it.each<[string, Buffer]>([
    ['UTF-8 without BOM', Buffer.from(CSV, 'utf8')],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CSV, 'utf8')])],
    ['GBK', iconv.encode(CSV, 'gbk')],
    ['GB18030', iconv.encode(CSV, 'gb18030')],
    ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CSV, 'utf16le')])],
    ['UTF-16BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(CSV, 'utf16le').swap16()])],
  ])('reads %s', (_, data) => {
    expect(decodeCsvText(data)).toBe(CSV);
  });

  it('reads rare name characters that only GB18030 encodes (㛃, 𠇔)', () => {
    const text = '姓名\n王㛃\n李𠇔\n';
    expect(decodeCsvText(iconv.encode(text, 'gb18030'))).toBe(text);
  });

  it.each<[string, Buffer, RegExp]>([
    ['bytes that are neither UTF-8 nor GBK', Buffer.concat([Buffer.from('姓名,身份证号\n', 'utf8'), Buffer.from([0xff, 0xfe, 0xff, 0x0a])]), /neither UTF-8 nor GBK \(GB18030\) text/],
    ['a UTF-8 BOM followed by other bytes', Buffer.from([0xef, 0xbb, 0xbf, 0xff, 0x41]), /UTF-8 byte-order mark but is not valid UTF-8/],
    ['binary data', Buffer.from([0x41, 0x00, 0x42, 0x01, 0x0a]), /binary data, not CSV text/],
  ])('refuses %s', (_, data, message) => {
    expect(() => decodeCsvText(data)).toThrow(ImportFileError);
    expect(() => decodeCsvText(data)).toThrow(message);
  });
});

describe('parseCsv', () => {
  it('numbers rows as a spreadsheet does, also with a line break inside quotes', () => {
    const t = parseCsv('姓名,工作单位\r\n"张\n小明",甲\n\n李四,"乙,丙"\n');
    expect(t.header).toEqual(['姓名', '工作单位']);
    expect(t.rows).toEqual([
      { row: 2, cells: ['张\n小明', '甲'] },
      { row: 3, cells: [''] },
      { row: 4, cells: ['李四', '乙,丙'] },
    ]);
  });

  it('reads tab-separated text (Excel "Unicode text")', () => {
    expect(parseCsv('姓名\t工作单位\n张三\t甲,乙\n').rows).toEqual([{ row: 2, cells: ['张三', '甲,乙'] }]);
  });

  it('reads only the header when asked', () => {
    expect(parseCsv('a,b\n1,2\n3,4\n', { headerOnly: true })).toEqual({ header: ['a', 'b'], rows: [] });
  });

  it('refuses an unclosed quote with the position', () => {
    expect(() => parseCsv('a,b\n"1,2\n')).toThrow(/the CSV file cannot be read: .*quote/i);
  });
});

describe('cellValue', () => {
  it.each<[ExcelJS.CellValue | undefined, string | number]>([
    [null, ''],
    [undefined, ''],
    ['张三', '张三'],
    [13800001234, 13800001234],
    [true, 'true'],
    [{ richText: [{ text: '张' }, { text: '三' }] }, '张三'],
    [{ formula: 'A1&B1', result: '张三' } as ExcelJS.CellFormulaValue, '张三'],
    [{ formula: 'A1', result: undefined } as unknown as ExcelJS.CellFormulaValue, ''],
    [{ text: '单位', hyperlink: 'http://x' }, '单位'],
    [{ error: '#N/A' } as ExcelJS.CellErrorValue, ''],
  ])('%p → %p', (v, expected) => expect(cellValue(v)).toEqual(expected));
});

describe('readXlsx', () => {
  it('reads the sheet whose first row has the headers, with row numbers, numbers kept as numbers', async () => {
    const data = await xlsx([
      { name: '说明', rows: [['填写说明'], ['随便写点什么']] },
      { name: '报名表', rows: [['姓名', '身份证号'], ['张三', '330802199001011234'], [], ['李四', 330802199001011200]] },
    ]);
    const t = await readXlsx(data);
    expect(t.header).toEqual(['姓名', '身份证号']);
    expect(t.rows).toEqual([
      { row: 2, cells: ['张三', '330802199001011234'] },
      { row: 4, cells: ['李四', 330802199001011200] },
    ]);
  });

  it('reads a filled-in template (two sheets, text-formatted columns)', async () => {
    const template = await buildImportTemplate({ competitionTitle: '测试', trade: '电工', organizations: [{ id: 'x', name: '甲' }] });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(template as unknown as ExcelJS.Buffer);
    wb.getWorksheet('报名表')!.addRow(['张三', '330802199001011234', '13800001234', '甲', '电工', '三级/高级工']);
    const t = await readTable(Buffer.from(await wb.xlsx.writeBuffer()), 'xlsx');
    expect(t.header).toEqual(['姓名', '身份证号', '手机号', '工作单位', '工种', '职业技能等级']);
    expect(t.rows).toEqual([{ row: 2, cells: ['张三', '330802199001011234', '13800001234', '甲', '电工', '三级/高级工'] }]);
  });

  it('refuses a damaged file', async () => {
    const data = await xlsx([{ name: 'a', rows: [['姓名']] }]);
    await expect(readXlsx(data.subarray(0, data.length >> 1))).rejects.toThrow(/the XLSX file cannot be read/);
  });
});
