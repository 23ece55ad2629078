/**
 * Reading an uploaded enrolment file into rows of cells: format by content, text encoding for CSV (UTF-8 with or
 * without BOM, UTF-16 with BOM, else GB18030/GBK as Excel in China writes it), XLSX by streaming its first
 * worksheet that has a recognizable header.
 */
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import * as iconv from 'iconv-lite';
import { Readable } from 'node:stream';
import type { ImportFormat } from './enrolment-import.queue';
import { CellValue, ImportRow, mapHeaders } from './import-rules';

/** What a user can fix in the file; answered as 400 at upload, or as the job's failure reason. */
export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

/** Rows below the header, per file: bounds the work (and memory) of one job. */
export const MAX_IMPORT_ROWS = 50_000;

export interface ImportTable {
  header: CellValue[];
  rows: ImportRow[];
}

const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** XLSX is a ZIP: the content decides, the extension only explains a refusal. */
export function detectFormat(data: Buffer, filename = ''): ImportFormat {
  if (data.length === 0) throw new ImportFileError('the file is empty');
  if (data.subarray(0, 4).equals(ZIP)) return 'xlsx';
  if (data.subarray(0, 8).equals(OLE2)) throw new ImportFileError('old Excel (.xls) files are not supported: save the sheet as .xlsx or as CSV');
  if (/\.xlsx$/i.test(filename)) throw new ImportFileError('the file is named .xlsx but is not an XLSX file: save it again from Excel or use the template');
  return 'csv';
}

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * The CSV's text. UTF-8 (BOM optional) is tried strictly first; bytes that are not UTF-8 are read as GB18030,
 * a superset of GBK, which is what Excel in China writes for "CSV". Bytes that are neither are refused: a
 * guess would store garbled names.
 */
export function decodeCsvText(data: Buffer): string {
  let text: string;
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
    text = strictDecode('utf-8', data.subarray(3), 'the file starts with a UTF-8 byte-order mark but is not valid UTF-8');
  } else if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
    // Excel's "Unicode text" export.
    const le = data[0] === 0xff;
    text = strictDecode(le ? 'utf-16le' : 'utf-16be', data.subarray(2), 'the file starts with a UTF-16 byte-order mark but is not valid UTF-16');
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      text = iconv.decode(data, 'gb18030');
      if (text.includes('\uFFFD')) {
        throw new ImportFileError('the file is neither UTF-8 nor GBK (GB18030) text: save it from Excel as "CSV UTF-8" or as .xlsx, or use the template');
      }
    }
  }
  if (CONTROL.test(text)) throw new ImportFileError('the file contains binary data, not CSV text: upload a CSV or XLSX file');
  return text;
}

function strictDecode(encoding: string, data: Buffer, message: string): string {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(data);
  } catch {
    throw new ImportFileError(message);
  }
}

/** Comma-separated, or tab-separated when the first line has tabs and no commas (Excel's "Unicode text"). */
function delimiterOf(text: string): string {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  return firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
}

/** Parses CSV text; row numbers are record numbers (as Excel shows them, also with line breaks inside quotes). */
export function parseCsv(text: string, opts: { headerOnly?: boolean } = {}): ImportTable {
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: delimiterOf(text),
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      ...(opts.headerOnly ? { to: 1 } : { to: MAX_IMPORT_ROWS + 2 }),
    }) as string[][];
  } catch (e) {
    throw new ImportFileError(`the CSV file cannot be read: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new ImportFileError('the file is empty');
  const [header, ...rest] = records;
  if (rest.length > MAX_IMPORT_ROWS) throw tooManyRows();
  return { header, rows: rest.map((cells, i) => ({ row: i + 2, cells })) };
}

type ExcelValue = ExcelJS.CellValue | undefined;

/** A cell's value as text or number: rich text joined, formulas by their cached result, hyperlinks by their text. */
export function cellValue(v: ExcelValue): CellValue {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('richText' in v && Array.isArray(v.richText)) return v.richText.map((t) => t.text).join('');
    if ('result' in v) return cellValue(v.result as ExcelValue);
    if ('formula' in v || 'sharedFormula' in v) return '';
    if ('text' in v && typeof v.text === 'string') return v.text;
    if ('error' in v) return '';
  }
  return String(v);
}

/**
 * Streams the workbook (memory stays bounded whatever the file's size) and returns the first worksheet whose
 * first row has recognizable headers, else the first worksheet. Every worksheet is read to its end so that
 * the reader's temporary files are released.
 */
export async function readXlsx(data: Buffer): Promise<ImportTable> {
  const sheets: ImportTable[] = [];
  let total = 0;
  try {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(data), {
      sharedStrings: 'cache',
      hyperlinks: 'ignore',
      styles: 'ignore',
      worksheets: 'emit',
      entries: 'ignore',
    });
    for await (const worksheet of reader) {
      const table: ImportTable = { header: [], rows: [] };
      for await (const row of worksheet as AsyncIterable<ExcelJS.Row>) {
        const values = Array.from(row.values as ExcelValue[]).slice(1).map(cellValue); // holes (empty cells) → ''
        if (row.number === 1) table.header = values;
        else if (row.number > 1) {
          // One sheet may hold MAX_IMPORT_ROWS; the others (instructions, lists) share as many again.
          if (table.rows.length >= MAX_IMPORT_ROWS || ++total > 2 * MAX_IMPORT_ROWS) throw tooManyRows();
          table.rows.push({ row: row.number, cells: values });
        }
      }
      sheets.push(table);
    }
  } catch (e) {
    if (e instanceof ImportFileError) throw e;
    throw new ImportFileError('the XLSX file cannot be read: save it again from Excel, or use the template');
  }
  if (sheets.length === 0) throw new ImportFileError('the XLSX file has no worksheet');
  const withHeaders = sheets.find((s) => mapHeaders(s.header, ['name', 'idNumber']).ok);
  const chosen = withHeaders ?? sheets[0];
  return chosen;
}

const tooManyRows = () => new ImportFileError(`the file has more than ${MAX_IMPORT_ROWS} rows: split it into several files`);

export function readTable(data: Buffer, format: ImportFormat): Promise<ImportTable> {
  return format === 'xlsx' ? readXlsx(data) : Promise.resolve(parseCsv(decodeCsvText(data)));
}
