import ExcelJS from 'exceljs';
import { IMPORT_COLUMNS, ImportField, OrgRef } from './import-rules';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Rows of the template that get the skill-level drop-down and text formatting. */
const TEMPLATE_ROWS = 10_000;

const WIDTHS: Record<ImportField, number> = { name: 12, idNumber: 22, phone: 16, employer: 32, trade: 14, skillLevel: 18 };
/** Excel turns an 18-digit number into 3.30802E+17 and drops its last digits: these columns are text. */
const TEXT_COLUMNS: ImportField[] = ['idNumber', 'phone'];

interface WithValidations {
  dataValidations: { add(address: string, validation: ExcelJS.DataValidation): void };
}

/** The import template (报名导入模板): the six headers on row 1 of 报名表, and a 填写说明 sheet with the rules and the organizations 工作单位 may name. */
export async function buildImportTemplate(opts: { competitionTitle: string; trade: string | null; organizations: OrgRef[] }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '劳动技能竞赛管理系统';
  wb.created = new Date();

  const ws = wb.addWorksheet('报名表', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = IMPORT_COLUMNS.map((c) => ({
    header: c.title,
    key: c.field,
    width: WIDTHS[c.field],
    ...(TEXT_COLUMNS.includes(c.field) ? { style: { numFmt: '@' } } : {}),
  }));
  const header = ws.getRow(1);
  header.font = { bold: true };
  header.alignment = { vertical: 'middle', horizontal: 'center' };
  const letter = (f: ImportField) => String.fromCharCode(65 + IMPORT_COLUMNS.findIndex((c) => c.field === f));
  (ws as unknown as WithValidations).dataValidations.add(`${letter('skillLevel')}2:${letter('skillLevel')}${TEMPLATE_ROWS + 1}`, {
    type: 'list',
    allowBlank: true,
    formulae: ['"一级/高级技师,二级/技师,三级/高级工,四级/中级工,五级/初级工"'],
    showErrorMessage: true,
    errorTitle: '职业技能等级',
    error: '请填写 1–5、一级…五级，或 高级技师、技师、高级工、中级工、初级工',
  });

  const help = wb.addWorksheet('填写说明');
  help.getColumn(1).width = 40;
  help.getColumn(2).width = 80;
  const lines: Array<[string, string]> = [
    ['竞赛', opts.competitionTitle],
    ['表头', '“报名表”第一行为表头，请勿修改；从第二行起每行填写一名职工，空行会被跳过。'],
    ['姓名', '必填。已登记的职工须与登记姓名一致。'],
    ['身份证号', '必填，18 位居民身份证号（末位可为 X）。请保持“文本”格式，不要让 Excel 转成数字。'],
    ['手机号', '选填。'],
    ['工作单位', '必填，填写下列单位之一的名称（须完全一致），或其编号。'],
    ['工种', opts.trade ? `本竞赛工种为“${opts.trade}”，必填。` : '选填。'],
    ['职业技能等级', '1–5，或 一级…五级，或 高级技师(1)、技师(2)、高级工(3)、中级工(4)、初级工(5)，也可写作“三级/高级工”。'],
    ['重复', '同一身份证号在文件中只能出现一次；已报名的职工不会重复报名，同一文件可以再次导入。'],
  ];
  help.addRow(['填写说明']).font = { bold: true, size: 14 };
  for (const l of lines) help.addRow(l);
  help.addRow([]);
  help.addRow(['可填写的工作单位（名称）', '编号']).font = { bold: true };
  for (const o of [...opts.organizations].sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'))) help.addRow([o.name, o.id]);

  return Buffer.from(await wb.xlsx.writeBuffer());
}
