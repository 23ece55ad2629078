import { execFile } from 'node:child_process';

/**
 * pdf-parse (pdf.js) sets up its worker with a dynamic import(), which jest's CommonJS sandbox refuses
 * ("without --experimental-vm-modules"); plain Node runs it, so the text is extracted in a child process.
 */
const EXTRACT = `
const { PDFParse } = require('pdf-parse');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', async () => {
  const parser = new PDFParse({ data: new Uint8Array(Buffer.concat(chunks)) });
  try {
    process.stdout.write(JSON.stringify((await parser.getText()).text));
  } finally {
    await parser.destroy();
  }
});
`;

/** The text of a PDF as a reader would copy it (through each font's ToUnicode map). */
export function pdfText(pdf: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', EXTRACT], { cwd: process.cwd(), maxBuffer: 16 * 1024 * 1024, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`pdf text extraction failed: ${err.message} ${stderr}`));
      resolve(JSON.parse(stdout) as string);
    });
    child.stdin!.end(pdf);
  });
}
