import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENTS_STREAM } from '@fillsched/contracts';
import {
  CORRELATION_HEADER,
  correlationIdFrom,
  inSpan,
  SpanKind,
  traceContextFrom,
  withCorrelation,
  type Logger,
} from '@fillsched/service-kit';
import type { EventDecision } from './ports';

/** The NATS headers of a lifecycle message (RESULT_INLINE_HEADER rides there on `completed`). */
export interface EventHeaders {
  /** '' when the header is absent. */
  get(key: string): string;
}

export interface LifecycleConsumer {
  /** Stops pulling and waits for the message in hand to be settled. */
  stop(): Promise<void>;
  /** Messages settled so far (tests wait on it). */
  processed(): number;
}

export interface LifecycleConsumerOptions {
  nc: NatsConnection;
  logger: Logger;
  /** The durable pull consumer on EVENTS_STREAM (provisioned by the owning service). */
  durable: string;
  /** Applies one parsed event; a throw is treated as a transient failure (nak after retryDelayMs). */
  handle: (
    raw: unknown,
    meta: { deliveryCount: number; prepared?: unknown; headers?: EventHeaders },
  ) => Promise<EventDecision>;
  /**
   * Called with the parsed event as soon as a message is pulled, before it waits for the earlier
   * events of its record: may start work that changes nothing a client sees (fetching a result,
   * storing its chunks while the status does not show them yet) so that it overlaps that wait.
   * Its return value reaches `handle` as `meta.prepared`; a throw is ignored (handle then gets
   * nothing prepared and does the work itself).
   */
  prepare?: (raw: unknown, headers?: EventHeaders) => unknown;
  /** Redelivery delay when `handle` throws. */
  retryDelayMs: number;
  /** When set, `working()` is sent at this interval while `handle` runs (it may outlast ack_wait). */
  workingIntervalMs?: number;
  /** Called with the action taken for every settled message (metrics). */
  onSettled?: (action: EventDecision['action']) => void;
  /** Names the events in the start log line. */
  description?: string;
  /** Messages handled at the same time (of different records; one record's stay in order). Default 16. */
  concurrency?: number;
}

/** What a service is started with; retry delay, heartbeats and metrics are the service's own policy. */
export type OwnerConsumerOptions = Pick<LifecycleConsumerOptions, 'nc' | 'logger' | 'handle' | 'prepare'> & {
  /** Defaults to the service's durable name. */
  durable?: string;
};

/**
 * The record a lifecycle subject is about (`fillsched.events.<kind>.<id>.…` → `<kind>.<id>`): its
 * events are handled one after another, in stream order, so a record's announcements keep the order
 * of its stages; different records' events are handled side by side.
 */
export function lifecycleRecordKey(subject: string): string {
  const t = subject.split('.');
  return t.length >= 4 ? `${t[2]}.${t[3]}` : subject;
}

/**
 * Follows a service's lifecycle events with its durable pull consumer: up to `concurrency`
 * messages at a time, one record's in order (the owners' conditional updates make any order and
 * any number of replicas safe; the per-record order keeps announcements in stage order). Handling
 * them one by one made every event wait for the one before, whatever its record: a `completed`
 * queued behind other schedules' result fetches and stores. Acks only after `handle` has stored the
 * change; an unparseable message is terminated, never retried forever.
 */
export async function runLifecycleConsumer(opts: LifecycleConsumerOptions): Promise<LifecycleConsumer> {
  const { logger, durable } = opts;
  const consumer = await jetstream(opts.nc).consumers.get(EVENTS_STREAM, durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 16 });
  let count = 0;
  let stopping = false;

  const settle = async (m: JsMsg, prepared: unknown): Promise<void> => {
    let raw: unknown;
    try {
      raw = m.json();
    } catch {
      logger.error({ subject: m.subject, seq: m.seq }, 'unparseable lifecycle event terminated');
      opts.onSettled?.('term');
      // No reason argument: NATS 2.9 ignores `+TERM <reason>` and would redeliver the message.
      m.term();
      return;
    }
    const fromEvent = (raw as { correlationid?: unknown } | null)?.correlationid;
    const cid = correlationIdFrom(
      m.headers?.get(CORRELATION_HEADER) || (typeof fromEvent === 'string' ? fromEvent : undefined),
    );
    // Continues the publisher's trace (the `traceparent` header publishEvent wrote).
    const parent = traceContextFrom(m.headers);
    const spanOpts = {
      kind: SpanKind.CONSUMER,
      parent,
      attributes: { 'messaging.destination.name': m.subject },
    };
    await withCorrelation(cid, () =>
      inSpan(`process ${m.subject}`, spanOpts, async () => {
        const timer =
          opts.workingIntervalMs !== undefined
            ? setInterval(() => m.working(), opts.workingIntervalMs)
            : undefined;
        let decision: EventDecision;
        try {
          decision = await opts.handle(raw, {
            deliveryCount: m.info.deliveryCount,
            prepared,
            headers: m.headers,
          });
        } catch (err) {
          decision = {
            action: 'nak',
            delayMs: opts.retryDelayMs,
            reason: (err as Error)?.message ?? String(err),
          };
        } finally {
          if (timer) clearInterval(timer);
        }
        opts.onSettled?.(decision.action);
        if (decision.action === 'ack') {
          m.ack();
          if (decision.unknown)
            logger.warn({ subject: m.subject, note: decision.note }, 'unknown event type ignored');
          else logger.debug({ subject: m.subject, note: decision.note }, 'lifecycle event applied');
        } else if (decision.action === 'term') {
          logger.error(
            { subject: m.subject, seq: m.seq, reason: decision.reason },
            'lifecycle event terminated',
          );
          m.term();
        } else {
          logger.warn(
            {
              subject: m.subject,
              reason: decision.reason,
              delay_ms: decision.delayMs,
              attempt: m.info.deliveryCount,
            },
            'lifecycle event will be retried',
          );
          m.nak(decision.delayMs);
        }
      }),
    );
  };

  const limit = Math.max(1, opts.concurrency ?? 16);
  /** The last message in hand per record: the next one of that record starts after it. */
  const chains = new Map<string, Promise<void>>();
  let inFlight = 0;
  let slotFreed: (() => void) | undefined;

  /** What `prepare` makes of a message on arrival; undefined when there is none or it fails. */
  const prepareOf = (m: JsMsg): unknown => {
    if (!opts.prepare) return undefined;
    try {
      return opts.prepare(m.json(), m.headers);
    } catch {
      return undefined; // unparseable: settle terminates it
    }
  };

  const start = (m: JsMsg) => {
    const key = lifecycleRecordKey(m.subject);
    inFlight++;
    const prepared = prepareOf(m);
    const run: Promise<void> = (chains.get(key) ?? Promise.resolve())
      .then(() => settle(m, prepared))
      .catch((err) => logger.error({ err, subject: m.subject }, 'lifecycle event handling failed'))
      .finally(() => {
        count++;
        inFlight--;
        if (chains.get(key) === run) chains.delete(key);
        slotFreed?.();
      });
    chains.set(key, run);
  };

  const loop = (async () => {
    for await (const m of messages) {
      if (stopping) {
        // Pulled but not processed: hand it straight back for another replica.
        m.nak();
        continue;
      }
      while (inFlight >= limit) await new Promise<void>((r) => (slotFreed = r));
      slotFreed = undefined;
      start(m);
    }
  })().catch((err) => logger.error({ err }, 'lifecycle consumer stopped with an error'));

  logger.info(
    { stream: EVENTS_STREAM, consumer: durable },
    `following ${opts.description ?? 'lifecycle events'}`,
  );
  return {
    processed: () => count,
    async stop() {
      if (!stopping) {
        stopping = true;
        messages.stop();
      }
      await loop;
      await Promise.all([...chains.values()]);
    },
  };
}
