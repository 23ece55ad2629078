import { createHash } from 'node:crypto';

/** sfc32, seeded from SHA-256 of the seed text: small, fast and the same on every machine. */
function rng(seed: string): () => number {
  const h = createHash('sha256').update(seed, 'utf8').digest();
  let a = h.readUInt32LE(0), b = h.readUInt32LE(4), c = h.readUInt32LE(8), d = h.readUInt32LE(12);
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next(); // discard the first outputs, weakly mixed
  return next;
}

/**
 * Bib numbers 1..N by a uniformly random permutation (Fisher–Yates). The same seed and the same set
 * of ids give the same draw, whatever order the ids come in.
 */
export function drawBibs(ids: string[], seed: string): Map<string, number> {
  const order = [...ids].sort();
  const random = rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return new Map(order.map((id, i) => [id, i + 1]));
}
