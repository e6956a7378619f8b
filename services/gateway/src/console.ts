import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { sendDetail } from './http';

/** Where the planner's console is served (a hash-routed single page: #/schedule/5 …). */
export const CONSOLE_PATH = '/console/';

/**
 * The console's Content-Security-Policy: everything from this origin only, no inline script or
 * style (the Gantt uses SVG presentation attributes; React sets styles through the CSSOM, which
 * CSP allows), WebSockets to this host (`'self'` covers ws:/wss: of the same host in CSP 3), and
 * blob: for the export downloads. The hardening middleware's global CSP may be stricter elsewhere;
 * this one is set on the console's own responses.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** packages/console/dist next to this service in the monorepo (and in the image). */
export function defaultConsoleDir(): string {
  return path.resolve(__dirname, '../../../packages/console/dist');
}

/**
 * `GET /` from a browser (it prefers text/html over JSON) is sent to the console; API clients,
 * which ask for JSON or anything (curl's `*\/*`), keep the guide's JSON root.
 */
export const browserToConsole: RequestHandler = (req, res, next) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return next();
  if (req.accepts(['application/json', 'text/html']) !== 'text/html') return next();
  if (!/\btext\/html\b/.test(req.headers.accept ?? '')) return next();
  res.redirect(302, CONSOLE_PATH);
};

/**
 * Static serving of the built console: hashed files under assets/ are cached for a year
 * (immutable), index.html never (a new build is picked up at once). 503 with the fix when the
 * console is not built.
 */
export function consoleRouter(dir: string = defaultConsoleDir()): Router {
  const router = express.Router({ strict: true });
  const index = path.join(dir, 'index.html');
  const security: RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  };
  const sendIndex: RequestHandler = (_req, res) => {
    fs.readFile(index, 'utf8', (err, html) => {
      if (err) return sendDetail(res, 503, 'The console is not built: run `npm run build`');
      res.setHeader('Cache-Control', 'no-cache');
      res.type('html').send(html);
    });
  };
  router.get('/console', (_req, res) => res.redirect(301, CONSOLE_PATH));
  router.use('/console', security);
  router.use(
    '/console/assets',
    express.static(path.join(dir, 'assets'), {
      index: false,
      fallthrough: false,
      etag: true,
      setHeaders: (res) => res.setHeader('Cache-Control', IMMUTABLE),
    }),
  );
  router.get('/console/', sendIndex);
  router.get('/console/index.html', sendIndex);
  router.use(
    '/console',
    express.static(dir, {
      index: false,
      setHeaders: (res) => res.setHeader('Cache-Control', 'public, max-age=3600'),
    }),
  );
  // Anything else under /console/ is the app (deep links); a missing asset above is a 404.
  router.get(/^\/console\/.*/, sendIndex);
  return router;
}
