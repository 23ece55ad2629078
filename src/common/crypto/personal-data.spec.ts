import { createHmac, randomBytes } from 'node:crypto';
import { PersonalDataCipher } from './personal-data';

const keyA = Buffer.alloc(32, 0xa1);
const keyB = Buffer.alloc(32, 0xb2);

/** Flips one bit of the decoded token at `index` (negative counts from the end) and re-encodes it. */
function flipByte(token: string, index: number): string {
  const raw = Buffer.from(token.slice('v1:'.length), 'base64');
  const i = index < 0 ? raw.length + index : index;
  raw[i] ^= 0x01;
  return 'v1:' + raw.toString('base64');
}

describe('PersonalDataCipher', () => {
  const cipher = new PersonalDataCipher(keyA);

  it.each([
    ['empty string', ''],
    ['ID number', '11010519491231002X'],
    ['Chinese name', '张小明'],
    ['supplementary-plane characters', '𠇔三'],
    ['mixed text with emoji', '浙江省杭州市 Room 101 🏭'],
    ['long text', '劳动技能竞赛'.repeat(500)],
  ])('round-trips %s', (_label, plain) => {
    const token = cipher.encrypt(plain);
    expect(token.startsWith('v1:')).toBe(true);
    expect(cipher.decrypt(token)).toBe(plain);
  });

  it('lays the token out as iv(12) | tag(16) | ciphertext', () => {
    const raw = Buffer.from(cipher.encrypt('abc').slice(3), 'base64');
    expect(raw.length).toBe(12 + 16 + 3);
  });

  it('produces a different token each time for the same text', () => {
    const a = cipher.encrypt('330102199001011234');
    const b = cipher.encrypt('330102199001011234');
    expect(a).not.toBe(b);
    expect(cipher.decrypt(a)).toBe(cipher.decrypt(b));
  });

  it('decrypts with a fresh instance built from the same key', () => {
    expect(new PersonalDataCipher(Buffer.from(keyA)).decrypt(cipher.encrypt('张三'))).toBe('张三');
  });

  describe('rejects tampered tokens', () => {
    const token = cipher.encrypt('张小明 13812345678');

    it.each([
      ['IV', 0],
      ['auth tag', 12],
      ['first ciphertext byte', 28],
      ['last ciphertext byte', -1],
    ])('a flipped bit in the %s', (_label, index) => {
      expect(() => cipher.decrypt(flipByte(token, index))).toThrow(/failed authentication/);
    });

    it.each([
      ['truncated ciphertext', () => token.slice(0, -4)],
      ['a missing version prefix', () => token.slice(3)],
      ['another version prefix', () => 'v2:' + token.slice(3)],
      ['non-base64 characters', () => token.slice(0, 10) + '!' + token.slice(10)],
      ['too short to hold iv and tag', () => 'v1:' + Buffer.alloc(27).toString('base64')],
      ['an empty token', () => ''],
    ])('%s', (_label, make) => {
      expect(() => cipher.decrypt(make())).toThrow();
    });
  });

  it('fails to decrypt with the wrong key', () => {
    const token = new PersonalDataCipher(keyB).encrypt('11010519491231002X');
    expect(() => cipher.decrypt(token)).toThrow(/failed authentication/);
  });

  it.each([0, 16, 31, 33, 64])('refuses a %d-byte key', (len) => {
    expect(() => new PersonalDataCipher(Buffer.alloc(len))).toThrow(RangeError);
  });

  it('does not depend on the caller keeping its key buffer intact', () => {
    const key = randomBytes(32);
    const c = new PersonalDataCipher(key);
    const token = c.encrypt('张三');
    key.fill(0);
    expect(c.decrypt(token)).toBe('张三');
  });

  describe('hash', () => {
    it('is deterministic 64-char hex', () => {
      const h = cipher.hash('11010519491231002X');
      expect(h).toMatch(/^[0-9a-f]{64}$/);
      expect(cipher.hash('11010519491231002X')).toBe(h);
      expect(new PersonalDataCipher(Buffer.from(keyA)).hash('11010519491231002X')).toBe(h);
    });

    it('differs across keys', () => {
      expect(new PersonalDataCipher(keyB).hash('11010519491231002X')).not.toBe(cipher.hash('11010519491231002X'));
    });

    it.each([
      ['case', '11010519491231002X', '11010519491231002x'],
      ['one digit', '13812345678', '13812345679'],
      ['Chinese text', '张三', '张四'],
    ])('differs for inputs that differ in %s', (_label, a, b) => {
      expect(cipher.hash(a)).not.toBe(cipher.hash(b));
    });

    it('is not keyed with the encryption key itself', () => {
      const direct = createHmac('sha256', keyA).update('11010519491231002X').digest('hex');
      expect(cipher.hash('11010519491231002X')).not.toBe(direct);
    });
  });
});
