import { z } from 'zod';
import { parseNatsServers } from './nats-servers';

/** Thrown by loadConfig; the message names every bad or missing variable and what is allowed. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: Array<{ variable: string; problem: string }>,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables every service reads; services extend it with `baseEnvSchema.extend({...})`. */
export const baseEnvSchema = z.object({
  // One URL or a comma-separated list (the members of a cluster): `nats://a:4222,nats://b:4222`.
  NATS_URL: z
    .string()
    .min(1)
    .default('nats://127.0.0.1:4222')
    .refine((v) => parseNatsServers(v).length > 0, 'needs at least one server URL'),
  // Replicas of every stream and KV bucket this service provisions: 1 on a single server, 3 (or 5)
  // on a cluster, where a stream then survives the loss of a minority of its nodes.
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  // 0 = ephemeral port (tests, several replicas on one host); deployments set a fixed one.
  OPS_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  MONGO_URL: z.string().min(1).optional(),
  SERVICE_INSTANCE: z.string().min(1).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10000),
  // NATS credentials of this service (docs/security.md): a user and password from the server's
  // authorization block, or a .creds file (JWT + nkey seed) for operator-mode servers. Checked
  // together by natsAuth() (service-kit nats-auth.ts).
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  NATS_CREDS: z.string().min(1).optional(),
  // Reply subjects are `<prefix>.<nuid>`; default `_INBOX.<service>`, the inbox its NATS user may read.
  NATS_INBOX_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'dot-separated tokens without wildcards or spaces')
    .optional(),
});
export type BaseEnv = z.infer<typeof baseEnvSchema>;

function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const variable = issue.path.map(String).join('.') || '(root)';
  const raw = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
  if (raw === undefined && issue.path.length === 1) return `${variable} is required (${issue.message})`;
  // Echo the offending value unless it may be a credential.
  const shown =
    raw !== undefined && !/SECRET|PASSWORD|TOKEN|KEY|URL/i.test(variable)
      ? `=${JSON.stringify(raw.slice(0, 60))}`
      : '';
  return `${variable}${shown}: ${issue.message}`;
}

/**
 * NATS_STREAM_REPLICAS as provisioning reads it: stream and bucket creators sit deep in adapters,
 * so they read it here rather than having it threaded through every constructor. Services have
 * already validated it at start (it is in baseEnvSchema), so a bad value never gets this far.
 */
export function streamReplicas(env: Record<string, string | undefined> = process.env): number {
  return loadConfig(baseEnvSchema.pick({ NATS_STREAM_REPLICAS: true }), env).NATS_STREAM_REPLICAS;
}

/**
 * Parses the environment with a zod schema. Empty strings count as unset, because shells and
 * compose files often export `VAR=` meaning "no value".
 */
export function loadConfig<T extends z.ZodType>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): z.infer<T> {
  const cleaned: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    variable: issue.path.map(String).join('.') || '(root)',
    problem: describeIssue(issue, cleaned),
  }));
  throw new ConfigError(`Invalid configuration: ${problems.map((p) => p.problem).join('; ')}`, problems);
}

/**
 * For main.ts: runs fn (sync or async); a ConfigError (or any startup error) is printed to
 * stderr as one JSON log line and the process exits 1, so orchestrators show the reason.
 */
export function exitOnConfigError<R>(fn: () => R, service = process.env.SERVICE_NAME ?? 'service'): R {
  const fail = (err: unknown): never => {
    const isConfig = err instanceof ConfigError;
    const line = {
      level: 'fatal',
      time: new Date().toISOString(),
      service,
      pid: process.pid,
      msg: err instanceof Error ? err.message : String(err),
      ...(isConfig ? { problems: err.problems } : { err: { stack: (err as Error)?.stack } }),
    };
    process.stderr.write(JSON.stringify(line) + '\n');
    process.exit(1);
  };
  try {
    const out = fn();
    if (out instanceof Promise) return out.catch(fail) as R;
    return out;
  } catch (err) {
    return fail(err);
  }
}
