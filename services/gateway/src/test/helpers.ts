import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { RPC, type ServiceName } from '@fillsched/contracts';
import type { Logger, RpcReply, RpcRequest } from '@fillsched/service-kit';
import { fetchKeysVia } from '../adapters/nats';
import { RevocationSet } from '../adapters/revocations';
import { createGatewayApp, type GatewayApp } from '../app';
import { KeyStore } from '../auth/keys';
import type { CompletedReplyCache } from '../reply-cache';
import { JWT_AUDIENCE, JWT_ISSUER } from '../auth/tokens';
import type { EventSource, GatewayOptions, RateLimiter, ServiceCaller } from '../ports';
import { BatchingRateLimiter, MemoryCounterStore, type CounterStore } from '../ratelimit';
import type { WsHandle } from '../ws/server';

export const silentLogger = (): Logger => pino({ level: 'silent' }) as Logger;

export interface KeyPair {
  kid: string;
  privateKey: string;
  publicKey: string;
}
export function makeKeyPair(kid = `k-${randomUUID().slice(0, 8)}`): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { kid, privateKey, publicKey };
}

export interface TokenOptions {
  sub?: string;
  email?: string;
  su?: boolean;
  sid?: string;
  jti?: string;
  typ?: string;
  expiresInS?: number;
  issuer?: string;
  audience?: string;
  kid?: string | null;
  extra?: Record<string, unknown>;
}
export function signToken(key: KeyPair, o: TokenOptions = {}): string {
  const payload = {
    sub: o.sub ?? '7',
    email: o.email ?? 'user@example.com',
    su: o.su ?? false,
    sid: o.sid ?? `s${randomUUID().replace(/-/g, '')}`,
    jti: o.jti ?? randomUUID(),
    typ: o.typ ?? 'access',
    ...o.extra,
  };
  return jwt.sign(payload, key.privateKey, {
    algorithm: 'RS256',
    expiresIn: o.expiresInS ?? 1800,
    issuer: o.issuer ?? JWT_ISSUER,
    audience: o.audience ?? JWT_AUDIENCE,
    ...(o.kid === null ? {} : { keyid: o.kid ?? key.kid }),
  });
}

export interface RecordedCall {
  service: ServiceName;
  subject: string;
  request: RpcRequest;
}
type Handler = (req: RpcRequest, subject: string) => RpcReply | Promise<RpcReply>;

/** Fake downstream services: records every call; answers from per-subject handlers or echoes. */
export class FakeServices implements ServiceCaller {
  readonly calls: RecordedCall[] = [];
  readonly handlers = new Map<string, Handler>();
  keys: KeyPair[];

  constructor(keys: KeyPair[]) {
    this.keys = keys;
  }

  on(subject: string, handler: Handler): this {
    this.handlers.set(subject, handler);
    return this;
  }

  last(subject?: string): RecordedCall | undefined {
    const list = subject ? this.calls.filter((c) => c.subject === subject) : this.calls;
    return list[list.length - 1];
  }

  async call(service: ServiceName, subject: string, request: RpcRequest): Promise<RpcReply> {
    const copy = JSON.parse(JSON.stringify(request ?? {})) as RpcRequest;
    if (subject === RPC.auth.keys)
      return {
        status: 200,
        body: { keys: this.keys.map((k) => ({ kid: k.kid, alg: 'RS256', public_key_pem: k.publicKey })) },
      };
    this.calls.push({ service, subject, request: copy });
    const h = this.handlers.get(subject);
    if (h) return h(copy, subject);
    return { status: 200, body: { echo: subject } };
  }
}

const matches = (pattern: string, subject: string): boolean => {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
};

/** In-process event bus standing in for NATS (progress + lifecycle) with a last-message store. */
export class FakeEventSource implements EventSource {
  readonly subs = new Set<{ pattern: string; fn: (subject: string, data: unknown) => void }>();
  readonly stored = new Map<string, unknown>();

  subscribe(pattern: string, fn: (subject: string, data: unknown) => void): () => void {
    const entry = { pattern, fn };
    this.subs.add(entry);
    return () => this.subs.delete(entry);
  }

  publish(subject: string, data: unknown, opts: { stream?: string } = {}): void {
    if (opts.stream) this.stored.set(`${opts.stream}|${subject}`, data);
    for (const s of [...this.subs]) if (matches(s.pattern, subject)) s.fn(subject, data);
  }

  store(stream: string, subject: string, data: unknown): void {
    this.stored.set(`${stream}|${subject}`, data);
  }

  async lastMessage(stream: string, subject: string): Promise<unknown | null> {
    return this.stored.get(`${stream}|${subject}`) ?? null;
  }
}

export interface TestGateway {
  url: string;
  wsUrl: string;
  port: number;
  gateway: GatewayApp;
  services: FakeServices;
  events: FakeEventSource;
  revocations: RevocationSet;
  keyStore: KeyStore;
  rateLimiter: RateLimiter;
  ws: WsHandle;
  server: http.Server;
  close(): Promise<void>;
}

export async function startTestGateway(
  opts: {
    keys?: KeyPair[];
    services?: FakeServices;
    events?: EventSource & Partial<FakeEventSource>;
    rateLimit?: number;
    counterStore?: CounterStore;
    rateLimiter?: RateLimiter;
    options?: Partial<GatewayOptions>;
    logger?: Logger;
    replyCache?: CompletedReplyCache;
  } = {},
): Promise<TestGateway> {
  const services = opts.services ?? new FakeServices(opts.keys ?? [makeKeyPair()]);
  const logger = opts.logger ?? silentLogger();
  const keyStore = new KeyStore(fetchKeysVia(services), logger, { minRefetchIntervalMs: 0 });
  await keyStore.start();
  const revocations = new RevocationSet();
  revocations.markReady();
  const events = (opts.events ?? new FakeEventSource()) as FakeEventSource;
  const rateLimiter =
    opts.rateLimiter ??
    new BatchingRateLimiter(opts.counterStore ?? new MemoryCounterStore(), {
      limit: opts.rateLimit ?? 10_000,
      logger,
    });
  const gateway = createGatewayApp({
    services,
    tokenVerifier: keyStore,
    revocations,
    rateLimiter,
    eventSource: events,
    logger,
    options: { ...opts.options },
    replyCache: opts.replyCache,
  });
  const server = http.createServer(gateway.app);
  // As main.ts: idle keep-alive sockets outlive the clients' own idle timeout (undici: 4 s), so a
  // client never reuses a socket the server is closing (ECONNRESET after a long blocking test step).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const ws = gateway.attachWebSockets(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    gateway,
    services,
    events,
    revocations,
    keyStore,
    rateLimiter,
    ws,
    server,
    async close() {
      await ws.close();
      await rateLimiter.close();
      keyStore.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
