import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { MESSAGES } from '@fillsched/contracts';
import { withCorrelation, type Logger } from '@fillsched/service-kit';
import { requireUserOrApiKey } from './auth/api-keys';
import { bearerChallenge, type AuthFailure, type TokenAuth } from './auth/tokens';
import { bodyParsers, buildRpcRequest } from './bodies';
import { checkForwardable, rejectDeepBodies } from './body-guards';
import { sendServiceError } from './errors';
import { sendCachedReply } from './cached-reply';
import { sendDetail, sendReply } from './http';
import { rateLimited } from './metrics';
import { principalOf } from './middleware';
import type { RateLimiter, RevocationChecker, ServiceCaller } from './ports';
import type { CompletedReplyCache } from './reply-cache';
import type { RouteDef } from './routes';

export interface ForwardingDeps {
  services: ServiceCaller;
  rateLimiter: RateLimiter;
  revocations: RevocationChecker;
  auth: TokenAuth;
  logger: Logger;
  /** Completed schedules' GET replies per user (absent: every request goes to its service). */
  replyCache?: CompletedReplyCache;
}

/**
 * The versioned API: per route authentication, rate limit, body parsing and validation, then the
 * call to the owning service, whose reply is passed through; 405 with `Allow` for other methods.
 */
export function apiRouter(routes: readonly RouteDef[], deps: ForwardingDeps): Router {
  const { rateLimit, requireAuth, unauthorized, forbidden } = limits(deps);
  const api = express.Router({ caseSensitive: true, strict: false });
  for (const route of routes) {
    const chain: RequestHandler[] = [];
    // A user access token, or an API key on the read routes that declare its scope (auth/api-keys.ts).
    if (route.auth === 'required')
      chain.push(
        requireUserOrApiKey(route.apiKeyScope, {
          services: deps.services,
          logger: deps.logger,
          requireJwt: requireAuth,
          unauthorized,
          forbidden,
        }),
      );
    chain.push(rateLimit, ...bodyParsers(route), rejectDeepBodies, forward(route, deps));
    api[route.method](route.path, ...chain);
  }
  // After every method route, so that e.g. PUT /config/default still reaches PUT /config/:id (422 on the id).
  const methodsByPath = new Map<string, string[]>();
  for (const r of routes)
    methodsByPath.set(r.path, [...(methodsByPath.get(r.path) ?? []), r.method.toUpperCase()]);
  for (const [path, methods] of methodsByPath) {
    api.all(path, (_req, res) => {
      res.setHeader('Allow', [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', '));
      sendDetail(res, 405, 'Method Not Allowed');
    });
  }
  return api;
}

/** The rate limit per user (or client IP) and authentication, whose failures count against the IP too. */
function limits(deps: ForwardingDeps): {
  rateLimit: RequestHandler;
  requireAuth: RequestHandler;
  unauthorized: (req: Request, res: Response, next: NextFunction, failure: AuthFailure) => void;
  forbidden: (req: Request, res: Response, next: NextFunction, detail: string) => void;
} {
  const applyRateLimit = async (req: Request, res: Response): Promise<boolean> => {
    const principal = principalOf(res);
    const key = principal ? `u${principal.user.id}` : `ip${req.ip ?? 'unknown'}`;
    const decision = await deps.rateLimiter.hit(key);
    res.setHeader('X-RateLimit-Limit', String(decision.limit));
    res.setHeader('X-RateLimit-Remaining', String(decision.remaining));
    res.setHeader('X-RateLimit-Reset', String(decision.resetEpochS));
    if (decision.allowed) return true;
    rateLimited.inc({ client: principal ? 'user' : 'ip' });
    res.setHeader('Retry-After', String(decision.retryAfterS));
    sendDetail(res, 429, MESSAGES.rateLimited(decision.retryAfterS));
    return false;
  };
  const rateLimit: RequestHandler = (req, res, next) => {
    applyRateLimit(req, res).then((ok) => (ok ? next() : undefined), next);
  };
  // Failed authentications count against the client IP, so token guessing is limited too.
  // The body stays the guide's; the challenge header says what went wrong (RFC 6750).
  const unauthorized = (req: Request, res: Response, next: NextFunction, failure: AuthFailure) => {
    applyRateLimit(req, res).then((ok) => {
      if (!ok) return;
      res.setHeader('WWW-Authenticate', bearerChallenge(failure));
      sendDetail(res, 401, MESSAGES.credentials);
    }, next);
  };
  // A refused API key counts too: against its owner once verified, else against the client IP.
  const forbidden = (req: Request, res: Response, next: NextFunction, detail: string) => {
    applyRateLimit(req, res).then((ok) => (ok ? sendDetail(res, 403, detail) : undefined), next);
  };
  return { rateLimit, requireAuth: deps.auth.require(unauthorized), unauthorized, forbidden };
}

/** Sends the validated request to the route's service and passes its reply through. */
function forward(route: RouteDef, deps: ForwardingDeps): RequestHandler {
  return (req, res, next) => {
    const rpc = buildRpcRequest(route, req, res);
    if (!rpc) return;
    // Bodies that cannot be forwarded are refused here, before NATS, a service or a breaker sees them.
    const guard = checkForwardable(rpc, deps.services.maxRequestBytes?.());
    if (!guard.ok) return sendDetail(res, guard.status, guard.detail);
    const cacheable = deps.replyCache?.keyFor(route.subject, rpc) ?? null;
    const cached = cacheable && deps.replyCache?.get(cacheable.key);
    if (cached) return sendCachedReply(req, res, cached, req.method);
    // Body parsers resume in stream callbacks, outside the request's async context: restore it.
    withCorrelation(res.locals.correlationId as string, () =>
      deps.services.call(route.service, route.subject, rpc),
    ).then(
      (reply) => {
        const principal = principalOf(res);
        // The KV watch brings the revocation within milliseconds; this closes the gap for the
        // client that logged out and immediately retries with the old token on this replica.
        if (
          route.revokesSession &&
          principal &&
          'claims' in principal &&
          reply.status >= 200 &&
          reply.status < 300
        )
          deps.revocations.revoke(`sid.${principal.claims.sid}`);
        deps.replyCache?.observe(route.subject, rpc, reply, cacheable);
        sendReply(res, reply, req.method);
      },
      (err: unknown) => {
        if (!sendServiceError(res, err, deps.logger, route.subject)) next(err);
      },
    );
  };
}
