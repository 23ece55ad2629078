/**
 * Checks a certificate's Ed25519 signature offline.
 *
 *   npm run verify-certificate -- <certificate.pdf | proof.json> (--key <PEM | base64 | JWK | key file> | --url <base URL>)
 *
 * A PDF carries its signed payload and signature in its document information (CertificateProof); a JSON file
 * is `{payload, signature}` (the answer of GET /api/public/certificates/:code will do). The public key is given
 * with --key, or fetched from `<url>/api/public/keys` with --url, which also reports whether the certificate
 * was revoked since. Exit code: 0 valid, 1 invalid or revoked, 2 usage or input error.
 */
import * as fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { extractProof } from '../src/modules/certificates/render/certificate-pdf';
import { parsePublicKey, verifySignature } from '../src/modules/certificates/render/signing';

interface Proof {
  payload: Record<string, unknown>;
  signature: string;
  kid?: string;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): { file: string; key?: string; url?: string } {
  const out: { file?: string; key?: string; url?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--key' || a === '--url') {
      const v = argv[++i];
      if (!v) throw new UsageError(`${a} needs a value`);
      out[a === '--key' ? 'key' : 'url'] = v;
    } else if (a.startsWith('--key=')) out.key = a.slice(6);
    else if (a.startsWith('--url=')) out.url = a.slice(6);
    else if (a === '-h' || a === '--help') throw new UsageError('');
    else if (!out.file) out.file = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (!out.file) throw new UsageError('name the certificate PDF or proof JSON file');
  if (!out.key && !out.url) throw new UsageError('give the public key with --key <PEM|base64|JWK|file> or the server with --url <base URL>');
  return out as { file: string; key?: string; url?: string };
}

function readProof(file: string): Proof {
  const data = fs.readFileSync(file);
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') {
    const proof = extractProof(data);
    if (!proof) throw new UsageError(`${file} carries no certificate proof`);
    return proof as Proof;
  }
  const json = JSON.parse(data.toString('utf8')) as { payload?: unknown; signature?: unknown; kid?: unknown; keyId?: unknown };
  const payload = typeof json.payload === 'string' ? (JSON.parse(json.payload) as Record<string, unknown>) : json.payload;
  if (!payload || typeof payload !== 'object' || typeof json.signature !== 'string') throw new UsageError(`${file}: expected {payload, signature}`);
  return { payload: payload as Record<string, unknown>, signature: json.signature, kid: typeof json.kid === 'string' ? json.kid : typeof json.keyId === 'string' ? json.keyId : undefined };
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() };
}

async function keyFor(proof: Proof, opts: { key?: string; url?: string }): Promise<KeyObject> {
  if (opts.key) return parsePublicKey(fs.existsSync(opts.key) ? fs.readFileSync(opts.key, 'utf8') : opts.key);
  const base = opts.url!.replace(/\/+$/, '');
  const { status, body } = await getJson(`${base}/api/public/keys`);
  if (status !== 200 || !Array.isArray(body?.keys)) throw new Error(`${base}/api/public/keys answered ${status}`);
  const keys = body.keys as Array<{ kid: string; pem: string }>;
  const kid = proof.kid ?? (proof.payload.verification as { publicKeyId?: string } | undefined)?.publicKeyId;
  const k = keys.find((x) => x.kid === kid) ?? (kid ? undefined : keys[0]);
  if (!k) throw new Error(`the server publishes no key ${kid}`);
  return parsePublicKey(k.pem);
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const proof = readProof(opts.file);
  const key = await keyFor(proof, opts);
  const p = proof.payload as { serial?: string; recipient?: { name?: string }; achievement?: { name?: string }; issuer?: { name?: string }; issuedAt?: string; verification?: { url?: string } };
  const ok = verifySignature(proof.payload, proof.signature, key);
  if (!ok) {
    console.log(`INVALID: the signature does not match the certificate data (serial ${p.serial ?? '?'})`);
    return 1;
  }
  console.log(`VALID signature: ${p.serial} · ${p.recipient?.name} · ${p.achievement?.name} · ${p.issuer?.name} · ${p.issuedAt}`);
  if (opts.url && p.verification?.url) {
    const code = p.verification.url.split('/').pop();
    const { status, body } = await getJson(`${opts.url.replace(/\/+$/, '')}/api/public/certificates/${code}`);
    if (status === 200 && body.revoked) {
      console.log(`REVOKED: ${p.serial} was revoked${body.revokedAt ? ` on ${body.revokedAt}` : ''}`);
      return 1;
    }
    if (status === 200) console.log(`status at ${opts.url}: ${body.status}`);
    else console.log(`the server does not know this certificate (${status})`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    if (e instanceof UsageError) {
      if (e.message) console.error(`verify-certificate: ${e.message}`);
      console.error('usage: npm run verify-certificate -- <certificate.pdf | proof.json> (--key <PEM|base64|JWK|file> | --url <base URL>)');
    } else console.error(`verify-certificate: ${e.message}`);
    process.exit(2);
  },
);
