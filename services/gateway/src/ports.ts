import type { CompletedReplyCache } from './reply-cache';
import type { Logger, RpcReply, RpcRequest } from '@fillsched/service-kit';
import type { ServiceName } from '@fillsched/contracts';
import type { WsLimits } from './ws/guard';
import type { ChannelHistory } from './ws/history';

/**
 * Sends one request to a downstream service. Production: the kit's breaker-wrapped NATS clients;
 * tests: fakes. Throws the kit's ServiceTimeoutError (504) / ServiceUnavailableError (503).
 */
export interface ServiceCaller {
  call(service: ServiceName, subject: string, request: RpcRequest): Promise<RpcReply>;
  /** The largest encoded request the transport carries (NATS max_payload less headers); none = unknown. */
  maxRequestBytes?(): number | undefined;
}

/** Public keys of the token issuer, by `kid`. */
export interface TokenVerifier {
  /** PEM of the key with this kid (or the only key when kid is absent); null when unknown after a refetch. */
  publicKey(kid: string | undefined): Promise<string | null>;
  /** True once at least one key is known; the gateway is not ready before. */
  ready(): boolean;
}

/** Revoked sessions / token ids, kept in memory from a KV watch: no network call per request. */
export interface RevocationChecker {
  isRevoked(claims: { sid: string; jti: string }): boolean;
  /** Records a revocation this replica just caused (logout), before the KV watch echoes it. */
  revoke(key: string): void;
  ready(): boolean;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** End of the current window, epoch seconds. */
  resetEpochS: number;
  /** Seconds until the window resets (for Retry-After). */
  retryAfterS: number;
}

export interface RateLimiter {
  hit(key: string): Promise<RateDecision>;
  /** Flushes unsent counts and stops timers. */
  close(): Promise<void>;
}

export type Unsubscribe = () => void;

/** Progress and lifecycle messages of running jobs. */
export interface EventSource {
  /** Core (non-durable) subscription; `subject` may contain wildcards. */
  subscribe(subject: string, onMessage: (subject: string, data: unknown) => void): Unsubscribe;
  /** The latest message stored in `stream` for exactly `subject`, or null. */
  lastMessage(stream: string, subject: string): Promise<unknown | null>;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface ReadinessCheck {
  name: string;
  check(): boolean | Promise<boolean>;
}

export interface GatewayOptions {
  /** Server ping interval of WebSocket connections (dead peers are terminated one interval later). */
  wsHeartbeatMs: number;
  /** Time allowed for the first `{"type":"auth"}` message when no token came with the handshake. */
  wsAuthTimeoutMs: number;
  /** Express `trust proxy` (affects the client IP used as the anonymous rate-limit key). */
  trustProxy: boolean | number | string;
  /** Origins allowed to call the API from browsers (exact match); empty = no cross-origin access. */
  corsOrigins: string[];
  /** The built console (packages/console/dist unless set), served at /console/. */
  consoleDir?: string;
  /** Protection limits of every WebSocket (ws/guard.ts, docs/websocket.md). */
  wsLimits: WsLimits;
}

export interface GatewayPorts {
  /** Checks only /health runs beside `readiness` (the store-backed services' readiness). */
  healthChecks?: ReadinessCheck[];
  services: ServiceCaller;
  tokenVerifier: TokenVerifier;
  revocations: RevocationChecker;
  rateLimiter: RateLimiter;
  eventSource: EventSource;
  clock?: Clock;
  logger: Logger;
  /** Extra readiness checks (NATS connection...) for GET /readyz on the API port. */
  readiness?: ReadinessCheck[];
  options?: Partial<GatewayOptions>;
  /** Channel history of the multiplexed `/api/v1/ws` (absent: that endpoint answers 503). */
  wsHistory?: ChannelHistory;
  /** Completed schedules' GET replies per user (reply-cache.ts; absent: no caching). */
  replyCache?: CompletedReplyCache;
}

export type { RpcReply, RpcRequest };
