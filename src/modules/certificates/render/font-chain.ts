import * as fs from 'node:fs';
import * as path from 'node:path';
import { trimCffSubroutines } from './cff-subrs-trim';

/** The little of a fontkit font that is used here (fontkit ships no types); pdfkit takes the object itself. */
export interface FontkitFont {
  postscriptName: string;
  unitsPerEm: number;
  hasGlyphForCodePoint(codePoint: number): boolean;
  layout(text: string): unknown;
}
interface FontkitCollection {
  type: 'TTC' | 'DFont';
  fonts: FontkitFont[];
  getFont(postscriptName: string): FontkitFont | null;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fontkit = require('fontkit') as { create(buffer: Buffer): FontkitFont | FontkitCollection };

/** One font of the chain: a TTF/OTF file, or one face of a collection (`file.ttc#PostScriptName`). */
export interface FontSpec {
  file: string;
  postscriptName?: string;
}

export interface LoadedFont {
  /** `file` or `file#PostScriptName`: names the font in logs and in the cache. */
  key: string;
  font: FontkitFont;
  /** Milliseconds spent reading and parsing it (once per process). */
  loadMs: number;
}

export const NPM_NOTO_SANS_SC = '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf';
export const DEBIAN_NOTO_CJK = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc#NotoSansCJKsc-Regular';

export function parseFontSpec(s: string): FontSpec {
  const hash = s.lastIndexOf('#');
  return hash > 0 ? { file: s.slice(0, hash), postscriptName: s.slice(hash + 1) } : { file: s };
}

const specKey = (s: FontSpec) => (s.postscriptName ? `${s.file}#${s.postscriptName}` : s.file);

/**
 * The fonts tried in order: CERT_FONTS when set; else Noto Sans SC from npm (always installed, lacks rare
 * characters such as 𠇔), then Debian's Noto Sans CJK SC when present (fonts-noto-cjk; has 㛃 and 𠇔).
 */
export function defaultFontSpecs(configured: string[]): FontSpec[] {
  if (configured.length) return configured.map(parseFontSpec);
  const specs: FontSpec[] = [];
  try {
    specs.push({ file: require.resolve(NPM_NOTO_SANS_SC) });
  } catch {
    // not installed: the system font alone
  }
  const debian = parseFontSpec(DEBIAN_NOTO_CJK);
  if (fs.existsSync(debian.file)) specs.push(debian);
  return specs;
}

/** Parsed fonts, once per process: a 10–20 MB font costs tens of milliseconds to read and parse. */
const loaded = new Map<string, LoadedFont>();

export function loadFont(spec: FontSpec): LoadedFont {
  const key = specKey(spec);
  const hit = loaded.get(key);
  if (hit) return hit;
  const started = performance.now();
  const file = path.resolve(spec.file);
  const parsed = fontkit.create(fs.readFileSync(file));
  let font: FontkitFont | null;
  if ('fonts' in parsed && typeof (parsed as FontkitCollection).getFont === 'function') {
    const collection = parsed as FontkitCollection;
    if (!spec.postscriptName) {
      throw new Error(`${spec.file} is a font collection: name one of its fonts as ${spec.file}#<PostScriptName> (${collection.fonts.map((f) => f.postscriptName).join(', ')})`);
    }
    font = collection.getFont(spec.postscriptName);
    if (!font) throw new Error(`${spec.file} has no font named ${spec.postscriptName} (${collection.fonts.map((f) => f.postscriptName).join(', ')})`);
  } else {
    font = parsed as FontkitFont;
    if (spec.postscriptName && font.postscriptName !== spec.postscriptName) throw new Error(`${spec.file} is ${font.postscriptName}, not ${spec.postscriptName}`);
  }
  if ((font as unknown as { directory?: { tables?: Record<string, unknown> } }).directory?.tables?.['CFF ']) trimCffSubroutines(font);
  const entry: LoadedFont = { key, font, loadMs: performance.now() - started };
  loaded.set(key, entry);
  return entry;
}

/** A character that no font of the chain can draw: the certificate fails rather than print a blank box. */
export class MissingGlyphError extends Error {
  constructor(readonly missing: Array<{ char: string; codePoint: number }>) {
    super(`no font has ${missing.map((m) => `${m.char} (${codePointLabel(m.codePoint)})`).join(', ')}`);
    this.name = 'MissingGlyphError';
  }
}

export const codePointLabel = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** A stretch of text drawn in one font. */
export interface TextRun {
  text: string;
  font: LoadedFont;
}

/** Variation selectors and joiners modify the character before them: they go with its run and need no glyph of their own. */
const isModifier = (cp: number) => (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) || cp === 0x200d || cp === 0x200c;

/**
 * Fonts tried in order, character by character (code points, so 𠇔 is one character). Fallback fonts are read
 * only when a character needs them.
 */
export class FontChain {
  constructor(private readonly specs: FontSpec[]) {
    if (specs.length === 0) throw new Error('no certificate font: install @expo-google-fonts/noto-sans-sc or fonts-noto-cjk, or set CERT_FONTS');
  }

  get primary(): LoadedFont {
    return loadFont(this.specs[0]);
  }

  /** The first font of the chain that has the character, or undefined. */
  fontFor(codePoint: number): LoadedFont | undefined {
    for (const spec of this.specs) {
      const f = loadFont(spec);
      if (f.font.hasGlyphForCodePoint(codePoint)) return f;
    }
    return undefined;
  }

  /** Splits text into runs of one font each; throws MissingGlyphError naming every character no font has. */
  runs(text: string): TextRun[] {
    const runs: TextRun[] = [];
    const missing = new Map<number, string>();
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      const last = runs[runs.length - 1];
      if (isModifier(cp) && last) {
        last.text += ch;
        continue;
      }
      const font = this.fontFor(cp);
      if (!font) {
        missing.set(cp, ch);
        continue;
      }
      if (last && last.font === font) last.text += ch;
      else runs.push({ text: ch, font });
    }
    if (missing.size) throw new MissingGlyphError([...missing].map(([codePoint, char]) => ({ char, codePoint })));
    return runs;
  }

  /** Checks every text at once, so the error names every missing character of the certificate. */
  check(texts: string[]): void {
    const missing = new Map<number, string>();
    for (const t of texts) {
      try {
        this.runs(t);
      } catch (e) {
        if (!(e instanceof MissingGlyphError)) throw e;
        for (const m of e.missing) missing.set(m.codePoint, m.char);
      }
    }
    if (missing.size) throw new MissingGlyphError([...missing].map(([codePoint, char]) => ({ char, codePoint })));
  }

  /** Fonts read so far, for logs and the benchmark. */
  loadedFonts(): LoadedFont[] {
    return this.specs.map(specKey).flatMap((k) => (loaded.has(k) ? [loaded.get(k)!] : []));
  }
}
