import { z } from 'zod';
import { apiSchemas, Timestamp } from './common';

const GUIDE_USER = { email: 'user@example.com', password: 'SecurePass123!' };
/** Shortest password register accepts (the auth service also refuses common ones and the e-mail). */
export const PASSWORD_MIN_LENGTH = 10;

export const RegisterBodySchema = z
  .object({
    email: z.email(),
    password: z
      .string()
      .min(PASSWORD_MIN_LENGTH, `Password must be at least ${PASSWORD_MIN_LENGTH} characters`)
      .max(128)
      .describe(
        `At least ${PASSWORD_MIN_LENGTH} characters, not one of the most used passwords (nor one with ` +
          'digits or symbols appended), not containing the e-mail address; 422 names the failed rule.',
      ),
    full_name: z.string().max(200).optional(),
  })
  .register(apiSchemas, { id: 'UserCreate', examples: [GUIDE_USER] });
export type RegisterBody = z.infer<typeof RegisterBodySchema>;

/** OAuth2 password form (username = email); the JSON variant also accepts `email`. */
export const LoginBodySchema = z
  .object({
    username: z.string().min(1).optional(),
    email: z.string().min(1).optional(),
    password: z.string().min(1),
  })
  .refine((b) => b.username !== undefined || b.email !== undefined, {
    message: 'field required',
    path: ['username'],
  })
  .transform((b) => ({ username: (b.username ?? b.email) as string, password: b.password }))
  .register(apiSchemas, {
    id: 'LoginRequest',
    examples: [{ username: GUIDE_USER.email, password: GUIDE_USER.password }],
  });
export type LoginBody = z.infer<typeof LoginBodySchema>;

// An opaque refresh token as the auth service issues them (rotated on every use).
const REFRESH_TOKEN_EXAMPLE = 'q3Jm0bYg1u0tXb5hQ2yVZ8mJ7x1c9fK4s6dLwPeRtA0';

export const RefreshBodySchema = z
  .object({ refresh_token: z.string().min(1) })
  .register(apiSchemas, { id: 'RefreshRequest', examples: [{ refresh_token: REFRESH_TOKEN_EXAMPLE }] });

/** Optional body of logout: the refresh token to revoke with the session (the access token's). */
export const LogoutBodySchema = z
  .object({ refresh_token: z.string().min(1).optional() })
  .register(apiSchemas, { id: 'LogoutRequest', examples: [{ refresh_token: REFRESH_TOKEN_EXAMPLE }] });

export const TokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('bearer'),
    refresh_token: z.string(),
    expires_in: z.number().int().describe('access token lifetime in seconds'),
  })
  .register(apiSchemas, {
    id: 'Token',
    examples: [
      {
        access_token: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9...',
        token_type: 'bearer',
        refresh_token: REFRESH_TOKEN_EXAMPLE,
        expires_in: 1800,
      },
    ],
  });
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

export const UserOutSchema = z
  .object({
    id: z.number().int(),
    email: z.string(),
    full_name: z.string().nullable().optional(),
    is_active: z.boolean(),
    is_superuser: z.boolean(),
    created_at: Timestamp,
  })
  .register(apiSchemas, {
    id: 'User',
    examples: [
      {
        id: 1,
        email: 'user@example.com',
        full_name: null,
        is_active: true,
        is_superuser: false,
        created_at: '2024-10-13T10:00:00',
      },
    ],
  });
export type UserOut = z.infer<typeof UserOutSchema>;

/** The claims the auth service signs and the gateway verifies. */
export const AccessClaimsSchema = z.object({
  sub: z.string(),
  email: z.string(),
  su: z.boolean(),
  jti: z.string(),
  sid: z.string().describe('session (refresh family) id, revoked on logout'),
  typ: z.literal('access'),
});
export type AccessClaims = z.infer<typeof AccessClaimsSchema>;

/** Fixed `iss` / `aud` of access tokens; the gateway verifies both. */
export const ACCESS_TOKEN_ISSUER = 'fillsched-auth';
export const ACCESS_TOKEN_AUDIENCE = 'fillsched';

/** Reply body of the auth `keys` RPC: the public keys the gateway verifies RS256 tokens with (by `kid`). */
export const SigningKeysResponseSchema = z.object({
  keys: z.array(z.object({ kid: z.string(), alg: z.literal('RS256'), public_key_pem: z.string() })),
});
export type SigningKeysResponse = z.infer<typeof SigningKeysResponseSchema>;

/** JSON Web Key Set of the access-token verification keys: the active one and, after a rotation, its predecessors. */
export const JwksSchema = z
  .object({
    keys: z.array(
      z.object({
        kty: z.literal('RSA'),
        use: z.literal('sig'),
        alg: z.literal('RS256'),
        kid: z.string().describe('the `kid` header of the tokens signed with this key'),
        n: z.string().describe('modulus, base64url'),
        e: z.string().describe('exponent, base64url'),
      }),
    ),
  })
  .register(apiSchemas, {
    id: 'JWKS',
    examples: [
      {
        keys: [
          {
            kty: 'RSA',
            use: 'sig',
            alg: 'RS256',
            kid: 'mU2x0VqJ9dKq3nQe',
            n: 'u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw',
            e: 'AQAB',
          },
        ],
      },
    ],
  });
export type Jwks = z.infer<typeof JwksSchema>;

/** Body of the auth `logout` RPC: the gateway passes the verified token's sid and jti (plus an optional refresh token). */
export const LogoutRpcBodySchema = z.object({
  sid: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'invalid session id'),
  jti: z.string().min(1).max(128),
  refresh_token: z.string().min(1).max(512).optional(),
});
export type LogoutRpcBody = z.infer<typeof LogoutRpcBodySchema>;

/** Key in REVOCATIONS_BUCKET of a revoked session; value JSON `{revoked_at: ISO, exp: epoch seconds}`. */
export const revokedSessionKey = (sid: string): string => `sid.${sid}`;
export const SessionRevocationSchema = z.object({ revoked_at: z.string(), exp: z.number().int() });
