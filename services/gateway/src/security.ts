import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Content-Security-Policy of every gateway response. Same-origin only: /docs (Swagger UI), /redoc
 * and the console load their scripts, styles, fonts and images from the gateway itself, and the
 * API is called on the same origin. No outside host is allowed anywhere.
 * - `style-src 'unsafe-inline'`: Swagger UI sets style attributes and ReDoc (styled-components)
 *   injects <style> elements at runtime; styles cannot run code.
 * - `img-src data:` / `font-src data:`: Swagger UI's icons and ReDoc's inlined fonts.
 * - `worker-src blob:`: ReDoc's search index runs in a worker built from a blob URL.
 * - `connect-src 'self'`: fetch/XHR (and the WebSocket of the same origin, see below).
 * - no `upgrade-insecure-requests`: a gateway reached over plain HTTP (npm start, a cluster-internal
 *   call) would otherwise have its own assets rewritten to https and break.
 */
export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'self'"],
  'upgrade-insecure-requests': null,
} as const;

/** Security headers (helmet): CSP above, nosniff, frame denial, referrer policy, HSTS, CORP. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { ...CSP_DIRECTIVES } },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** Headers a browser client may read on a cross-origin response. */
const EXPOSED_HEADERS =
  // WWW-Authenticate: a browser client tells an expired token (refresh) from an invalid one.
  'X-Correlation-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, Content-Disposition, WWW-Authenticate';

/**
 * CORS for browser clients from an allow-list of exact origins (`CORS_ORIGINS`); an origin not on
 * the list gets no CORS header at all, so the browser keeps the response from the calling page.
 * Default (empty list): no cross-origin access; the console and the docs are same-origin and need
 * none. Bearer tokens travel in a header, so no credentials mode. Preflights are answered here,
 * before authentication and the 405 handlers.
 */
export function corsAllowList(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (allowed.size > 0) res.vary('Origin');
    if (!origin || !allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
      res.setHeader(
        'Access-Control-Allow-Headers',
        String(
          req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, X-Correlation-Id',
        ),
      );
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/**
 * `CORS_ORIGINS`: comma-separated exact origins (`scheme://host[:port]`, no path); empty or `none`
 * = no cross-origin access. `*` is refused: the API is not meant to be callable from any page.
 */
export function parseCorsOrigins(
  raw: string,
): { ok: true; origins: string[] } | { ok: false; error: string } {
  const v = raw.trim();
  if (v === '' || v === 'none') return { ok: true, origins: [] };
  const origins: string[] = [];
  for (const item of v
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    if (item === '*')
      return {
        ok: false,
        error: "'*' is not allowed: list the browser origins, e.g. https://planner.example.com",
      };
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      return { ok: false, error: `'${item}' is not an origin (scheme://host[:port])` };
    }
    if (!/^https?:$/.test(url.protocol) || url.origin !== item.replace(/\/$/, ''))
      return { ok: false, error: `'${item}' is not an origin (scheme://host[:port], no path)` };
    origins.push(url.origin);
  }
  return { ok: true, origins };
}
