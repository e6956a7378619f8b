import zlib from 'node:zlib';
import type { Request, Response } from 'express';
import { NOT_FORWARDED, sendReply } from './http';
import { COMPRESSION_THRESHOLD_BYTES } from './middleware';
import type { RpcReply } from './ports';

/**
 * A kept JSON reply (reply-cache.ts): as sendReply would send it, from the serialized body, and —
 * for a client that accepts br or gzip and a body the compression middleware would compress —
 * from bytes compressed once per entry (`cached.encoded`), instead of a new compressor per request.
 * A body above PRECOMPRESS_MAX_BYTES goes through the middleware's streaming compressor as before.
 */
export function sendCachedReply(
  req: Request,
  res: Response,
  cached: { reply: RpcReply; json: string; encoded?: Partial<Record<'br' | 'gzip', Buffer>> },
  method: string,
): void {
  if (method === 'HEAD') return sendReply(res, cached.reply, method);
  res.status(cached.reply.status);
  for (const [name, value] of Object.entries(cached.reply.headers ?? {})) {
    if (!NOT_FORWARDED.has(name.toLowerCase()) && typeof value === 'string') res.setHeader(name, value);
  }
  res.type('application/json');
  const size = Buffer.byteLength(cached.json);
  const encoding =
    size >= COMPRESSION_THRESHOLD_BYTES && size <= PRECOMPRESS_MAX_BYTES
      ? req.acceptsEncodings('br', 'gzip', 'identity')
      : false;
  if (encoding !== 'br' && encoding !== 'gzip') {
    res.send(cached.json);
    return;
  }
  cached.encoded ??= {};
  const bytes = (cached.encoded[encoding] ??=
    encoding === 'br'
      ? zlib.brotliCompressSync(cached.json, {
          params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 }, // the middleware's own default
        })
      : zlib.gzipSync(cached.json));
  res.setHeader('Content-Encoding', encoding); // the compression middleware leaves it alone
  res.vary('Accept-Encoding');
  res.send(bytes);
}

/** Kept replies up to this size are compressed once and sent as stored bytes. */
export const PRECOMPRESS_MAX_BYTES = 256 * 1024;
