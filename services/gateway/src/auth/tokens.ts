import { createPublicKey, type KeyObject } from 'node:crypto';
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
  const parsedKeys = new ParsedKeyCache();
  const keyFor = async (token: string): Promise<KeyObject | string | null> => {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded === 'string') return null;
    const pem = await keys.publicKey(typeof decoded.header.kid === 'string' ? decoded.header.kid : undefined);
    return pem ? parsedKeys.keyOf(pem) : null;
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
            // passport-jwt hands the key to jsonwebtoken's verify as it is, which takes a KeyObject;
            // only passport-jwt's typings predate that.
            (key) => (key ? done(null, key as string) : done(new Error('unknown signing key'))),
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

/**
 * Parsed public keys by their PEM. jsonwebtoken parses a PEM string into a KeyObject on every
 * verify (about a millisecond on a loaded host, on every request); the key store still decides
 * which PEM a kid maps to (rotation, refetch on unknown kids), this only remembers the parse of
 * each PEM it has seen. Keyed by PEM content, so a rotated key under a reused kid is parsed anew.
 * Bounded: cleared when more PEMs than a rotation ever keeps at once have been seen.
 */
export class ParsedKeyCache {
  private readonly parsed = new Map<string, KeyObject>();

  constructor(private readonly maxKeys = 16) {}

  /**
   * The KeyObject of this PEM; a PEM that does not parse is handed back as it is, so jsonwebtoken
   * rejects the token as before (401 invalid token, not an error of the gateway).
   */
  keyOf(pem: string): KeyObject | string {
    const known = this.parsed.get(pem);
    if (known) return known;
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      return pem;
    }
    if (this.parsed.size >= this.maxKeys) this.parsed.clear();
    this.parsed.set(pem, key);
    return key;
  }

  get size(): number {
    return this.parsed.size;
  }
}
