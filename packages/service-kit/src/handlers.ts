import type { Logger } from './logging';
import type { NatsHandle } from './nats';
import { serveRequests, type Responder, type RpcHandler } from './responder';

/**
 * Every operation of a service mapped to its handler. Typed by the service's subject table (e.g.
 * `RpcHandlers<keyof typeof RPC.config>`), so an operation without a handler is a compile error
 * instead of a 503 ("no responders") at run time.
 */
export type RpcHandlers<Op extends string> = Record<Op, RpcHandler>;

/**
 * The one way a service registers its RPC handlers: one queue-group responder per operation of
 * `subjects` (`RPC.<service>`), each answering with `handlers[op]`. Resolves once the
 * subscriptions have reached the server, so nothing answers "no responders" right after a
 * service says it is ready.
 */
export async function serveHandlers<Op extends string>(
  handle: NatsHandle,
  logger: Logger,
  opts: { subjects: Readonly<Record<Op, string>>; queue: string; handlers: RpcHandlers<Op> },
): Promise<Responder[]> {
  const responders = (Object.keys(opts.subjects) as Op[]).map((op) =>
    serveRequests(handle, logger, {
      subject: opts.subjects[op],
      queue: opts.queue,
      handler: opts.handlers[op],
    }),
  );
  await handle.nc.flush();
  return responders;
}
