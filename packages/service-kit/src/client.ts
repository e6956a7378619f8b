import { errors as natsErrors, headers as natsHeaders } from '@nats-io/transport-node';
import CircuitBreaker from 'opossum';
import { decodeJson, encodeJson } from './codec';
import { CORRELATION_HEADER, currentCorrelationId, newCorrelationId } from './logging';
import { breakerStateGauge, rpcClientDuration, rpcClientRequests } from './metrics';
import type { NatsHandle } from './nats';
import { inSpan, injectTraceContext, SpanKind, SpanStatusCode } from './tracing';
import {
  RequestTooLargeError,
  ServiceTimeoutError,
  ServiceUnavailableError,
  type RpcReply,
  type RpcRequest,
} from './rpc';

export type BreakerOptions = CircuitBreaker.Options<[string, RpcRequest, number, string]>;

export interface ServiceClientOptions {
  /** NATS request timeout per call; default 5000 ms. */
  timeoutMs?: number;
  /** opossum options; `timeout` defaults to false because the NATS request has its own. */
  breaker?: BreakerOptions;
}

export interface ServiceClient {
  service: string;
  request(subject: string, payload: RpcRequest, opts?: { timeoutMs?: number }): Promise<RpcReply>;
  breaker: CircuitBreaker<[string, RpcRequest, number, string], RpcReply>;
  /** Stops the breaker's statistics timers. */
  close(): void;
}

/** Carries a 5xx reply through the breaker so it counts as a failure, then is returned as-is. */
class ServerErrorReply extends Error {
  constructor(readonly reply: RpcReply) {
    super(`service replied ${reply.status}`);
  }
}

/** Transport-level "not connected": fail fast, but do not count against the service's breaker. */
class DisconnectedError extends Error {}

/** A reply that is not an RpcReply: the service is broken, which counts like a 5xx. */
class MalformedReplyError extends Error {}

/** Bytes kept free below max_payload for the NATS headers (correlation id, trace context). */
export const HEADER_ALLOWANCE_BYTES = 4096;

/** The largest request payload this connection can send (server max_payload minus headers). */
export function maxRequestBytes(handle: NatsHandle): number {
  return (handle.nc.info?.max_payload ?? 1024 * 1024) - HEADER_ALLOWANCE_BYTES;
}

/**
 * Only server faults count toward a breaker: a timeout, no responders, a 5xx reply or a malformed
 * one. A request the client got wrong (too large to send, not encodable) or a transport that is
 * down locally says nothing about the service's health; counting those let one user's bad
 * requests open the circuit for everyone (issue 12, breaker poisoning).
 */
export function isServerFault(err: unknown): boolean {
  return (
    err instanceof ServerErrorReply ||
    err instanceof MalformedReplyError ||
    isTimeout(err) ||
    isNoResponders(err)
  );
}

function isTimeout(err: unknown): boolean {
  if (err instanceof natsErrors.TimeoutError) return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof natsErrors.TimeoutError) return true;
  return (err as { code?: unknown } | null)?.code === 'ETIMEDOUT';
}

function isNoResponders(err: unknown): boolean {
  if (err instanceof natsErrors.NoRespondersError) return true;
  if (err instanceof natsErrors.RequestError && err.isNoResponders()) return true;
  return (err as { cause?: unknown } | null)?.cause instanceof natsErrors.NoRespondersError;
}

const STATE_VALUE = { closed: 0, halfOpen: 1, open: 2 } as const;

/**
 * Client for one downstream service. Every request goes through an opossum breaker; failures
 * come back as ServiceTimeoutError (504) or ServiceUnavailableError (503); replies with 4xx
 * are normal answers, 5xx replies are returned too but count as breaker failures.
 */
export function createServiceClient(
  handle: NatsHandle,
  service: string,
  opts: ServiceClientOptions = {},
): ServiceClient {
  const defaultTimeout = opts.timeoutMs ?? 5000;

  const action = async (
    subject: string,
    payload: RpcRequest,
    timeoutMs: number,
    correlationId: string,
  ): Promise<RpcReply> => {
    if (handle.nc.isClosed()) throw new DisconnectedError('closed');
    // While disconnected, nats.js would buffer the request and we would only learn at the
    // timeout; answer 503 immediately instead.
    if (!handle.isConnected()) throw new DisconnectedError('disconnected');
    const data = encodeJson(payload);
    const limit = maxRequestBytes(handle);
    if (data.byteLength > limit) throw new RequestTooLargeError(service, data.byteLength, limit);
    const h = natsHeaders();
    h.set(CORRELATION_HEADER, correlationId);
    injectTraceContext(h); // the `rpc <subject>` client span started in request()
    // A request in flight when the connection drops would otherwise wait for its timeout.
    let off: () => void = () => undefined;
    const dropped = new Promise<never>((_, reject) => {
      off = handle.onDisconnect(() => reject(new DisconnectedError('disconnected')));
    });
    const sent = handle.nc.request(subject, data, { timeout: timeoutMs, headers: h });
    sent.catch(() => undefined); // may lose the race; its later rejection is expected
    let msg;
    try {
      msg = await Promise.race([sent, dropped]);
    } finally {
      off();
    }
    const reply = decodeJson<RpcReply>(msg.data);
    if (!reply || typeof reply.status !== 'number')
      throw new MalformedReplyError(`malformed reply on ${subject}`);
    if (reply.status >= 500) throw new ServerErrorReply(reply);
    return reply;
  };

  const breaker = new CircuitBreaker(action, {
    timeout: false,
    resetTimeout: 10_000,
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    rollingCountTimeout: 10_000,
    name: service,
    ...opts.breaker,
    // true = not a failure of the service (opossum still rejects the call, but does not count it).
    errorFilter: (err: unknown) => !isServerFault(err) || !!opts.breaker?.errorFilter?.(err),
  }) as CircuitBreaker<[string, RpcRequest, number, string], RpcReply>;

  const setState = (s: keyof typeof STATE_VALUE) => breakerStateGauge.set({ service }, STATE_VALUE[s]);
  setState('closed');
  breaker.on('open', () => setState('open'));
  breaker.on('halfOpen', () => setState('halfOpen'));
  breaker.on('close', () => setState('closed'));

  return {
    service,
    breaker,
    close: () => breaker.shutdown(),
    request(subject, payload, reqOpts) {
      return inSpan(
        `rpc ${subject}`,
        { kind: SpanKind.CLIENT, attributes: { 'rpc.service': service } },
        (span) =>
          requestInSpan(subject, payload, reqOpts).then((reply) => {
            span.setAttribute('rpc.status', reply.status);
            if (reply.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
            return reply;
          }),
      );
    },
  };

  async function requestInSpan(
    subject: string,
    payload: RpcRequest,
    reqOpts: { timeoutMs?: number } | undefined,
  ): Promise<RpcReply> {
    const start = performance.now();
    let outcome = 'error';
    try {
      const reply = await breaker.fire(
        subject,
        payload,
        reqOpts?.timeoutMs ?? defaultTimeout,
        currentCorrelationId() ?? newCorrelationId(),
      );
      outcome = String(reply.status);
      return reply;
    } catch (err) {
      if (err instanceof ServerErrorReply) {
        outcome = String(err.reply.status);
        return err.reply;
      }
      if (err instanceof RequestTooLargeError) {
        outcome = 'too_large';
        throw err;
      }
      const mapped = mapError(service, err);
      outcome = mapped instanceof ServiceTimeoutError ? 'timeout' : mapped.reason;
      throw mapped;
    } finally {
      rpcClientRequests.inc({ service, outcome: outcome.replace(/^(\d)\d\d$/, '$1xx') });
      rpcClientDuration.observe({ service }, (performance.now() - start) / 1000);
    }
  }
}

function mapError(service: string, err: unknown): ServiceTimeoutError | ServiceUnavailableError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EOPENBREAKER' || code === 'ESEMLOCKED' || code === 'ESHUTDOWN')
    return new ServiceUnavailableError(service, 'circuit_open', { cause: err });
  if (err instanceof DisconnectedError)
    return new ServiceUnavailableError(service, err.message === 'closed' ? 'closed' : 'disconnected', {
      cause: err,
    });
  if (isNoResponders(err)) return new ServiceUnavailableError(service, 'no_responders', { cause: err });
  if (isTimeout(err)) return new ServiceTimeoutError(service, { cause: err });
  if (err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError)
    return new ServiceUnavailableError(service, 'closed', { cause: err });
  return new ServiceUnavailableError(service, 'error', { cause: err });
}
