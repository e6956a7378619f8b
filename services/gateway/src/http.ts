import type { Response } from 'express';
import { z } from 'zod';
import { zodToDetail, type ErrorDetailItem } from '@fillsched/contracts';
import type { RpcReply } from './ports';

export const BODY_LIMIT_BYTES = 5 * 1024 * 1024;

export function sendDetail(res: Response, status: number, detail: string | ErrorDetailItem[]): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).json({ detail });
}

export function sendValidation(res: Response, detail: ErrorDetailItem[]): void {
  sendDetail(res, 422, detail);
}

/** Parses with a zod schema, or answers 422 with FastAPI-style `detail` and returns undefined. */
export function parseOr422<S extends z.ZodType>(
  res: Response,
  schema: S,
  value: unknown,
  prefix: 'body' | 'query' | 'path',
): { ok: true; data: z.infer<S> } | { ok: false } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  sendValidation(res, zodToDetail(parsed.error, prefix));
  return { ok: false };
}

/** Response headers a service must not set: they describe the gateway's own connection/encoding. */
export const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'upgrade',
  'trailer',
  'te',
  'proxy-authenticate',
  'proxy-connection',
]);

/** Writes a service's reply as the HTTP response: status, headers and body passed through. */
export function sendReply(res: Response, reply: RpcReply, method: string): void {
  res.status(reply.status);
  for (const [name, value] of Object.entries(reply.headers ?? {})) {
    if (!NOT_FORWARDED.has(name.toLowerCase()) && typeof value === 'string') res.setHeader(name, value);
  }
  if (reply.status === 204 || reply.status === 304 || method === 'HEAD') {
    res.end();
    return;
  }
  if (typeof reply.body === 'string') {
    if (!res.getHeader('content-type')) res.type('text/plain');
    res.send(reply.body);
    return;
  }
  res.json(reply.body ?? null);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The validated body plus the top-level fields validation dropped (unknown ones; blank form
 * fields count as absent), so the service can answer them with a warning instead of ignoring
 * them silently. Validated values win over the raw ones.
 */
export function withDroppedFields(raw: unknown, parsed: unknown): unknown {
  if (!isPlainObject(raw) || !isPlainObject(parsed)) return parsed;
  const dropped = Object.entries(raw).filter(([k, v]) => !(k in parsed) && v !== '' && v !== undefined);
  return dropped.length ? { ...Object.fromEntries(dropped), ...parsed } : parsed;
}

/** Position of a JSON syntax error as FastAPI reports it (`loc: ["body", <char offset>]`). */
export function jsonErrorPosition(err: { message?: string; body?: unknown }): number {
  const m = /position (\d+)/.exec(err.message ?? '');
  if (m) return Number(m[1]);
  // Newer V8 messages sometimes omit the position (e.g. unexpected end): point at the end.
  return typeof err.body === 'string' ? err.body.length : 0;
}
