import { RPC } from '@fillsched/contracts';
import { serveRequests, type Logger, type NatsHandle, type Responder } from '@fillsched/service-kit';
import type { AuthApp, AuthOp } from './app';

export const AUTH_QUEUE = 'auth';

/** One queue-group responder per RPC.auth subject; any replica answers any request. */
export function startAuthResponders(handle: NatsHandle, logger: Logger, app: AuthApp): Responder[] {
  return (Object.keys(RPC.auth) as AuthOp[]).map((op) =>
    serveRequests(handle, logger, {
      subject: RPC.auth[op],
      queue: AUTH_QUEUE,
      handler: (req) => app.handlers[op](req),
    }),
  );
}
