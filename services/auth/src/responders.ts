import { RPC } from '@fillsched/contracts';
import { serveHandlers, type Logger, type NatsHandle, type Responder } from '@fillsched/service-kit';
import type { AuthApp } from './app';

export const AUTH_QUEUE = 'auth';

/** One queue-group responder per RPC.auth subject; any replica answers any request. */
export function startAuthResponders(handle: NatsHandle, logger: Logger, app: AuthApp): Promise<Responder[]> {
  return serveHandlers(handle, logger, { subjects: RPC.auth, queue: AUTH_QUEUE, handlers: app.handlers });
}
