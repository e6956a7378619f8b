import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  API_KEY_MESSAGES,
  API_KEY_PREFIX,
  ApiKeyVerifiedSchema,
  RPC,
  parseApiKey,
  type ApiKeyScope,
  type RpcUser,
} from '@fillsched/contracts';
import type { Logger } from '@fillsched/service-kit';
import { sendServiceError } from '../errors';
import { sendDetail, sendReply } from '../http';
import type { ServiceCaller } from '../ports';
import type { AuthFailure } from './tokens';

/** The caller of a request authenticated with an API key (instead of a user access token). */
export interface ApiKeyPrincipal {
  user: RpcUser;
  apiKey: { id: string; scopes: ApiKeyScope[] };
}

/** The credential a request presents, as far as API keys are concerned. */
export type PresentedCredential =
  /** No API key: the JWT path decides (a missing token is its 401). */
  | { kind: 'jwt' }
  /** `X-API-Key` together with `Authorization`: ambiguous, refused. */
  | { kind: 'both' }
  | { kind: 'api_key'; key: string };

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * An API key comes as `X-API-Key: <key>` or as `Authorization: Bearer fsk_…`; a bearer token
 * without the `fsk_` prefix is a JWT. Header-only: keys never travel in URLs (logs, referrers).
 */
export function presentedCredential(req: Request): PresentedCredential {
  const header = req.headers['x-api-key'];
  const authorization = req.headers.authorization;
  if (header !== undefined) {
    if (authorization !== undefined) return { kind: 'both' };
    return { kind: 'api_key', key: Array.isArray(header) ? header.join(',') : header.trim() };
  }
  const bearer = authorization ? BEARER.exec(authorization)?.[1] : undefined;
  if (bearer?.startsWith(API_KEY_PREFIX)) return { kind: 'api_key', key: bearer };
  return { kind: 'jwt' };
}

export interface ApiKeyAuthDeps {
  services: ServiceCaller;
  logger: Logger;
  /** The JWT middleware (passport) for requests without an API key. */
  requireJwt: RequestHandler;
  /** Answers 401 (with the rate limit of the client IP, as for bad tokens). */
  unauthorized(req: Request, res: Response, next: NextFunction, failure: AuthFailure): void;
  /** Answers 403 with `detail`, counted by the rate limit (the key's owner once known, else the IP). */
  forbidden(req: Request, res: Response, next: NextFunction, detail: string): void;
}

/**
 * Authentication of one route: a user access token as before, or an API key when the route
 * declares the read scope it needs (`apiKeyScope` in ROUTES). In order, for a key:
 * malformed → 401 without any call; a route without a scope (writes, key management, configs,
 * /auth/me) → 403 without any call; otherwise one `auth.apikey.verify` request (unknown, revoked,
 * expired → 401), then the scope (missing → 403). Verifications are not cached: a revoke is
 * effective on the very next request, on every gateway replica.
 */
export function requireUserOrApiKey(scope: ApiKeyScope | undefined, deps: ApiKeyAuthDeps): RequestHandler {
  return (req, res, next) => {
    const credential = presentedCredential(req);
    if (credential.kind === 'jwt') return deps.requireJwt(req, res, next);
    if (credential.kind === 'both') return sendDetail(res, 400, API_KEY_MESSAGES.twoCredentials);
    if (!parseApiKey(credential.key)) return deps.unauthorized(req, res, next, 'invalid');
    if (!scope) return deps.forbidden(req, res, next, API_KEY_MESSAGES.routeNotAllowed);
    deps.services.call('auth', RPC.auth.apiKeyVerify, { body: { key: credential.key } }).then(
      (reply) => {
        if (reply.status === 401) return deps.unauthorized(req, res, next, 'invalid');
        const verified = reply.status === 200 ? ApiKeyVerifiedSchema.safeParse(reply.body) : null;
        if (!verified?.success) {
          deps.logger.error({ status: reply.status }, 'unexpected apikey.verify reply');
          return reply.status === 200
            ? sendDetail(res, 502, 'Bad reply from auth')
            : sendReply(res, reply, req.method);
        }
        const { user, scopes, key_id } = verified.data;
        const principal: ApiKeyPrincipal = { user, apiKey: { id: key_id, scopes } };
        res.locals.principal = principal;
        if (!scopes.includes(scope))
          return deps.forbidden(req, res, next, API_KEY_MESSAGES.missingScope(scope));
        next();
      },
      (err: unknown) => {
        if (!sendServiceError(res, err, deps.logger, RPC.auth.apiKeyVerify)) next(err);
      },
    );
  };
}
