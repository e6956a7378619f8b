/** Transport-level RPC shapes shared by the gateway (client) and services (responders). */
export interface RpcUser {
  id: number;
  email: string;
  is_superuser: boolean;
}

export interface RpcRequest {
  user?: RpcUser | null;
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
}

export interface RpcReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Base of the typed transport errors; the gateway answers `status` with `{ detail }`. */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly detail: string,
    readonly service: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ServiceError';
  }
}

/** The service did not answer within the request timeout → 504. */
export class ServiceTimeoutError extends ServiceError {
  constructor(service: string, options?: { cause?: unknown }) {
    super(`Service timeout: ${service}`, 504, `Service timeout: ${service}`, service, 'timeout', options);
    this.name = 'ServiceTimeoutError';
  }
}

export type UnavailableReason = 'no_responders' | 'circuit_open' | 'disconnected' | 'closed' | 'error';

/** Open circuit, no responders, NATS disconnected or closed → 503. */
export class ServiceUnavailableError extends ServiceError {
  constructor(service: string, reason: UnavailableReason, options?: { cause?: unknown }) {
    super(
      `Service unavailable: ${service} (${reason})`,
      503,
      `Service unavailable: ${service}`,
      service,
      reason,
      options,
    );
    this.name = 'ServiceUnavailableError';
  }
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof ServiceError;
}

/**
 * The request does not fit in one NATS message (the server's max_payload) once encoded → 413.
 * Raised before anything is sent; a client fault, so it never counts toward a breaker.
 */
export class RequestTooLargeError extends ServiceError {
  constructor(
    service: string,
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    const detail = `Request too large to forward: ${bytes} bytes once encoded, the limit is ${limitBytes} bytes`;
    super(detail, 413, detail, service, 'too_large');
    this.name = 'RequestTooLargeError';
  }
}
