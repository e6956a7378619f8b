import { JetStreamApiError } from '@nats-io/jetstream';
import { errors as natsErrors } from '@nats-io/transport-node';
import type { RpcReply } from './rpc';

/** The 503 detail of a request that failed because NATS/JetStream did not answer. */
export const MESSAGING_UNAVAILABLE_DETAIL =
  'Service unavailable: messaging (NATS JetStream) is not answering; retry shortly';

/**
 * True when err (or an error in its cause chain) says NATS or JetStream could not answer right
 * now rather than refused the request: a timeout, no responders (a stream or KV bucket whose
 * leader is being elected looks like that on a cluster), "JetStream not enabled" (the same seen by
 * the JetStream client), a 503 from the JetStream API (meta leader election), a closed or
 * draining connection. Callers retry these, or answer 503 instead of 500.
 */
export function isMessagingUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof JetStreamApiError) return e.status === 503;
    if (
      e instanceof natsErrors.TimeoutError ||
      e instanceof natsErrors.NoRespondersError ||
      e instanceof natsErrors.ClosedConnectionError ||
      e instanceof natsErrors.DrainingConnectionError ||
      (e instanceof natsErrors.RequestError && e.isNoResponders()) ||
      (e as Error).name === 'JetStreamNotEnabled'
    )
      return true;
  }
  return false;
}

/** The 503 detail of a request that failed because the service's database is not answering. */
export const STORE_UNAVAILABLE_DETAIL = 'Service unavailable: the database is not answering; retry shortly';
/** Seconds a client is told to wait (Retry-After) after a store or messaging outage reply. */
export const UNAVAILABLE_RETRY_AFTER_S = 2;

/** Driver errors that mean "the store cannot be reached now", not "the request was wrong". */
const STORE_DOWN_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
]);

/**
 * True when an error is one of STORE_DOWN_ERRORS or a subclass of one. The driver's subclasses
 * name themselves (a request in flight when the server dies fails with `PoolClearedOnNetworkError`,
 * a MongoNetworkError), and mongoose carries its own copy of the driver, so neither `name` alone
 * nor `instanceof` will do: the class names along the prototype chain do.
 */
function isStoreDownError(e: object): boolean {
  const { name } = e as { name?: unknown };
  if (typeof name === 'string' && STORE_DOWN_ERRORS.has(name)) return true;
  for (let p = Object.getPrototypeOf(e); p && p !== Error.prototype; p = Object.getPrototypeOf(p))
    if (STORE_DOWN_ERRORS.has((p as { constructor?: { name?: string } }).constructor?.name ?? ''))
      return true;
  return false;
}

/**
 * True when err (or its cause chain) says MongoDB could not be reached: no server selectable
 * within the selection timeout, a network error, a cleared pool, a closed client; also mongoose's
 * refusal to run a command while disconnected.
 */
export function isStoreUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { message } = e as { message?: unknown };
    if (typeof e === 'object' && isStoreDownError(e)) return true;
    if (
      typeof message === 'string' &&
      /before initial connection is complete|Client must be connected/.test(message)
    )
      return true;
  }
  return false;
}

/**
 * The reply to a request whose handler threw: the store (MongoDB) or NATS/JetStream not answering (e.g. a cluster electing
 * a leader) is not a bug of ours, so callers get a fast 503 they may retry; anything else is a 500.
 * Every responder, and every service that catches its own handlers' errors, answers through this.
 */
export function failureReply(err: unknown): RpcReply {
  const retryAfter = { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S) };
  if (isStoreUnavailable(err))
    return { status: 503, body: { detail: STORE_UNAVAILABLE_DETAIL }, headers: retryAfter };
  return isMessagingUnavailable(err)
    ? { status: 503, body: { detail: MESSAGING_UNAVAILABLE_DETAIL }, headers: retryAfter }
    : INTERNAL_ERROR_REPLY;
}

export const INTERNAL_ERROR_REPLY: RpcReply = { status: 500, body: { detail: 'Internal server error' } };
