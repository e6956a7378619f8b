import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { RPC, type ServiceName } from '@fillsched/contracts';
import {
  createServiceClient,
  maxRequestBytes,
  traceContextFrom,
  tryDecodeJson,
  withTraceContext,
  type Logger,
  type NatsHandle,
  type ServiceClient,
} from '@fillsched/service-kit';
import type { EventSource, ServiceCaller } from '../ports';

/** One breaker-wrapped client per downstream service (a failing service cannot open another's circuit). */
export class NatsServiceCaller implements ServiceCaller {
  private readonly clients = new Map<string, ServiceClient>();

  constructor(
    private readonly handle: NatsHandle,
    private readonly timeoutMs: number,
  ) {}

  call(service: ServiceName, subject: string, request: Parameters<ServiceClient['request']>[1]) {
    let client = this.clients.get(service);
    if (!client) {
      client = createServiceClient(this.handle, service, { timeoutMs: this.timeoutMs });
      this.clients.set(service, client);
    }
    return client.request(subject, request);
  }

  maxRequestBytes(): number {
    return maxRequestBytes(this.handle);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

/** Fetches the auth service's public keys (throws until it answers 200). */
export function fetchKeysVia(services: ServiceCaller): () => Promise<unknown> {
  return async () => {
    const reply = await services.call('auth', RPC.auth.keys, {});
    if (reply.status !== 200) throw new Error(`auth keys replied ${reply.status}`);
    return reply.body;
  };
}

/** Core subscriptions for live relay; JetStream direct reads for the last stored message of a subject. */
export class NatsEventSource implements EventSource {
  private jsm: Promise<JetStreamManager> | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  subscribe(subject: string, onMessage: (subject: string, data: unknown) => void): () => void {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return this.logger.warn({ err: err.message, subject }, 'subscription error');
        const decoded = tryDecodeJson(msg.data);
        if (!decoded.ok) return this.logger.warn({ subject: msg.subject }, 'ignoring a non-JSON event');
        // The relay continues the publisher's trace (see ChannelHub.dispatch).
        withTraceContext(traceContextFrom(msg.headers), () => onMessage(msg.subject, decoded.value));
      },
    });
    return () => {
      try {
        sub.unsubscribe();
      } catch {
        // connection already closed
      }
    };
  }

  async lastMessage(stream: string, subject: string): Promise<unknown | null> {
    if (!this.jsm) this.jsm = jetstreamManager(this.nc);
    let jsm: JetStreamManager;
    try {
      jsm = await this.jsm;
    } catch (err) {
      this.jsm = null;
      throw err;
    }
    try {
      const m = await jsm.streams.getMessage(stream, { last_by_subj: subject });
      if (!m) return null;
      const decoded = tryDecodeJson(m.data);
      return decoded.ok ? decoded.value : null;
    } catch (err) {
      // A stream nobody has provisioned yet simply holds nothing.
      if (/stream not found/i.test((err as Error).message)) return null;
      throw err;
    }
  }
}
