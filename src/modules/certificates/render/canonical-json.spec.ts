import { canonicalJson } from './canonical-json';

describe('canonicalJson (RFC 8785)', () => {
  it.each([
    ['sorts keys and drops whitespace', { b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
    ['sorts nested keys', { z: { y: 1, x: 2 }, a: {} }, '{"a":{},"z":{"x":2,"y":1}}'],
    ['sorts by UTF-16 code units, not code points', { '\u{1F600}': 1, '\uFB33': 2 }, '{"\u{1F600}":1,"\uFB33":2}'],
    ['orders capitals before lower case and digits first', { b: 0, B: 0, '1': 0 }, '{"1":0,"B":0,"b":0}'],
    ['writes numbers as ECMAScript does', [0, -0, 1e21, 1e-7, 95.5, 10.01, 333333333.3333333], '[0,0,1e+21,1e-7,95.5,10.01,333333333.3333333]'],
    ['keeps non-ASCII characters literal and escapes controls', { n: '张㛃𠇔', c: '\u0001\n"\\' }, '{"c":"\\u0001\\n\\"\\\\","n":"张㛃𠇔"}'],
    ['leaves out undefined properties', { a: undefined, b: 1 }, '{"b":1}'],
    ['example of RFC 8785 §3.2.2', { numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001], string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/', literals: [null, true, false] },
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'],
  ])('%s', (_label, input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });

  it.each([[NaN], [Infinity], [-Infinity]])('refuses %s', (n) => {
    expect(() => canonicalJson({ n })).toThrow(TypeError);
  });

  it('gives the same text for the same value built in another key order', () => {
    expect(canonicalJson({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(canonicalJson(JSON.parse('{"b":{"d":"x","c":[1,2]},"a":1}')));
  });
});
