import PDFDocument from 'pdfkit';
import type { LayoutLine, LayoutRole } from './certificate-template';
import { FontChain, LoadedFont, TextRun } from './font-chain';

/** Where the verification proof sits in the PDF's document information (read by scripts/verify-certificate.ts). */
export const PROOF_INFO_KEY = 'CertificateProof';
/** The proof is `QZCERT1.<base64url of {payload, signature, alg, kid}>`: ASCII, so it is written uncompressed and verbatim. */
export const PROOF_PREFIX = 'QZCERT1.';
export const PROOF_FILE_NAME = 'certificate-proof.json';

export interface CertificateProof {
  payload: unknown;
  signature: string;
  alg: 'EdDSA';
  kid: string;
}

export interface QrMatrix {
  size: number;
  get(row: number, col: number): number | boolean;
}

export interface PdfInput {
  lines: LayoutLine[];
  fonts: FontChain;
  /** The QR code's modules (qrcode's `create(...).modules`), drawn as vector squares. */
  qr: QrMatrix;
  proof: CertificateProof;
  /** Document title and author (issuing organization). */
  title: string;
  author: string;
  /** Fixed creation date: the same certificate renders to the same bytes. */
  issuedAt: Date;
}

/** Printed by the renderer itself (under the QR code): checked against the fonts with the template's text. */
export const QR_CAPTION = '扫码验证真伪';

// A4 landscape, in points.
const W = 841.89;
const H = 595.28;
const LEFT = 120;
const RIGHT = W - 120;
const FLOW_TOP = 118;
const FLOW_BOTTOM = 430;
const RED = '#b3241b';
const INK = '#222222';
const GOLD = '#b8860b';

interface Style {
  size: number;
  align: 'left' | 'center' | 'right';
  color: string;
  /** Distance from this line's baseline to the next one's, in multiples of size. */
  lead: number;
  wrap?: boolean;
}

const FLOW: Record<Exclude<LayoutRole, 'issuer' | 'date' | 'serial'>, Style> = {
  title: { size: 40, align: 'center', color: RED, lead: 1.5 },
  subtitle: { size: 13, align: 'center', color: RED, lead: 2.2 },
  gap: { size: 12, align: 'left', color: INK, lead: 1 },
  name: { size: 24, align: 'left', color: INK, lead: 1.75 },
  text: { size: 19, align: 'left', color: INK, lead: 1.7, wrap: true },
  award: { size: 32, align: 'center', color: RED, lead: 1.7 },
};

/** Characters that may not start a line (Chinese line-breaking rules): they stay at the end of the line before. */
const NO_LINE_START = new Set([...'，。、；：！？）》」』】〕…—,.;:!?)]}%']);

/**
 * Advance widths of measured runs by font, size and text, across documents: measuring character by character
 * (line breaking) lays each one out with fontkit, once per document without it. Bounded: cleared when full.
 */
const widthCache = new Map<string, number>();
const WIDTH_CACHE_MAX = 50_000;

interface PlacedLine {
  runs: TextRun[];
  size: number;
  color: string;
  x: number;
  y: number;
}

/** Every text the certificate prints: the fonts must have each of their characters. */
export const printedTexts = (lines: LayoutLine[]) => [...lines.map((l) => l.text), QR_CAPTION];

export function renderCertificatePdf(input: PdfInput): Promise<Buffer> {
  input.fonts.check(printedTexts(input.lines));
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: 0,
    compress: true,
    // No default Helvetica: every text sets its font, and parsing the AFM costs ~2 ms per document.
    font: null as unknown as string,
    info: {
      Title: input.title,
      Author: input.author,
      Subject: '获奖证书',
      Creator: 'labour-contest',
      Producer: 'labour-contest (pdfkit)',
      CreationDate: input.issuedAt,
      ModDate: input.issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const registered = new Set<string>();
  const use = (f: LoadedFont, size: number) => {
    if (!registered.has(f.key)) {
      doc.registerFont(f.key, f.font as unknown as string);
      registered.add(f.key);
    }
    return doc.font(f.key).fontSize(size);
  };
  /**
   * pdfkit's width of a run (a layout of its text by the font: the same figure for the same font, size and text),
   * from the process-wide cache when measured before. The first use of a font in this document still selects it
   * there and then: pdfkit names font resources (F1, F2 …) in that order, so the bytes do not depend on the cache.
   */
  const runWidth = (r: TextRun, size: number): number => {
    const key = `${r.font.key}\u0000${size}\u0000${r.text}`;
    let w = widthCache.get(key);
    if (w === undefined) {
      w = use(r.font, size).widthOfString(r.text);
      if (widthCache.size >= WIDTH_CACHE_MAX) widthCache.clear();
      widthCache.set(key, w);
    } else if (!registered.has(r.font.key)) {
      use(r.font, size);
    }
    return w;
  };
  const width = (runs: TextRun[], size: number) => runs.reduce((w, r) => w + runWidth(r, size), 0);

  /**
   * Breaks text into lines no wider than `max`: CJK text may break between any two characters, a run of Latin
   * letters and digits (2026, QZ-2026-000123) stays whole, closing punctuation never starts a line.
   */
  const wrap = (text: string, size: number, max: number): string[] => {
    const out: string[] = [];
    let line = '';
    let w = 0;
    for (const token of text.match(/[A-Za-z0-9.\-]+|[\s\S]/gu) ?? []) {
      const tw = width(input.fonts.runs(token), size);
      if (line && w + tw > max && !NO_LINE_START.has(token)) {
        out.push(line);
        line = token.trim() ? token : '';
        w = line ? tw : 0;
      } else {
        line += token;
        w += tw;
      }
    }
    if (line) out.push(line);
    return out;
  };

  const place = (text: string, style: Style, y: number, scale = 1): PlacedLine => {
    const size = style.size * scale;
    const runs = input.fonts.runs(text);
    const w = width(runs, size);
    const x = style.align === 'center' ? (W - w) / 2 : style.align === 'right' ? RIGHT - w : LEFT;
    return { runs, size, color: style.color, x, y };
  };

  // The flowing part, shrunk as a whole until it fits above the signature block (a long competition title).
  let placed: PlacedLine[] = [];
  for (let scale = 1; scale >= 0.5; scale *= 0.9) {
    placed = [];
    let y = FLOW_TOP;
    let bottom = 0;
    for (const l of input.lines) {
      if (l.role === 'issuer' || l.role === 'date' || l.role === 'serial') continue;
      const style = FLOW[l.role];
      const texts = style.wrap ? wrap(l.text, style.size * scale, RIGHT - LEFT) : [l.text];
      for (const t of texts.length ? texts : ['']) {
        if (t && l.role !== 'gap') {
          placed.push(place(t, style, y, scale));
          bottom = y;
        }
        y += style.size * scale * style.lead;
      }
    }
    if (bottom <= FLOW_BOTTOM) break;
  }

  let issuerY = 468;
  for (const l of input.lines) {
    if (l.role === 'issuer') {
      placed.push(place(l.text, { size: 20, align: 'right', color: INK, lead: 0 }, issuerY));
      issuerY += 34;
    } else if (l.role === 'date') {
      placed.push(place(l.text, { size: 18, align: 'right', color: INK, lead: 0 }, issuerY));
      issuerY += 34;
    }
  }

  // Frame.
  doc.lineWidth(4).strokeColor(GOLD).rect(22, 22, W - 44, H - 44).stroke();
  doc.lineWidth(1).strokeColor(RED).rect(32, 32, W - 64, H - 64).stroke();

  for (const p of placed) {
    let x = p.x;
    for (const r of p.runs) {
      const d = use(r.font, p.size);
      d.fillColor(p.color).text(r.text, x, p.y, { lineBreak: false, baseline: 'alphabetic' });
      x += runWidth(r, p.size);
    }
  }

  // QR code of the verification page, its caption and the serial, bottom left.
  const qr = 88;
  drawQr(doc, input.qr, 60, H - 60 - qr - 36, qr);
  const caption = place(QR_CAPTION, { size: 9, align: 'left', color: INK, lead: 0 }, H - 60 - 22);
  caption.x = 60 + (qr - width(caption.runs, 9)) / 2;
  const serials = input.lines.filter((l) => l.role === 'serial').map((l, i) => ({ ...place(l.text, { size: 10, align: 'left', color: INK, lead: 0 }, H - 56 + i * 14), x: 60 }));
  for (const p of [caption, ...serials]) {
    let x = p.x;
    for (const r of p.runs) {
      const d = use(r.font, p.size);
      d.fillColor(p.color).text(r.text, x, p.y, { lineBreak: false, baseline: 'alphabetic' });
      x += runWidth(r, p.size);
    }
  }

  // The signed statement, for offline verification: in the document information and as an attached file.
  const proofJson = JSON.stringify(input.proof);
  (doc.info as unknown as Record<string, unknown>)[PROOF_INFO_KEY] = PROOF_PREFIX + Buffer.from(proofJson, 'utf8').toString('base64url');
  doc.file(Buffer.from(proofJson, 'utf8'), {
    name: PROOF_FILE_NAME,
    type: 'application/json',
    description: '证书签名数据 (Ed25519 over RFC 8785 canonical JSON of payload)',
    creationDate: input.issuedAt,
    modifiedDate: input.issuedAt,
  });
  doc.end();
  return done;
}

/** Dark modules as filled squares, with a quiet zone of one module; one path, one fill. */
function drawQr(doc: PDFKit.PDFDocument, m: QrMatrix, x: number, y: number, size: number): void {
  const unit = size / (m.size + 2);
  doc.save().fillColor('#000000');
  for (let r = 0; r < m.size; r++) {
    for (let c = 0; c < m.size; c++) if (m.get(r, c)) doc.rect(x + (c + 1) * unit, y + (r + 1) * unit, unit, unit);
  }
  doc.fill().restore();
}

/** Reads the proof back out of a PDF produced by renderCertificatePdf (no PDF library needed). */
export function extractProof(pdf: Buffer): CertificateProof | undefined {
  const m = new RegExp(`${PROOF_PREFIX.replace('.', '\\.')}([A-Za-z0-9_-]+)`).exec(pdf.toString('latin1'));
  if (!m) return undefined;
  return JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')) as CertificateProof;
}
