import type { NextFunction, Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  AccessClaimsSchema,
  type AccessClaims,
  type RpcUser,
} from '@fillsched/contracts';
import type { RevocationChecker, TokenVerifier } from '../ports';

export const JWT_ISSUER = ACCESS_TOKEN_ISSUER;
export const JWT_AUDIENCE = ACCESS_TOKEN_AUDIENCE;
/** Small allowance for clock skew between the auth service and gateway hosts. */
const CLOCK_TOLERANCE_S = 5;

export interface Principal {
  user: RpcUser;
  claims: AccessClaims;
}

/** Why a request was not authenticated: decides the RFC 6750 challenge, not the body. */
export type AuthFailure = 'missing' | 'expired' | 'invalid';

/**
 * The `WWW-Authenticate` challenge of RFC 6750 §3: a request without a bearer token gets no error
 * code; a token that was present but unusable gets `invalid_token`, saying whether it expired (the
 * client should refresh) or is invalid otherwise (bad signature, claims, revoked: log in again).
 */
export function bearerChallenge(failure: AuthFailure): string {
  if (failure === 'missing') return 'Bearer';
  const description = failure === 'expired' ? 'token expired' : 'invalid token';
  return `Bearer error="invalid_token", error_description="${description}"`;
}

const bearerTokenOf = ExtractJwt.fromAuthHeaderAsBearerToken();

export interface TokenAuth {
  /** Express middleware: 401 (via onFailure) unless a valid, unrevoked bearer token is present. */
  require(
    onFailure: (req: Request, res: Response, next: NextFunction, failure: AuthFailure) => void,
  ): RequestHandler;
  /** Verifies a raw token (WebSocket handshakes); null when invalid, expired, unknown key or revoked. */
  verify(token: string): Promise<Principal | null>;
}

/**
 * RS256 tokens of the auth service, verified locally with its public key(s) by kid. The HTTP path
 * uses passport-jwt; the WebSocket path uses jsonwebtoken with exactly the same options and claim checks.
 */
export function createTokenAuth(keys: TokenVerifier, revocations: RevocationChecker): TokenAuth {
  const keyFor = async (token: string): Promise<string | null> => {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded === 'string') return null;
    return keys.publicKey(typeof decoded.header.kid === 'string' ? decoded.header.kid : undefined);
  };

  const principalOf = (payload: unknown): Principal | null => {
    const parsed = AccessClaimsSchema.safeParse(payload);
    if (!parsed.success) return null;
    const claims = parsed.data;
    const id = Number(claims.sub);
    if (!Number.isSafeInteger(id) || id <= 0) return null;
    if (revocations.isRevoked(claims)) return null;
    return { user: { id, email: claims.email, is_superuser: claims.su }, claims };
  };

  const passport = new Passport();
  passport.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: (
          _req: Request,
          rawToken: string,
          done: (err: unknown, key?: string) => void,
        ) => {
          keyFor(rawToken).then(
            (key) => (key ? done(null, key) : done(new Error('unknown signing key'))),
            (err: unknown) => done(err),
          );
        },
        algorithms: ['RS256'],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        jsonWebTokenOptions: { clockTolerance: CLOCK_TOLERANCE_S },
      },
      (payload: unknown, done: (err: unknown, user?: Principal | false) => void) => {
        done(null, principalOf(payload) ?? false);
      },
    ),
  );

  return {
    require(onFailure) {
      return (req, res, next) => {
        passport.authenticate(
          'jwt',
          { session: false },
          (err: unknown, principal: Principal | false, info: unknown) => {
            if (err) return next(err);
            if (!principal) {
              // passport-jwt hands jsonwebtoken's error over as `info` (TokenExpiredError when expired).
              const failure: AuthFailure = !bearerTokenOf(req)
                ? 'missing'
                : (info as Error | undefined)?.name === 'TokenExpiredError'
                  ? 'expired'
                  : 'invalid';
              return onFailure(req, res, next, failure);
            }
            res.locals.principal = principal;
            next();
          },
        )(req, res, next);
      };
    },
    async verify(token) {
      try {
        const key = await keyFor(token);
        if (!key) return null;
        const payload = jwt.verify(token, key, {
          algorithms: ['RS256'],
          issuer: JWT_ISSUER,
          audience: JWT_AUDIENCE,
          clockTolerance: CLOCK_TOLERANCE_S,
        });
        return principalOf(payload);
      } catch {
        return null;
      }
    },
  };
}
