import { z } from 'zod';
import { Timestamp } from './common';

export const RegisterBodySchema = z.object({
  email: z.email(),
  password: z.string().min(8, 'Password must be at least 8 characters').max(128),
  full_name: z.string().max(200).optional(),
});
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
  .transform((b) => ({ username: (b.username ?? b.email) as string, password: b.password }));
export type LoginBody = z.infer<typeof LoginBodySchema>;

export const RefreshBodySchema = z.object({ refresh_token: z.string().min(1) });

export const TokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  refresh_token: z.string(),
  expires_in: z.number().int().describe('access token lifetime in seconds'),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

export const UserOutSchema = z.object({
  id: z.number().int(),
  email: z.string(),
  full_name: z.string().nullable().optional(),
  is_active: z.boolean(),
  is_superuser: z.boolean(),
  created_at: Timestamp,
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
