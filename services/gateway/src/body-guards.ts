import type { RequestHandler } from 'express';
import type { ErrorDetailItem } from '@fillsched/contracts';
import { encodeJson, type RpcRequest } from '@fillsched/service-kit';

/**
 * Deepest nesting of arrays/objects a forwarded body may have. The deepest legitimate body is a
 * lot's `fill_hours_by_line` (body → lots_data → [i] → fill_hours_by_line → value: 4 levels) or an
 * open `config`; 32 leaves room for both and refuses pathological nesting (10⁴ levels) that
 * downstream code (BSON: 100 levels, recursive validators) cannot handle.
 */
export const MAX_BODY_DEPTH = 32;

/**
 * Depth of the deepest array/object in `value` (a scalar is 0, `{}` is 1), computed without
 * recursion (a 10⁶-deep body must not overflow the stack), and the path to where it first passes
 * `limit` (then it stops looking).
 */
export function nestingDepth(value: unknown, limit = Infinity): { depth: number; path: (string | number)[] } {
  interface Node {
    v: unknown;
    depth: number;
    key?: string | number;
    parent?: Node;
  }
  let deepest: Node | undefined;
  const stack: Node[] = [{ v: value, depth: 0 }];
  while (stack.length) {
    const node = stack.pop()!;
    const { v } = node;
    if (typeof v !== 'object' || v === null) continue;
    const d = node.depth + 1;
    if (!deepest || d > deepest.depth + 1) {
      deepest = node;
      if (d > limit) break;
    }
    if (Array.isArray(v)) v.forEach((item, i) => stack.push({ v: item, depth: d, key: i, parent: node }));
    else for (const [k, item] of Object.entries(v)) stack.push({ v: item, depth: d, key: k, parent: node });
  }
  const path: (string | number)[] = [];
  for (let n = deepest; n?.parent; n = n.parent) path.unshift(n.key!);
  return { depth: deepest ? deepest.depth + 1 : 0, path };
}

function tooDeep(path: (string | number)[]): ErrorDetailItem[] {
  // The path can be long; name where it enters the deep part, as far as the limit.
  return [
    {
      loc: ['body', ...path.slice(0, MAX_BODY_DEPTH - 1)],
      msg: `nested too deeply: at most ${MAX_BODY_DEPTH} levels of arrays and objects are allowed`,
      type: 'value_error.too_deep',
    },
  ];
}

/**
 * Right after the body parsers, before validation: validators walk bodies recursively, and a
 * 10⁴-deep body would overflow their stack (a 500) before any other check could refuse it.
 */
export const rejectDeepBodies: RequestHandler = (req, res, next) => {
  const { depth, path } = nestingDepth(req.body, MAX_BODY_DEPTH);
  if (depth <= MAX_BODY_DEPTH) return next();
  res.status(422).json({ detail: tooDeep(path) });
};

export type GuardResult =
  | { ok: true }
  | { ok: false; status: 413; detail: string }
  | { ok: false; status: 422; detail: ErrorDetailItem[] };

/**
 * Whether a validated request can be forwarded at all (a multipart `config` field is JSON parsed
 * during validation, so depth is checked again here): nesting at most MAX_BODY_DEPTH (else 422 at
 * the place it goes too deep) and an encoded size under what one NATS message carries (else 413).
 * Checked before any service call, so such a body never reaches NATS, a service or a breaker.
 * `maxBytes` undefined = no size check (the transport has no known limit).
 */
export function checkForwardable(rpc: RpcRequest, maxBytes: number | undefined): GuardResult {
  const { depth, path } = nestingDepth(rpc.body, MAX_BODY_DEPTH);
  if (depth > MAX_BODY_DEPTH) return { ok: false, status: 422, detail: tooDeep(path) };
  if (maxBytes !== undefined) {
    const bytes = encodeJson(rpc).byteLength;
    if (bytes > maxBytes)
      return {
        ok: false,
        status: 413,
        detail: `Request too large to forward: ${bytes} bytes once encoded, the limit is ${maxBytes} bytes`,
      };
  }
  return { ok: true };
}
