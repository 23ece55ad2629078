import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import type { CertificateView } from './certificate-payload';

/**
 * Certificate templates: `templates/certificates/<award type>.hbs`, else `default.hbs`. A template produces
 * layout lines `<role>: <text>` (roles below); the renderer places and styles each role. `{{ }}` escapes user
 * data as HTML, which is decoded again when the lines are read, so what is printed is exactly the data.
 */
export const LAYOUT_ROLES = ['title', 'subtitle', 'name', 'text', 'award', 'gap', 'issuer', 'date', 'serial'] as const;
export type LayoutRole = (typeof LAYOUT_ROLES)[number];

export interface LayoutLine {
  role: LayoutRole;
  text: string;
}

export interface CompiledTemplate {
  /** `<file name>@<first 12 hex of its SHA-256>`: stored with each certificate rendered from it. */
  version: string;
  render(view: CertificateView): LayoutLine[];
}

/** Finds `templates/` above this file (the same from src/ under ts-node and jest, and from dist/src/), else in the working directory. */
export function templatesRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'templates', 'certificates'))) return path.join(dir, 'templates');
    if (path.dirname(dir) === dir) break;
  }
  if (from === __dirname && fs.existsSync(path.join(process.cwd(), 'templates', 'certificates'))) return path.join(process.cwd(), 'templates');
  throw new Error(`no templates/certificates directory above ${from}`);
}

const hbs = Handlebars.create();

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'", '&#x60;': '`', '&#x3D;': '=' };
const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#x27|#x60|#x3D);/g, (e) => ENTITIES[e]);

/** Newlines or other controls in the data would start a layout line of their own. */
const flatten = (v: unknown): unknown => {
  if (typeof v === 'string') return v.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flatten(x)]));
  return v;
};

export function parseLayout(text: string, source = 'template'): LayoutLine[] {
  const lines: LayoutLine[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const m = /^([a-z]+):\s?(.*)$/.exec(line);
    if (!m || !(LAYOUT_ROLES as readonly string[]).includes(m[1])) {
      throw new Error(`${source}, output line ${i + 1}: expected "<role>: <text>" with a role among ${LAYOUT_ROLES.join(', ')}, got ${JSON.stringify(line.slice(0, 60))}`);
    }
    lines.push({ role: m[1] as LayoutRole, text: decode(m[2]).trimEnd() });
  }
  return lines;
}

/** The templates directory of this process, looked up once (it walked up the tree with a stat per level for every PDF). */
let defaultRoot: string | undefined;
/** The template of each (root, award type): looked up and compiled once per process, not per PDF. */
const chosen = new Map<string, CompiledTemplate>();

/** The template for an award type, compiled once per process (strict: a misspelt field is an error, not a blank). */
export function templateFor(awardType: string, root = (defaultRoot ??= templatesRoot())): CompiledTemplate {
  const key = `${root}\0${awardType}`;
  const known = chosen.get(key);
  if (known) return known;
  const dir = path.join(root, 'certificates');
  const safe = /^[a-z0-9_]+$/.test(awardType) ? awardType : 'default';
  const file = fs.existsSync(path.join(dir, `${safe}.hbs`)) ? `${safe}.hbs` : 'default.hbs';
  const full = path.join(dir, file);
  const source = fs.readFileSync(full, 'utf8');
  const fn = hbs.compile(source, { strict: true });
  const t: CompiledTemplate = {
    version: `${file}@${createHash('sha256').update(source).digest('hex').slice(0, 12)}`,
    render: (view) => parseLayout(fn(flatten(view)), file),
  };
  chosen.set(key, t);
  return t;
}
