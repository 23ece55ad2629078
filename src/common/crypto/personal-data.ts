import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const PREFIX = `${VERSION}:`;
const KEY_BYTES = 32;
const IV_BYTES = 12; // the GCM-native nonce size; other sizes get hashed into one
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Field-level encryption for personal data (ID numbers, phones) at rest, plus a keyed
 * lookup hash so encrypted columns can still be searched by exact value.
 *
 * Token format: 'v1:' + base64(iv(12) | authTag(16) | ciphertext). The prefix lets a
 * future key/algorithm rotation tell old tokens apart.
 */
export class PersonalDataCipher {
  private readonly encKey: Buffer;
  private readonly hashKey: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) {
      throw new RangeError(`personal data key must be ${KEY_BYTES} bytes, got ${key.length}`);
    }
    // Copy so a caller zeroing or reusing its buffer cannot change our key.
    this.encKey = Buffer.from(key);
    // Separate subkey: reusing the encryption key as an HMAC key would tie the two uses together.
    this.hashKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'lookup-hash', KEY_BYTES));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES); // random per message: GCM breaks completely if an IV repeats under one key
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(VERSION)); // binds the version so a token cannot be relabelled
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  /** Throws if the token is malformed, was tampered with, or was made with another key. */
  decrypt(token: string): string {
    if (!token.startsWith(PREFIX)) throw new Error(`personal data token must start with '${PREFIX}'`);
    const body = token.slice(PREFIX.length);
    const raw = Buffer.from(body, 'base64');
    // Node's base64 decoder silently skips bad characters; insist on the canonical encoding instead.
    if (!BASE64.test(body) || raw.toString('base64') !== body || raw.length < IV_BYTES + TAG_BYTES) {
      throw new Error('personal data token is malformed');
    }
    const iv = raw.subarray(0, IV_BYTES);
    const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const ciphertext = raw.subarray(IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(VERSION));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new Error('personal data token failed authentication (tampered or wrong key)', { cause });
    }
  }

  /**
   * Deterministic HMAC-SHA256 (hex) for equality lookups. Hashes the exact string given,
   * so callers must normalize first (e.g. checkIdNumber(...).normalized).
   */
  hash(plain: string): string {
    return createHmac('sha256', this.hashKey).update(plain, 'utf8').digest('hex');
  }
}
