import { headers as natsHeaders, type Msg, type Subscription } from '@nats-io/transport-node';
import { tryDecodeJson, encodeJson } from './codec';
import { CORRELATION_HEADER, correlationIdFrom, withCorrelation, type Logger } from './logging';
import { rpcServerDuration, rpcServerRequests } from './metrics';
import type { NatsHandle } from './nats';
import type { RpcReply, RpcRequest } from './rpc';
import { inSpan, SpanKind, SpanStatusCode, traceContextFrom } from './tracing';
import { failureReply, INTERNAL_ERROR_REPLY } from './unavailable';

export interface RpcContext {
  correlationId: string;
  msg: Msg;
  subject: string;
}

export type RpcHandler = (req: RpcRequest, ctx: RpcContext) => Promise<RpcReply>;

export interface ServeRequestsOptions {
  subject: string;
  /** Queue group: each request goes to one replica. Defaults to the subject. */
  queue?: string;
  handler: RpcHandler;
}

export interface Responder {
  subject: string;
  sub: Subscription;
  inFlight(): number;
  /** Stops taking new requests and waits for the running handlers to reply. */
  stop(): Promise<void>;
}

function outcomeOf(status: number): string {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}

/**
 * Request/reply responder in a queue group. Every request is answered, also when the payload
 * is not JSON (400) or the handler throws (500; 503 when NATS itself did not answer), so a
 * requester never waits for its timeout;
 * nothing here can crash the process.
 */
export function serveRequests(handle: NatsHandle, logger: Logger, opts: ServeRequestsOptions): Responder {
  const { subject, handler } = opts;
  const queue = opts.queue ?? subject;
  const running = new Set<Promise<void>>();

  const respond = (msg: Msg, reply: RpcReply, correlationId: string) => {
    if (!msg.reply) return; // fire-and-forget publish: nobody to answer
    const h = natsHeaders();
    h.set(CORRELATION_HEADER, correlationId);
    try {
      msg.respond(encodeJson(reply), { headers: h });
    } catch (err) {
      // e.g. connection closed between request and reply; the requester will time out.
      logger.warn({ err, subject }, 'could not send reply');
    }
  };

  const handleMsg = async (msg: Msg): Promise<void> => {
    const correlationId = correlationIdFrom(msg.headers?.get(CORRELATION_HEADER));
    const parent = traceContextFrom(msg.headers);
    const spanOpts = {
      kind: SpanKind.SERVER,
      parent,
      attributes: { 'messaging.destination.name': msg.subject },
    };
    await withCorrelation(correlationId, () =>
      inSpan(`rpc ${subject}`, spanOpts, async (span) => {
        const start = performance.now();
        let outcome = 'error';
        try {
          const decoded = tryDecodeJson<RpcRequest>(msg.data);
          let reply: RpcReply;
          const v = decoded.ok ? decoded.value : undefined;
          // The envelope must be an object (or empty); anything else is a caller bug, not a 500.
          if (!decoded.ok || (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v)))) {
            reply = { status: 400, body: { detail: 'Invalid request payload' } };
          } else {
            try {
              reply = await handler(decoded.value ?? {}, { correlationId, msg, subject: msg.subject });
              if (!reply || typeof reply.status !== 'number') throw new Error('handler returned no reply');
            } catch (err) {
              logger.error({ err, subject: msg.subject }, 'request handler failed');
              reply = failureReply(err);
            }
          }
          outcome = outcomeOf(reply.status);
          span.setAttribute('rpc.status', reply.status);
          if (reply.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          respond(msg, reply, correlationId);
          logger.debug({ subject: msg.subject, status: reply.status }, 'request handled');
        } catch (err) {
          logger.error({ err, subject: msg.subject }, 'request processing failed');
          // past the handler (decoding, replying): ours, whatever NATS said
          respond(msg, INTERNAL_ERROR_REPLY, correlationId);
        } finally {
          rpcServerRequests.inc({ subject, outcome });
          rpcServerDuration.observe({ subject }, (performance.now() - start) / 1000);
        }
      }),
    );
  };

  const sub = handle.nc.subscribe(subject, {
    queue,
    callback: (err, msg) => {
      if (err) {
        logger.error({ err, subject }, 'subscription error');
        return;
      }
      const p = handleMsg(msg).catch((e) => logger.error({ err: e, subject }, 'responder failure'));
      running.add(p);
      void p.finally(() => running.delete(p));
    },
  });
  logger.info({ subject, queue }, 'serving requests');

  return {
    subject,
    sub,
    inFlight: () => running.size,
    async stop() {
      if (!sub.isClosed()) {
        try {
          await sub.drain();
        } catch {
          sub.unsubscribe();
        }
      }
      await Promise.allSettled([...running]);
    },
  };
}
