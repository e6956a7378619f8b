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
import type { ApiKeyPrincipal } from './auth/api-keys';
import type { Principal } from './auth/tokens';
import { BODY_LIMIT_BYTES, sendDetail } from './http';
import type { GatewayOptions } from './ports';
import { corsAllowList, securityHeaders } from './security';

/**
 * Responses from this size on are compressed (gzip or br, as the client accepts). Smaller ones fit
 * a packet or two anyway and would only cost CPU; a completed schedule's JSON (≈ 330 bytes per
 * activity) is the body this is for.
 */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

/** Who made the request: a user access token's claims, or an API key (auth/api-keys.ts). */
export type RequestPrincipal = Principal | ApiKeyPrincipal;

/** The authenticated user of this request, once `requireAuth` ran. */
export const principalOf = (res: Response): RequestPrincipal | undefined =>
  res.locals.principal as RequestPrincipal | undefined;

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
    securityHeaders(),
    corsAllowList(ctx.options.corsOrigins),
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
            ...apiKeyOf(res),
          },
          'request',
        ),
      );
    });
    withCorrelation(correlationId, () => next());
  };
}

/** The key id of a request made with an API key, for the access log (audit of what a key read). */
function apiKeyOf(res: Response): { api_key_id?: string } {
  const principal = principalOf(res);
  return principal && 'apiKey' in principal ? { api_key_id: principal.apiKey.id } : {};
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
