import { baseEnvSchema, loadConfig } from '@fillsched/service-kit';
import { z } from 'zod';
import { signingKeyFromPem } from './crypto';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottleOptions } from './login-throttle';

/** PEMs passed through env files often carry literal "\n"; accept both forms. */
const pem = z
  .string()
  .transform((s) => s.replace(/\\n/g, '\n'))
  .refine(
    (s) => {
      try {
        signingKeyFromPem(s, new Date());
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a PEM RSA private key (PKCS#1 or PKCS#8) of at least 2048 bits' },
  );

export const authEnvSchema = baseEnvSchema
  .extend({
    ACCESS_TOKEN_EXPIRE_MINUTES: z.coerce.number().positive().max(1440).default(30),
    REFRESH_TOKEN_EXPIRE_DAYS: z.coerce.number().positive().max(365).default(7),
    AUTH_PRIVATE_KEY_PEM: pem.optional(),
    AUTH_BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
    AUTH_BOOTSTRAP_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').max(128).optional(),
    // Failed-login throttling per account (login-throttle.ts; docs/security.md).
    AUTH_LOGIN_MAX_FAILURES: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(DEFAULT_LOGIN_THROTTLE.maxFailures),
    AUTH_LOGIN_FAILURE_WINDOW_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(DEFAULT_LOGIN_THROTTLE.windowSeconds),
    AUTH_LOGIN_LOCK_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(DEFAULT_LOGIN_THROTTLE.lockSeconds),
    AUTH_LOGIN_BACKOFF_AFTER: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(DEFAULT_LOGIN_THROTTLE.backoffAfter),
    AUTH_LOGIN_BACKOFF_MAX_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(DEFAULT_LOGIN_THROTTLE.backoffMaxSeconds),
  })
  .superRefine((env, ctx) => {
    const email = env.AUTH_BOOTSTRAP_ADMIN_EMAIL !== undefined;
    const password = env.AUTH_BOOTSTRAP_ADMIN_PASSWORD !== undefined;
    if (email && !password)
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_BOOTSTRAP_ADMIN_PASSWORD'],
        message: 'must be set together with AUTH_BOOTSTRAP_ADMIN_EMAIL',
      });
    if (password && !email)
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_BOOTSTRAP_ADMIN_EMAIL'],
        message: 'must be set together with AUTH_BOOTSTRAP_ADMIN_PASSWORD',
      });
  });
export type AuthEnv = z.infer<typeof authEnvSchema>;

export const loginThrottleOptions = (env: AuthEnv): LoginThrottleOptions => ({
  maxFailures: env.AUTH_LOGIN_MAX_FAILURES,
  windowSeconds: env.AUTH_LOGIN_FAILURE_WINDOW_SECONDS,
  lockSeconds: env.AUTH_LOGIN_LOCK_SECONDS,
  backoffAfter: env.AUTH_LOGIN_BACKOFF_AFTER,
  backoffMaxSeconds: env.AUTH_LOGIN_BACKOFF_MAX_SECONDS,
});

export const loadAuthConfig = (env: Record<string, string | undefined> = process.env): AuthEnv =>
  loadConfig(authEnvSchema, env);
