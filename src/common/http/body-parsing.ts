import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PassThrough, type Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { DomainError } from '../errors/domain-error';

/** The request bodies the API accepts: JSON in UTF-8, optionally gzip/deflate/br-compressed, up to the body limit. */

const MALFORMED_JSON_MESSAGE = 'request body is not valid JSON';

type Decoder = () => Transform;

/** Content-Encodings a request body may use (what body-parser accepted before); a Map, so that `constructor` is not one. */
const DECODERS = new Map<string, Decoder>([
  ['gzip', () => zlib.createGunzip()],
  ['x-gzip', () => zlib.createGunzip()],
  ['deflate', () => zlib.createInflate()],
  ['br', () => zlib.createBrotliDecompress()],
]);

/**
 * A decompressed view of the payload that counts the compressed bytes as `receivedEncodedLength`
 * (Fastify compares that with Content-Length and limits the decompressed bytes to the body limit), and
 * turns a decoder's failure into a 400 MALFORMED_BODY instead of an unexpected error.
 */
function decompressed(payload: Readable, decoder: Transform): Readable & { receivedEncodedLength: number } {
  const out = new PassThrough() as PassThrough & { receivedEncodedLength: number };
  out.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    out.receivedEncodedLength += chunk.length;
  });
  payload.on('error', (e) => out.destroy(e));
  // The decoder's own error (zlib's Z_DATA_ERROR, brotli's ERR__ERROR_FORMAT_…) is the client's: never a 500.
  decoder.on('error', () => {
    payload.unpipe(decoder);
    payload.resume();
    out.destroy(DomainError.invalid('MALFORMED_BODY', 'the request body could not be decompressed as its Content-Encoding says'));
  });
  payload.pipe(decoder).pipe(out);
  return out;
}

function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m ? m[1].toLowerCase() : undefined;
}

/**
 * Replaces Fastify's body parsers with the API's: JSON only (text/plain and anything else is 415 by
 * Fastify; multipart is registered by @fastify/multipart), the charset checked, an empty JSON body
 * taken as no body (the validation then names the missing fields), anything but an object or array
 * refused as malformed, and `__proto__`/`constructor.prototype` keys dropped (secure-json-parse).
 * Compressed bodies are decompressed before parsing by a preParsing hook.
 */
export function installBodyParsing(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addHook('preParsing', async (req: FastifyRequest, _reply, payload) => {
    const raw = req.headers['content-encoding'];
    const encoding = String(raw ?? 'identity').trim().toLowerCase();
    if (encoding === 'identity' || encoding === '') return payload;
    const decoder = DECODERS.get(encoding);
    if (!decoder) throw new DomainError('unsupported_media', 'UNSUPPORTED_MEDIA_TYPE', 'the Content-Encoding is not supported; send gzip, deflate, br or none');
    return decompressed(payload, decoder());
  });

  const secureParse = fastify.getDefaultJsonParser('remove', 'remove');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (req, body, done) => {
    const charset = charsetOf(req.headers['content-type']);
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      done(new DomainError('unsupported_media', 'UNSUPPORTED_MEDIA_TYPE', 'the request body charset is not supported; send UTF-8'), undefined);
      return;
    }
    const text = String(body);
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    secureParse(req, text, (err: Error | null, value?: unknown) => {
      if (err || value === null || typeof value !== 'object') {
        done(DomainError.invalid('MALFORMED_JSON', err ? MALFORMED_JSON_MESSAGE : 'request body must be a JSON object or array'), undefined);
        return;
      }
      done(null, value);
    });
  });
}
