import { baseEnvSchema, loadConfig } from '@fillsched/service-kit';
import { z } from 'zod';
import { signingKeyFromPem } from './crypto';

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

export const loadAuthConfig = (env: Record<string, string | undefined> = process.env): AuthEnv =>
  loadConfig(authEnvSchema, env);
