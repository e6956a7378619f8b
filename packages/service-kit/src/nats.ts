import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './logging';
import type { NatsAuth } from './nats-auth';
import { natsConnectedGauge, natsReconnectsCounter } from './metrics';
import { parseNatsServers } from './nats-servers';

export { parseNatsServers };

export interface NatsStatus {
  connected: boolean;
  server?: string;
  reconnects: number;
  closed: boolean;
}

export interface NatsHandle {
  nc: NatsConnection;
  name: string;
  /** Replicas for the streams and KV buckets provisioned over this connection (NATS_STREAM_REPLICAS). */
  streamReplicas: number;
  status(): NatsStatus;
  /** Readiness check helper: true while connected. */
  isConnected(): boolean;
  /** Called on every disconnect (and on close); returns an unsubscribe function. */
  onDisconnect(listener: () => void): () => void;
  close(): Promise<void>;
  /** Drains subscriptions (pending messages are processed), flushes, then closes. */
  drain(): Promise<void>;
}

export interface ConnectNatsOptions {
  /** One URL, a comma-separated list, or an array (the members of a cluster). */
  servers: string | string[];
  name: string;
  logger: Logger;
  /** Replicas for what is provisioned over this connection; default 1 (a single server). */
  streamReplicas?: number;
  /** ms between reconnect attempts; short so a restarted server is picked up quickly. */
  reconnectTimeWait?: number;
  pingInterval?: number;
  /** Credentials and reply inbox (natsAuth(env, service)); none for a server without authorization. */
  auth?: NatsAuth;
}

/**
 * Connects and keeps reconnecting forever (maxReconnectAttempts -1, also when the first
 * attempt fails), tracking status from nc.status() so /readyz and the client fail fast.
 */
export async function connectNats(opts: ConnectNatsOptions): Promise<NatsHandle> {
  const { logger, name } = opts;
  const servers = parseNatsServers(opts.servers);
  if (servers.length === 0) throw new Error('connectNats: no NATS server URL given');
  logger.info({ servers, name, user: opts.auth?.user }, 'connecting to NATS');
  const { user, pass, authenticator, inboxPrefix } = opts.auth ?? {};
  const nc = await connect({
    servers,
    name,
    ...(user !== undefined ? { user, pass } : {}),
    ...(authenticator ? { authenticator } : {}),
    ...(inboxPrefix ? { inboxPrefix } : {}),
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    reconnectTimeWait: opts.reconnectTimeWait ?? 500,
    reconnectJitter: 100,
    pingInterval: opts.pingInterval ?? 10_000,
    maxPingOut: 3,
  });
  const state: NatsStatus = { connected: true, server: nc.getServer(), reconnects: 0, closed: false };
  const disconnectListeners = new Set<() => void>();
  const notifyDisconnect = () => {
    for (const l of [...disconnectListeners]) {
      try {
        l();
      } catch (err) {
        logger.error({ err }, 'disconnect listener failed');
      }
    }
  };
  natsConnectedGauge.set({ connection: name }, 1);
  logger.info({ server: state.server }, 'NATS connected');

  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          state.connected = false;
          natsConnectedGauge.set({ connection: name }, 0);
          logger.warn({ server: s.server }, 'NATS disconnected');
          notifyDisconnect();
          break;
        case 'reconnect':
          state.connected = true;
          state.server = s.server;
          state.reconnects += 1;
          natsConnectedGauge.set({ connection: name }, 1);
          natsReconnectsCounter.inc({ connection: name });
          logger.info({ server: s.server, reconnects: state.reconnects }, 'NATS reconnected');
          break;
        case 'error':
          logger.error({ err: s.error }, 'NATS async error');
          break;
        case 'staleConnection':
          logger.warn('NATS stale connection');
          break;
        case 'close':
          state.connected = false;
          notifyDisconnect();
          break;
        default:
          break;
      }
    }
  })().catch((err) => logger.error({ err }, 'NATS status loop failed'));

  void nc.closed().then((err) => {
    state.connected = false;
    state.closed = true;
    natsConnectedGauge.set({ connection: name }, 0);
    if (err) logger.error({ err }, 'NATS connection closed with error');
    else logger.info('NATS connection closed');
  });

  return {
    nc,
    name,
    streamReplicas: opts.streamReplicas ?? 1,
    status: () => ({ ...state }),
    isConnected: () => state.connected && !nc.isClosed(),
    onDisconnect(listener) {
      disconnectListeners.add(listener);
      return () => disconnectListeners.delete(listener);
    },
    async close() {
      if (!nc.isClosed()) await nc.close();
    },
    async drain() {
      if (nc.isClosed() || nc.isDraining()) return nc.closed().then(() => undefined);
      // A disconnected connection cannot drain (the flush never completes); close instead.
      if (!state.connected) return nc.close();
      await nc.drain();
    },
  };
}

// Re-exported so services reach JetStream through the same @nats-io versions as the kit.
export {
  jetstream,
  jetstreamManager,
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
export type { JetStreamClient, JetStreamManager, JsMsg, Consumer, PubAck } from '@nats-io/jetstream';
export { headers as natsHeaders } from '@nats-io/transport-node';
export type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
