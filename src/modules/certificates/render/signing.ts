import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** ASN.1 prefix of a PKCS#8 Ed25519 private key (RFC 8410): SEQUENCE { 0, {1.3.101.112}, OCTET STRING { OCTET STRING seed } }. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface PublicKeyInfo {
  /** RFC 7638 JWK thumbprint (SHA-256, base64url): names the key in payloads and at /api/public/keys. */
  kid: string;
  alg: 'EdDSA';
  pem: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };
}

/** The certificate signing key, made from the 32-byte seed of the configuration. */
export class CertificateSigner {
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly info: PublicKeyInfo;

  constructor(seed: Buffer) {
    if (seed.length !== 32) throw new Error(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
    this.privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    this.publicKey = createPublicKey(this.privateKey);
    this.info = publicKeyInfo(this.publicKey);
  }

  /** Ed25519 over the canonical JSON of `payload` (RFC 8785); base64url. */
  sign(payload: unknown): string {
    return sign(null, Buffer.from(canonicalJson(payload), 'utf8'), this.privateKey).toString('base64url');
  }
}

export function publicKeyInfo(key: KeyObject): PublicKeyInfo {
  const { x } = key.export({ format: 'jwk' }) as { x: string };
  const kid = createHash('sha256').update(canonicalJson({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
  return {
    kid,
    alg: 'EdDSA',
    pem: key.export({ type: 'spki', format: 'pem' }) as string,
    jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' },
  };
}

/**
 * A public key from what a verifier may be given: a PEM (SPKI), the base64 of the DER (SPKI) or of the raw
 * 32-byte key, or a JWK (object or JSON text).
 */
export function parsePublicKey(input: string | object): KeyObject {
  if (typeof input === 'object') return createPublicKey({ key: input as import('node:crypto').JsonWebKey, format: 'jwk' });
  const text = input.trim();
  if (text.startsWith('{')) return parsePublicKey(JSON.parse(text) as object);
  if (text.includes('-----BEGIN')) return createPublicKey(text);
  const der = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (der.length === 32) return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: der.toString('base64url') }, format: 'jwk' });
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/** True when `signature` (base64url or base64) is an Ed25519 signature by `key` over the canonical JSON of `payload`. */
export function verifySignature(payload: unknown, signature: string, key: KeyObject): boolean {
  const sig = Buffer.from(signature.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (sig.length !== 64) return false;
  return verify(null, Buffer.from(canonicalJson(payload), 'utf8'), key, sig);
}
