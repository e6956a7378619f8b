import compression from 'compression';
import type { RequestHandler, Response } from 'express';
import { MESSAGES } from '@fillsched/contracts';
import {
  correlationIdFrom,
  CORRELATION_HEADER,
  httpMetricsMiddleware,
  httpServerSpanMiddleware,
  withCorrelation,
  type Logger,
} from '@fillsched/service-kit';
import type { Principal } from './auth/tokens';
import { BODY_LIMIT_BYTES, sendDetail } from './http';
import type { GatewayOptions } from './ports';

/**
 * Responses from this size on are compressed (gzip or br, as the client accepts). Smaller ones fit
 * a packet or two anyway and would only cost CPU; a completed schedule's JSON (≈ 330 bytes per
 * activity) is the body this is for.
 */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

/** The authenticated user of this request, once `requireAuth` ran. */
export const principalOf = (res: Response): Principal | undefined =>
  res.locals.principal as Principal | undefined;

/**
 * The middleware every HTTP request passes before any route, in this order. A new concern goes in
 * here at its place in the order, as one entry (its own function below or in its own module).
 */
export function commonMiddleware(ctx: { logger: Logger; options: GatewayOptions }): RequestHandler[] {
  return [
    // A trace span per request; everything the request does below runs inside it.
    httpServerSpanMiddleware(),
    // Correlation id + one access log line per request.
    requestLog(ctx.logger),
    httpMetricsMiddleware(),
    // Only HTTP responses pass through here: WebSocket upgrades are handled on the server's
    // 'upgrade' event and never reach Express. The filter skips types that do not shrink.
    compression({ threshold: COMPRESSION_THRESHOLD_BYTES }),
    cors(ctx.options.corsOrigins),
    refuseDeclaredOversizeBodies,
  ];
}

function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const correlationId = correlationIdFrom(req.headers[CORRELATION_HEADER.toLowerCase()]);
    res.locals.correlationId = correlationId;
    res.setHeader(CORRELATION_HEADER, correlationId);
    res.once('finish', () => {
      withCorrelation(correlationId, () =>
        logger.info(
          {
            method: req.method,
            path: req.originalUrl.split('?')[0],
            status: res.statusCode,
            duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
            user_id: principalOf(res)?.user.id ?? null,
          },
          'request',
        ),
      );
    });
    withCorrelation(correlationId, () => next());
  };
}

/**
 * CORS for browser clients (bearer tokens travel in a header, so no credentials mode is needed).
 * Preflights are answered here, before authentication and the 405 handlers.
 */
function cors(origins: string[] | '*'): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (!origin || (origins !== '*' && !origins.includes(origin))) return next();
    res.setHeader('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
    if (origins !== '*') res.setHeader('Vary', 'Origin');
    res.setHeader(
      'Access-Control-Expose-Headers',
      // WWW-Authenticate: a browser client tells an expired token (refresh) from an invalid one.
      'X-Correlation-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, Content-Disposition, WWW-Authenticate',
    );
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

/** Refuses a declared oversize body before reading it. */
const refuseDeclaredOversizeBodies: RequestHandler = (req, res, next) => {
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > BODY_LIMIT_BYTES) {
    res.setHeader('Connection', 'close');
    return sendDetail(res, 413, MESSAGES.bodyTooLarge);
  }
  next();
};
