// Extra gateway replicas for system tests: the built gateway as its own process on the platform's
// NATS, with its own env (limits), stopped and restarted like a real replica.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const { freePort, stopChild, waitFor } = require('../../scripts/platform');

export interface GatewayProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startGateway(
  natsUrl: string,
  opts: {
    port?: number;
    env?: Record<string, string>;
    name?: string;
    /** The gateway's NATS user on a platform whose NATS requires one (platform.natsUsers.gateway). */
    natsUser?: { user: string; pass: string } | null;
  } = {},
): Promise<GatewayProcess> {
  const port: number = opts.port ?? (await freePort());
  const main = path.join(__dirname, '..', '..', 'services', 'gateway', 'dist', 'main.js');
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      NATS_URL: natsUrl,
      ...(opts.natsUser
        ? { NATS_USER: opts.natsUser.user, NATS_PASSWORD: opts.natsUser.pass, NATS_CREDS: '' }
        : {}),
      PORT: String(port),
      OPS_PORT: '0',
      SERVICE_INSTANCE: opts.name ?? `gateway-${port}`,
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`gateway on ${port} exited during start`);
      try {
        return (await fetch(`${url}/readyz`)).status === 200;
      } catch {
        return false;
      }
    },
    60_000,
    `gateway ${port} /readyz`,
  );
  return { url, port, child, stop: () => stopChild(child, `gateway ${port}`) };
}
