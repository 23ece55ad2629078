import { csvText, ExportLine, exportTable, toCsv } from './export-table';

const SECTIONS = [
  { key: 'theory', name: '理论知识' },
  { key: 'practical', name: '技能操作' },
];

const line = (over: Partial<ExportLine>): ExportLine => ({ rank: 1, bib: 1, name: '张小明', employer: '国网衢州供电公司工会', sections: { theory: 9000, practical: 8050 }, penalties: 0, total: 8335, awards: [], ...over });

describe('exportTable', () => {
  it('has 名次, 参赛号, 姓名, 工作单位, one column per section by name in scheme order, 扣分, 总分, 奖项', () => {
    expect(exportTable(SECTIONS, []).headers).toEqual(['名次', '参赛号', '姓名', '工作单位', '理论知识', '技能操作', '扣分', '总分', '奖项']);
  });

  it('writes scores as numbers with at most two decimals and joins awards with 、', () => {
    const t = exportTable(SECTIONS, [line({ penalties: 150, awards: ['五一劳动奖章', '技术能手'] })]);
    expect(t.rows).toEqual([[1, 1, '张小明', '国网衢州供电公司工会', 90, 80.5, 1.5, 83.35, '五一劳动奖章、技术能手']]);
    expect(t.scoreColumns).toEqual([4, 5, 6, 7]);
  });

  it('orders by rank (ties by bib), unranked lines last, and leaves a missing section empty', () => {
    const t = exportTable(SECTIONS, [line({ rank: null, bib: 1, sections: { theory: 5000 } }), line({ rank: 2, bib: 4 }), line({ rank: 1, bib: 3 }), line({ rank: 1, bib: 2 })]);
    expect(t.rows.map((r) => [r[0], r[1]])).toEqual([
      [1, 2],
      [1, 3],
      [2, 4],
      [null, 1],
    ]);
    expect(t.rows[3][5]).toBeNull();
  });
});

describe('toCsv', () => {
  it('starts with a UTF-8 BOM, ends lines with CRLF and writes scores with two decimals', () => {
    const out = toCsv(exportTable(SECTIONS, [line({ total: 8000 })]));
    expect([...out.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(out.subarray(3).toString('utf8')).toBe('名次,参赛号,姓名,工作单位,理论知识,技能操作,扣分,总分,奖项\r\n1,1,张小明,国网衢州供电公司工会,90.00,80.50,0.00,80.00,\r\n');
  });

  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['+86', "'+86"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['=HYPERLINK("x","y")', `"'=HYPERLINK(""x"",""y"")"`],
  ])('quotes %j as %s', (input, expected) => {
    expect(csvText(input)).toBe(expected);
  });
});
