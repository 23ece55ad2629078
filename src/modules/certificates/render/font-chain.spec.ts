import * as fs from 'node:fs';
import { codePointLabel, DEBIAN_NOTO_CJK, defaultFontSpecs, FontChain, loadFont, MissingGlyphError, parseFontSpec } from './font-chain';

const npmFont = require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf');
const debian = parseFontSpec(DEBIAN_NOTO_CJK);
const hasDebian = fs.existsSync(debian.file);
const withDebian = hasDebian ? it : it.skip;

describe('FontChain', () => {
  const npmOnly = new FontChain([{ file: npmFont }]);

  it('draws common Chinese, digits and Latin letters in the primary font, as one run', () => {
    const runs = npmOnly.runs('张三 市五一劳动奖章 QZ-2026-000123');
    expect(runs).toHaveLength(1);
    expect(runs[0].font.font.postscriptName).toBe('NotoSansSC-Regular');
  });

  it('fails naming the character and its code point when no font has it, never a blank box', () => {
    expect(() => npmOnly.runs('王鿰')).toThrow(new MissingGlyphError([{ char: '鿰', codePoint: 0x9ff0 }]));
    expect(() => npmOnly.runs('王鿰')).toThrow('no font has 鿰 (U+9FF0)');
  });

  it('names every missing character of every text at once, supplementary-plane ones as one character', () => {
    const check = () => npmOnly.check(['张𠇔', '鿰', '李四']);
    expect(check).toThrow(MissingGlyphError);
    expect(check).toThrow('no font has 𠇔 (U+201D4), 鿰 (U+9FF0)');
  });

  withDebian('draws a run the primary font lacks in the fallback font', () => {
    const chain = new FontChain([{ file: npmFont }, debian]);
    const runs = chain.runs('张㛃𠇔同志');
    expect(runs.map((r) => [r.text, r.font.font.postscriptName])).toEqual([
      ['张㛃', 'NotoSansSC-Regular'],
      ['𠇔', 'NotoSansCJKsc-Regular'],
      ['同志', 'NotoSansSC-Regular'],
    ]);
    expect(() => chain.runs('鿰')).toThrow('no font has 鿰 (U+9FF0)');
  });

  it('keeps a variation selector with the character before it', () => {
    const runs = npmOnly.runs('葛\u{E0100}亮');
    expect(runs.map((r) => r.text).join('')).toBe('葛\u{E0100}亮');
  });

  it('parses each font once per process', () => {
    expect(loadFont({ file: npmFont })).toBe(loadFont({ file: npmFont }));
  });

  withDebian('refuses a collection without the name of one of its fonts, listing them', () => {
    expect(() => loadFont({ file: debian.file })).toThrow(/font collection.*NotoSansCJKsc-Regular/);
    expect(() => loadFont({ file: debian.file, postscriptName: 'Nope' })).toThrow(/no font named Nope/);
  });

  it('uses CERT_FONTS when set, else the npm font then the Debian one when installed', () => {
    expect(defaultFontSpecs(['/a.ttf', '/b.ttc#B-Regular'])).toEqual([{ file: '/a.ttf' }, { file: '/b.ttc', postscriptName: 'B-Regular' }]);
    expect(defaultFontSpecs([])).toEqual(hasDebian ? [{ file: npmFont }, debian] : [{ file: npmFont }]);
  });

  it.each([
    [0x41, 'U+0041'],
    [0x9ff0, 'U+9FF0'],
    [0x201d4, 'U+201D4'],
  ])('labels code point %i as %s', (cp, label) => {
    expect(codePointLabel(cp)).toBe(label);
  });
});
