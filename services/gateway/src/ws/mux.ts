import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import {
  MESSAGES,
  RPC,
  WS_CLOSE,
  WsClientCommandSchema,
  parseChannel,
  wsHistorySubject,
  type StreamPosition,
  type WsErrorCode,
  type WsServerMessage,
} from '@fillsched/contracts';
import { isServiceError, type Logger } from '@fillsched/service-kit';
import type { Principal, TokenAuth } from '../auth/tokens';
import { wsConnections } from '../metrics';
import type { Clock, ServiceCaller } from '../ports';
import type { HistoryFeed } from './feed';
import { SocketGuard, UserSockets, closeAndStopReading, type WsLimits } from './guard';
import type { ChannelHistory, StoredPublication } from './history';

export interface MuxDeps {
  auth: TokenAuth;
  services: ServiceCaller;
  history: ChannelHistory;
  feed: HistoryFeed;
  users: UserSockets;
  limits: WsLimits;
  clock: Clock;
  logger: Logger;
  heartbeatMs: number;
  authTimeoutMs: number;
}

export interface MuxHandle {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  connectionCount(): number;
  close(): Promise<void>;
}

/** `Sec-WebSocket-Protocol: bearer, <token>`. */
export function tokenFromProtocols(req: IncomingMessage): string | undefined {
  const header = req.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return undefined;
  const parts = header.split(',').map((p) => p.trim());
  if (!parts.some((p) => p.toLowerCase() === 'bearer')) return undefined;
  return parts.find((p) => p.toLowerCase() !== 'bearer' && p.length > 0);
}

interface Subscription {
  subject: string;
  /** Offset of the last publication sent (or announced in `subscribed`). */
  offset: number;
  /** Live publications that arrived while the history was read. */
  pending: StoredPublication[] | null;
  stopListening: () => void;
}

/** Live publications held per subscription while its history is read. */
const MAX_PENDING = 1000;

/**
 * One multiplexed connection: authenticates (query, subprotocol or a first `auth` message), then
 * serves subscribe / unsubscribe / ping over the shared channel history.
 */
class MuxConnection {
  private readonly subs = new Map<string, Subscription>();
  private readonly guard: SocketGuard;
  private principal: Principal | null = null;
  alive = true;
  private releaseUser: (() => void) | null = null;

  constructor(
    readonly ws: WebSocket,
    private readonly deps: MuxDeps,
  ) {
    this.guard = new SocketGuard(ws, deps.limits);
  }

  send(msg: WsServerMessage): void {
    this.guard.send(JSON.stringify(msg));
  }

  abort(code: number, reason: string): void {
    this.guard.abort(code, reason);
  }

  async start(req: IncomingMessage, url: URL): Promise<void> {
    const early: RawData[] = [];
    let authResolve: ((token: string | null) => void) | null = null;
    this.ws.on('message', (data: RawData) => {
      if (!this.guard.inbound()) return;
      if (this.principal) return void this.onCommand(data);
      if (authResolve) {
        const r = authResolve;
        authResolve = null;
        try {
          const msg = JSON.parse(data.toString()) as { type?: unknown; token?: unknown };
          r(msg?.type === 'auth' && typeof msg.token === 'string' && msg.token ? msg.token : null);
        } catch {
          r(null);
        }
      } else if (early.length < 10) early.push(data);
    });
    this.ws.on('close', () => this.cleanup());

    let token = url.searchParams.get('token') || tokenFromProtocols(req) || null;
    if (!token) {
      token = await new Promise<string | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), this.deps.authTimeoutMs);
        authResolve = (t) => {
          clearTimeout(timer);
          resolve(t);
        };
        this.ws.once('close', () => authResolve?.(null));
      });
    }
    const principal = token ? await this.deps.auth.verify(token) : null;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (!principal) return this.abort(WS_CLOSE.badToken, MESSAGES.credentials);
    const release = this.deps.users.acquire(principal.user.id);
    if (!release) return this.abort(WS_CLOSE.tooManySockets, 'Too many sockets for this user');
    this.releaseUser = release;
    this.principal = principal;
    for (const data of early.splice(0)) await this.onCommand(data);
  }

  private cleanup(): void {
    for (const s of this.subs.values()) s.stopListening();
    this.subs.clear();
    this.releaseUser?.();
    this.releaseUser = null;
  }

  private error(code: WsErrorCode, message: string, channel?: string): void {
    this.send({ type: 'error', code, message, ...(channel ? { channel } : {}) });
  }

  private async onCommand(data: RawData): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return this.abort(WS_CLOSE.protocolViolation, 'Frames must be JSON commands');
    }
    const cmd = WsClientCommandSchema.safeParse(parsed);
    if (!cmd.success) {
      const type = (parsed as { type?: unknown } | null)?.type;
      // A known command with a bad field is answered; anything else breaks the protocol.
      if (type === 'subscribe' || type === 'unsubscribe') {
        const issue = cmd.error.issues[0];
        const channel = (parsed as { channel?: unknown }).channel;
        return this.error(
          'bad_request',
          `${issue?.path.join('.') || 'command'}: ${issue?.message ?? 'invalid'}`,
          typeof channel === 'string' ? channel.slice(0, 64) : undefined,
        );
      }
      return this.abort(WS_CLOSE.protocolViolation, 'Unknown command');
    }
    const c = cmd.data;
    switch (c.type) {
      case 'ping':
        return this.send({ type: 'pong', timestamp: this.deps.clock.now().toISOString() });
      case 'auth':
        return; // already authenticated
      case 'unsubscribe': {
        const s = this.subs.get(c.channel);
        if (!s) return this.error('not_subscribed', 'Not subscribed to this channel', c.channel);
        s.stopListening();
        this.subs.delete(c.channel);
        return this.send({ type: 'unsubscribed', channel: c.channel });
      }
      case 'subscribe':
        return this.subscribe(c.channel, c.since);
    }
  }

  /** Whether the caller may see the channel: the owner service answers as for GET. */
  private async authorize(channel: string): Promise<'ok' | 'not_found' | 'unavailable'> {
    const parsed = parseChannel(channel);
    if (!parsed) return 'not_found';
    if (parsed.kind === 'user') return 'ok';
    const service = parsed.kind === 'schedule' ? 'schedule' : 'comparison';
    try {
      const reply = await this.deps.services.call(
        service,
        parsed.kind === 'schedule' ? RPC.schedule.get : RPC.comparison.get,
        { user: this.principal!.user, params: { id: String(parsed.id) }, query: {} },
      );
      if (reply.status === 200) return 'ok';
      if (reply.status === 404 || reply.status === 403) return 'not_found';
      return 'unavailable';
    } catch (err) {
      if (isServiceError(err)) return 'unavailable';
      throw err;
    }
  }

  private async subscribe(channel: string, since: StreamPosition | undefined): Promise<void> {
    if (this.subs.has(channel)) return this.error('already_subscribed', 'Already subscribed', channel);
    if (this.subs.size >= this.deps.limits.subscriptionsPerSocket)
      return this.error(
        'too_many_subscriptions',
        `At most ${this.deps.limits.subscriptionsPerSocket} subscriptions per socket`,
        channel,
      );
    const subject = wsHistorySubject(channel, this.principal!.user.id);
    // Listen first and hold what arrives, so nothing between reading the history and going live is lost.
    const sub: Subscription = { subject, offset: 0, pending: [], stopListening: () => undefined };
    this.subs.set(channel, sub);
    sub.stopListening = this.deps.feed.listen(subject, (pub) => {
      if (sub.pending) {
        if (sub.pending.length < MAX_PENDING) sub.pending.push(pub);
        else this.abort(WS_CLOSE.slowConsumer, 'Slow consumer: too much pending during recovery');
        return;
      }
      this.deliver(channel, sub, pub);
    });
    const drop = () => {
      sub.stopListening();
      if (this.subs.get(channel) === sub) this.subs.delete(channel);
    };
    try {
      await this.deps.feed.start();
      const access = await this.authorize(channel);
      if (access !== 'ok') {
        drop();
        return access === 'not_found'
          ? this.error('not_found', 'Channel not found', channel)
          : this.error('unavailable', 'Service unavailable, retry later', channel);
      }
      const epoch = await this.deps.history.epoch();
      let recovered = false;
      let replay: StoredPublication[] = [];
      let offset: number;
      if (since && since.epoch === epoch) {
        const r = await this.deps.history.since(subject, since.offset);
        recovered = r.recovered;
        offset = r.offset;
        if (recovered) replay = r.publications;
      } else offset = (await this.deps.history.current(subject)).offset;
      if (!recovered) {
        // Beyond the history (or a first subscribe): the channel's current state, its last publication.
        const cur = await this.deps.history.current(subject);
        offset = cur.offset;
        replay = cur.last && channel !== 'user' ? [cur.last] : [];
      }
      if (this.subs.get(channel) !== sub) return;
      // Recovered: `offset` is the client's own, the missed publications follow. Not recovered: the
      // channel's current offset, and its current state (last publication, same offset) follows.
      const announced = recovered ? since!.offset : offset;
      this.send({ type: 'subscribed', channel, recovered, offset: announced, epoch });
      sub.offset = recovered ? announced : replay.length ? replay[0].offset - 1 : offset;
      for (const pub of replay) this.deliver(channel, sub, pub);
      const held = sub.pending ?? [];
      sub.pending = null;
      for (const pub of held) this.deliver(channel, sub, pub);
    } catch (err) {
      drop();
      this.deps.logger.warn({ err: (err as Error).message, channel }, 'ws subscribe failed');
      this.error('unavailable', 'Service unavailable, retry later', channel);
    }
  }

  private deliver(channel: string, sub: Subscription, pub: StoredPublication): void {
    if (pub.offset <= sub.offset) return;
    sub.offset = pub.offset;
    this.send({
      type: 'publication',
      channel,
      offset: pub.offset,
      data: pub.data as Extract<WsServerMessage, { type: 'publication' }>['data'],
    });
  }
}

/** The `/api/v1/ws` endpoint: its own ws server (frame cap), heartbeats, limits. */
export function createMux(deps: MuxDeps): MuxHandle {
  const conns = new Set<MuxConnection>();
  let closing = false;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.limits.maxFrameBytes,
    handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
  });

  const heartbeat = setInterval(() => {
    for (const c of conns) {
      if (!c.alive) {
        c.abort(WS_CLOSE.heartbeatTimeout, 'No pong within the heartbeat timeout');
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        // closed meanwhile
      }
    }
  }, deps.heartbeatMs);
  heartbeat.unref();

  return {
    handleUpgrade(req, socket, head) {
      if (closing) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://gateway');
      wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new MuxConnection(ws, deps);
        conns.add(conn);
        wsConnections.inc();
        ws.on('pong', () => (conn.alive = true));
        ws.on('error', (err) => deps.logger.debug({ err: err.message }, 'websocket error'));
        ws.once('close', () => {
          conns.delete(conn);
          wsConnections.dec();
        });
        conn.start(req, url).catch((err: unknown) => {
          deps.logger.error({ err }, 'websocket connection failed');
          closeAndStopReading(ws, WS_CLOSE.internal, 'Internal server error');
        });
      });
    },
    connectionCount: () => conns.size,
    async close() {
      closing = true;
      clearInterval(heartbeat);
      for (const c of conns) c.abort(WS_CLOSE.goingAway, 'Server shutting down');
      const deadline = Date.now() + 1000;
      while (conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const c of conns) c.ws.terminate();
      conns.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
