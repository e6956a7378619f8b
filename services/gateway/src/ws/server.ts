import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import {
  EVENTS_STREAM,
  MESSAGES,
  PROGRESS_STREAM,
  RPC,
  TERMINAL_STATUSES,
  comparisonFinishedSubject,
  ownerStatusFilter,
  ownerStatusSubject,
  progressSubject,
  WS_CLOSE,
  WS_MUX_PATH,
  type WsMessage,
} from '@fillsched/contracts';
import { correlationIdFrom, isServiceError, withCorrelation, type Logger } from '@fillsched/service-kit';
import type { Principal, TokenAuth } from '../auth/tokens';
import { wsConnections } from '../metrics';
import type { Clock, EventSource, GatewayOptions, ServiceCaller } from '../ports';
import { ChannelHub, type ChannelMember } from './hub';
import { HistoryFeed } from './feed';
import { SocketGuard, UserSockets } from './guard';
import type { ChannelHistory } from './history';
import { createMux, type MuxHandle } from './mux';
import {
  cancelledMessage,
  comparisonFinalMessage,
  isTerminalStatus,
  progressMessage,
  scheduleCompleteMessage,
  translateEvent,
  type ChannelKind,
  type Outgoing,
} from './messages';

export const WS_PATH = /^\/api\/v1\/ws\/(schedule|compare)\/([^/]+)\/?$/;

/** Close codes: 1008 policy violation (auth), 4404 unknown resource, 1011 dependency failure, 1001 going away. */
export const CLOSE = { normal: 1000, goingAway: 1001, policy: 1008, internal: 1011, notFound: 4404 } as const;

export interface WsDeps {
  hub: ChannelHub;
  auth: TokenAuth;
  services: ServiceCaller;
  events: EventSource;
  clock: Clock;
  logger: Logger;
  options: GatewayOptions;
  /** Channel history of the multiplexed endpoint (absent: `/api/v1/ws` answers 503). */
  history?: ChannelHistory;
}

export interface WsHandle {
  /** Closes every socket with 1001 and stops accepting upgrades. */
  close(): Promise<void>;
  connectionCount(): number;
}

interface Conn {
  ws: WebSocket;
  alive: boolean;
  guard: SocketGuard;
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({ detail: text });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** `Sec-WebSocket-Protocol: bearer, <token>`: the token is the offered protocol other than `bearer`. */
function tokenFromProtocols(req: IncomingMessage): string | undefined {
  const header = req.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return undefined;
  const parts = header.split(',').map((p) => p.trim());
  if (!parts.some((p) => p.toLowerCase() === 'bearer')) return undefined;
  return parts.find((p) => p.toLowerCase() !== 'bearer' && p.length > 0);
}

export function attachWebSockets(server: Server, deps: WsDeps): WsHandle {
  const { logger, clock, options } = deps;
  const conns = new Set<Conn>();
  let closing = false;
  // Sockets per user count both endpoints (ws/guard.ts); the multiplexed one is ws/mux.ts.
  const users = new UserSockets(() => options.wsLimits.socketsPerUser);
  const mux: MuxHandle | null = deps.history
    ? createMux({
        auth: deps.auth,
        services: deps.services,
        history: deps.history,
        feed: new HistoryFeed(deps.history, logger),
        users,
        limits: options.wsLimits,
        clock,
        logger,
        heartbeatMs: options.wsHeartbeatMs,
        authTimeoutMs: options.wsAuthTimeoutMs,
      })
    : null;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.wsLimits.maxFrameBytes,
    handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname === WS_MUX_PATH || url.pathname === `${WS_MUX_PATH}/`) {
      if (!mux || closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
      return mux.handleUpgrade(req, socket, head);
    }
    const match = WS_PATH.exec(url.pathname);
    if (!match) return rejectUpgrade(socket, 404, 'Not Found');
    if (closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    const kind: ChannelKind = match[1] === 'schedule' ? 'schedule' : 'comparison';
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Conn = { ws, alive: true, guard: new SocketGuard(ws, options.wsLimits) };
      guards.set(ws, conn.guard);
      // Counted from the first frame, before authentication too.
      ws.on('message', () => void conn.guard.inbound());
      conns.add(conn);
      wsConnections.inc();
      ws.on('pong', () => (conn.alive = true));
      ws.on('close', () => {
        conns.delete(conn);
        wsConnections.dec();
      });
      ws.on('error', (err) => logger.debug({ err: err.message }, 'websocket error'));
      const correlationId = correlationIdFrom(req.headers['x-correlation-id']);
      const opened = Date.now();
      ws.once('close', (code) =>
        withCorrelation(correlationId, () =>
          // The query string may hold the token: log the path only.
          logger.info({ path: url.pathname, code, duration_ms: Date.now() - opened }, 'websocket closed'),
        ),
      );
      withCorrelation(correlationId, () => {
        handleConnection(ws, req, url, kind, match[2]).catch((err: unknown) => {
          logger.error({ err }, 'websocket connection failed');
          safeClose(ws, CLOSE.internal, 'Internal server error');
        });
      });
    });
  };
  server.on('upgrade', onUpgrade);

  const heartbeat = setInterval(() => {
    for (const c of conns) {
      if (!c.alive) {
        c.ws.terminate();
        conns.delete(c);
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        // closed meanwhile
      }
    }
  }, options.wsHeartbeatMs);
  heartbeat.unref();

  const guards = new WeakMap<WebSocket, SocketGuard>();
  // Through the socket's guard: a client that does not read is closed at the buffer cap (4002).
  const send = (ws: WebSocket, msg: WsMessage | Record<string, unknown>) => {
    guards.get(ws)?.send(JSON.stringify(msg));
  };

  /** Waits for the token: query, subprotocol, or a first `{"type":"auth","token"}` message. */
  const obtainToken = (ws: WebSocket, req: IncomingMessage, url: URL): Promise<string | null> => {
    const fromQuery = url.searchParams.get('token');
    if (fromQuery) return Promise.resolve(fromQuery);
    const fromProtocol = tokenFromProtocols(req);
    if (fromProtocol) return Promise.resolve(fromProtocol);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), options.wsAuthTimeoutMs);
      const onMessage = (data: RawData) => {
        let token: string | null = null;
        try {
          const msg = JSON.parse(data.toString()) as { type?: unknown; token?: unknown };
          if (msg?.type === 'auth' && typeof msg.token === 'string' && msg.token) token = msg.token;
        } catch {
          // not JSON: not an auth message
        }
        finish(token);
      };
      const onClose = () => finish(null);
      const finish = (token: string | null) => {
        clearTimeout(timer);
        ws.off('message', onMessage);
        ws.off('close', onClose);
        resolve(token);
      };
      ws.on('message', onMessage);
      ws.on('close', onClose);
    });
  };

  const ownerGet = (kind: ChannelKind, id: number, principal: Principal) =>
    deps.services.call(kind, kind === 'schedule' ? RPC.schedule.get : RPC.comparison.get, {
      user: principal.user,
      params: { id: String(id) },
      query: {},
    });

  /** A final message already in the lifecycle stream (covers events that beat our subscription). */
  const storedFinal = async (kind: ChannelKind, id: number): Promise<Outgoing | null> => {
    const subjects =
      kind === 'schedule'
        ? TERMINAL_STATUSES.map((s) => ownerStatusSubject('schedule', id, s))
        : [comparisonFinishedSubject(id)];
    // One lookup per terminal subject, side by side (each is a round trip to the stream).
    const found = await Promise.all(
      subjects.map((subject) => deps.events.lastMessage(EVENTS_STREAM, subject).catch(() => null)),
    );
    for (const [i, raw] of found.entries()) {
      if (raw) {
        const out = translateEvent(kind, id, subjects[i], raw, clock.now());
        if (out?.final) return out;
      }
    }
    return null;
  };

  /** Final message for a run the owner service already reports as ended. */
  const snapshotFinal = async (
    kind: ChannelKind,
    id: number,
    body: Record<string, unknown>,
  ): Promise<Outgoing> => {
    const now = clock.now();
    if (kind === 'comparison') return comparisonFinalMessage(body, id, now);
    if (body.status === 'cancelled') return cancelledMessage('schedule', now);
    if (body.status === 'completed') {
      const result = (body.result ?? {}) as Record<string, unknown>;
      return scheduleCompleteMessage(
        id,
        { ...result, makespan: result.makespan ?? null },
        typeof body.completed_at === 'string' ? body.completed_at : now.toISOString(),
      );
    }
    const stored = await storedFinal('schedule', id);
    if (stored && stored.message.type === 'error') return stored;
    return {
      final: true,
      message: {
        type: 'error',
        code: 'SCHEDULE_FAILED',
        message: typeof body.error_message === 'string' ? body.error_message : 'Schedule failed',
        timestamp: now.toISOString(),
      },
    };
  };

  const handleConnection = async (
    ws: WebSocket,
    req: IncomingMessage,
    url: URL,
    kind: ChannelKind,
    rawId: string,
  ): Promise<void> => {
    const token = await obtainToken(ws, req, url);
    const principal = token ? await deps.auth.verify(token) : null;
    if (!principal) return safeClose(ws, CLOSE.policy, MESSAGES.credentials);
    const guard = guards.get(ws);
    const release = users.acquire(principal.user.id);
    if (!release) return guard?.abort(WS_CLOSE.tooManySockets, 'Too many sockets for this user');
    ws.once('close', release);
    const notFound = kind === 'schedule' ? MESSAGES.scheduleNotFound : MESSAGES.comparisonNotFound;
    const id = /^\d{1,15}$/.test(rawId) ? Number(rawId) : NaN;
    if (!Number.isSafeInteger(id) || id <= 0) return safeClose(ws, CLOSE.notFound, notFound);
    if (ws.readyState !== WebSocket.OPEN) return;

    // Join first and buffer, so nothing published between the snapshot and going live is lost.
    const buffered: Outgoing[] = [];
    let live = false;
    let done = false;
    let snapshotEventId: string | undefined;
    const finish = (out: Outgoing) => {
      if (done) return;
      done = true;
      send(ws, out.message);
      leave();
      safeClose(ws, CLOSE.normal, kind === 'schedule' ? 'Schedule finished' : 'Comparison finished');
    };
    const member: ChannelMember = {
      deliver(out) {
        if (done) return;
        if (!live) buffered.push(out);
        else if (out.eventId !== undefined && out.eventId === snapshotEventId) return;
        else if (out.final) finish(out);
        else send(ws, out.message);
      },
    };
    const channelKey = `${kind}.${id}`;
    const leave = deps.hub.join(
      channelKey,
      () => ({
        // A schedule's clients hear its owner (status events published once its store shows them):
        // no waiting for the store here. A comparison's hear its strategies' stages and its `finished`.
        subjects: [
          progressSubject(kind, id),
          kind === 'schedule' ? ownerStatusFilter('schedule', id) : `fillsched.events.comparison.${id}.>`,
        ],
        translate: async (subject, data) => translateEvent(kind, id, subject, data, clock.now()),
      }),
      member,
    );
    ws.once('close', () => {
      done = true;
      leave();
    });

    // The stream lookups start beside the owner's GET (their answers are used only once it has
    // authorised the caller): the socket is live after the slower of the two, not after their sum.
    const lookups = Promise.all([
      storedFinal(kind, id),
      deps.events.lastMessage(PROGRESS_STREAM, progressSubject(kind, id)).catch(() => null),
    ]);
    lookups.catch(() => undefined); // awaited below unless the GET ends the connection first
    let reply;
    try {
      reply = await ownerGet(kind, id, principal);
    } catch (err) {
      leave();
      if (isServiceError(err)) return safeClose(ws, CLOSE.internal, err.detail);
      throw err;
    }
    if (reply.status === 404 || reply.status === 403) {
      leave();
      return safeClose(ws, CLOSE.notFound, notFound);
    }
    if (reply.status !== 200 || !reply.body || typeof reply.body !== 'object') {
      leave();
      return safeClose(ws, CLOSE.internal, `Service unavailable: ${kind}`);
    }
    const body = reply.body as Record<string, unknown>;
    if (isTerminalStatus(body.status)) return finish(await snapshotFinal(kind, id, body));

    const [stored, latest] = await lookups;
    if (stored) return finish(stored);
    if (done) return;
    if (latest) {
      const out = progressMessage(kind, latest, clock.now());
      if (out) {
        snapshotEventId = out.eventId;
        send(ws, out.message);
      }
    }
    live = true;
    for (const out of buffered.splice(0)) member.deliver(out);

    ws.on('message', (data) => {
      // Clients may ping at the application level; everything else is ignored.
      try {
        const msg = JSON.parse(data.toString()) as { type?: unknown };
        if (msg?.type === 'ping') send(ws, { type: 'pong', timestamp: clock.now().toISOString() });
      } catch {
        // ignore
      }
    });
  };

  return {
    connectionCount: () => conns.size + (mux?.connectionCount() ?? 0),
    async close() {
      closing = true;
      await mux?.close();
      clearInterval(heartbeat);
      for (const c of conns) safeClose(c.ws, CLOSE.goingAway, 'Server shutting down');
      const deadline = Date.now() + 1000;
      while (conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const c of conns) c.ws.terminate();
      conns.clear();
      server.off('upgrade', onUpgrade);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      // Close reasons are limited to 123 bytes.
      ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
    }
  } catch {
    ws.terminate();
  }
}
