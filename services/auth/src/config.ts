import { baseEnvSchema, ConfigError, loadConfig } from '@fillsched/service-kit';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { signingKeyFromPem } from './crypto';
import { parseKek } from './key-encryption';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottleOptions } from './login-throttle';

/** One or more PEM blocks (public or private RSA keys): the previous keys, still published. */
const pemList = z
  .string()
  .transform((s) => s.replace(/\\n/g, '\n').match(/-----BEGIN [^-]+-----[\s\S]+?-----END [^-]+-----/g) ?? [])
  .refine((pems) => pems.length > 0, { message: 'must hold one or more PEM keys' })
  .refine(
    (pems) =>
      pems.every((p) => {
        try {
          return createPublicKey(p).asymmetricKeyType === 'rsa';
        } catch {
          return false;
        }
      }),
    { message: 'every PEM block must be an RSA public or private key' },
  );
const kek = z.string().transform((s, ctx) => {
  try {
    return parseKek(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

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
    // The signing key from a secret (env or a mounted file: AUTH_PRIVATE_KEY_PEM_FILE)…
    AUTH_PRIVATE_KEY_PEM: pem.optional(),
    // …its predecessors after a rotation, published (keys RPC, JWKS) until their tokens expired…
    AUTH_PREVIOUS_KEYS_PEM: pemList.optional(),
    // …or a key generated once and stored in MongoDB sealed with AES-256-GCM under this KEK.
    AUTH_KEY_ENCRYPTION_KEY: kek.optional(),
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
    if (env.MONGO_URL && !env.AUTH_PRIVATE_KEY_PEM && !env.AUTH_KEY_ENCRYPTION_KEY)
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_KEY_ENCRYPTION_KEY'],
        message:
          'the signing key would be stored in MongoDB in plain text: set AUTH_PRIVATE_KEY_PEM (or _FILE) ' +
          'or AUTH_KEY_ENCRYPTION_KEY (or _FILE; 32 random bytes, e.g. openssl rand -base64 32)',
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

/** Secrets that may also come from a file (`<NAME>_FILE`, e.g. a mounted Kubernetes Secret). */
export const FILE_SECRETS = [
  'AUTH_PRIVATE_KEY_PEM',
  'AUTH_PREVIOUS_KEYS_PEM',
  'AUTH_KEY_ENCRYPTION_KEY',
] as const;

/** `<NAME>_FILE` → `<NAME>` (the file's content); both set, or an unreadable file, is a ConfigError. */
export function resolveFileSecrets(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const out = { ...env };
  const problems: Array<{ variable: string; problem: string }> = [];
  for (const name of FILE_SECRETS) {
    const file = env[`${name}_FILE`];
    if (!file) continue;
    if (env[name]) {
      problems.push({
        variable: `${name}_FILE`,
        problem: `${name}_FILE: set either ${name} or ${name}_FILE, not both`,
      });
      continue;
    }
    try {
      out[name] = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({
        variable: `${name}_FILE`,
        problem: `${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      });
    }
  }
  if (problems.length)
    throw new ConfigError(`Invalid configuration: ${problems.map((p) => p.problem).join('; ')}`, problems);
  return out;
}

export const loadAuthConfig = (env: Record<string, string | undefined> = process.env): AuthEnv =>
  loadConfig(authEnvSchema, resolveFileSecrets(env));
