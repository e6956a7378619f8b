import { natsInboxPrefix } from '@fillsched/contracts';
import { credsAuthenticator, type Authenticator } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config';

/** How a service authenticates to NATS and where its replies arrive (connectNats `auth`). */
export interface NatsAuth {
  user?: string;
  pass?: string;
  authenticator?: Authenticator;
  /** Reply subjects `<inboxPrefix>.<nuid>`: the inbox this service's NATS user may subscribe to. */
  inboxPrefix: string;
}

type NatsAuthEnv = {
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_CREDS?: string;
  NATS_INBOX_PREFIX?: string;
};

/**
 * The NATS credentials of `service` from its validated env: NATS_USER with NATS_PASSWORD, or
 * NATS_CREDS (a .creds file), or none (a server without authorization: local tests). Throws a
 * ConfigError naming the variables when they do not fit together or the file cannot be read.
 */
export function natsAuth(env: NatsAuthEnv, service: string): NatsAuth {
  const problems: Array<{ variable: string; problem: string }> = [];
  const inboxPrefix = env.NATS_INBOX_PREFIX ?? natsInboxPrefix(service);
  if (env.NATS_CREDS && (env.NATS_USER || env.NATS_PASSWORD))
    problems.push({
      variable: 'NATS_CREDS',
      problem: 'NATS_CREDS: set either NATS_CREDS or NATS_USER with NATS_PASSWORD, not both',
    });
  else if (Boolean(env.NATS_USER) !== Boolean(env.NATS_PASSWORD)) {
    const missing = env.NATS_USER ? 'NATS_PASSWORD' : 'NATS_USER';
    problems.push({
      variable: missing,
      problem: `${missing} is required when the other of NATS_USER/NATS_PASSWORD is set`,
    });
  }
  let authenticator: Authenticator | undefined;
  if (!problems.length && env.NATS_CREDS) {
    try {
      authenticator = credsAuthenticator(new Uint8Array(readFileSync(env.NATS_CREDS)));
    } catch (err) {
      problems.push({
        variable: 'NATS_CREDS',
        problem: `NATS_CREDS: cannot read the creds file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      });
    }
  }
  if (problems.length)
    throw new ConfigError(`Invalid configuration: ${problems.map((p) => p.problem).join('; ')}`, problems);
  if (authenticator) return { authenticator, inboxPrefix };
  if (env.NATS_USER) return { user: env.NATS_USER, pass: env.NATS_PASSWORD, inboxPrefix };
  return { inboxPrefix };
}
