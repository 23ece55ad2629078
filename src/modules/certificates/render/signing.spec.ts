import { generateKeyPairSync } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { CertificateSigner, parsePublicKey, verifySignature } from './signing';

const seed = Buffer.alloc(32, 7);
const payload = { serial: 'QZ-2026-000001', recipient: { name: '张㛃𠇔' }, evidence: [{ rank: 1, total: 95.5 }] };

describe('CertificateSigner', () => {
  const signer = new CertificateSigner(seed);

  it('signs the canonical JSON: the same payload in another key order verifies', () => {
    const sig = signer.sign(payload);
    const reordered = JSON.parse('{"evidence":[{"total":95.5,"rank":1}],"recipient":{"name":"张㛃𠇔"},"serial":"QZ-2026-000001"}');
    expect(verifySignature(reordered, sig, signer.publicKey)).toBe(true);
  });

  it('is deterministic for one seed (Ed25519) and differs between seeds', () => {
    expect(signer.sign(payload)).toBe(new CertificateSigner(Buffer.from(seed)).sign(payload));
    expect(new CertificateSigner(Buffer.alloc(32, 8)).info.kid).not.toBe(signer.info.kid);
  });

  it('refuses a payload changed by one byte of its canonical JSON', () => {
    const sig = signer.sign(payload);
    const bytes = Buffer.from(canonicalJson(payload), 'utf8');
    for (let i = 0; i < bytes.length; i += 7) {
      const changed = Buffer.from(bytes);
      changed[i] ^= 0x01;
      let tampered: unknown;
      try {
        tampered = JSON.parse(changed.toString('utf8'));
      } catch {
        continue; // no longer JSON: nothing to verify
      }
      expect(verifySignature(tampered, sig, signer.publicKey)).toBe(false);
    }
  });

  it('refuses a signature changed by one byte, and a signature of another length', () => {
    const raw = Buffer.from(signer.sign(payload), 'base64url');
    raw[10] ^= 0x80;
    expect(verifySignature(payload, raw.toString('base64url'), signer.publicKey)).toBe(false);
    expect(verifySignature(payload, raw.subarray(0, 63).toString('base64url'), signer.publicKey)).toBe(false);
  });

  it('refuses a signature made by another key', () => {
    const other = generateKeyPairSync('ed25519');
    expect(verifySignature(payload, signer.sign(payload), other.publicKey)).toBe(false);
  });

  it('publishes the key as PEM and JWK with a thumbprint key id, and reads each form back', () => {
    const { info } = signer;
    expect(info.pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(info.jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: info.kid, alg: 'EdDSA' });
    expect(info.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const sig = signer.sign(payload);
    const der = signer.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const raw = Buffer.from(info.jwk.x, 'base64url').toString('base64');
    for (const form of [info.pem, info.jwk, JSON.stringify(info.jwk), der, raw]) {
      expect(verifySignature(payload, sig, parsePublicKey(form))).toBe(true);
    }
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => new CertificateSigner(Buffer.alloc(31))).toThrow(/32 bytes/);
  });
});
