import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENTS_STREAM } from '@fillsched/contracts';
import { CORRELATION_HEADER, correlationIdFrom, withCorrelation, type Logger } from '@fillsched/service-kit';
import type { EventDecision } from './app';
import { lifecycleEvents } from './metrics';

export const SCHEDULE_CONSUMER = 'schedule-service';
/** Tell the server we are still at it while a large result is being fetched (ack_wait is 30 s). */
const WORKING_INTERVAL_MS = 10_000;

export interface LifecycleConsumer {
  /** Stops pulling, waits for the message in hand to be settled. */
  stop(): Promise<void>;
  /** Messages settled so far (tests wait on it). */
  processed(): number;
}

/**
 * Follows the schedule lifecycle events with the durable pull consumer, one message at a time
 * (order per schedule matters less than never blocking: the status guard makes any order safe).
 * Acks only after the store; an unparseable message is terminated, never retried forever.
 */
export async function startLifecycleConsumer(opts: {
  nc: NatsConnection;
  logger: Logger;
  handle: (raw: unknown, meta: { deliveryCount: number }) => Promise<EventDecision>;
  durable?: string;
}): Promise<LifecycleConsumer> {
  const { logger } = opts;
  const js = jetstream(opts.nc);
  const consumer = await js.consumers.get(EVENTS_STREAM, opts.durable ?? SCHEDULE_CONSUMER);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 16 });
  let count = 0;
  let stopping = false;

  const settle = async (m: JsMsg): Promise<void> => {
    let raw: unknown;
    try {
      raw = m.json();
    } catch {
      logger.error({ subject: m.subject, seq: m.seq }, 'unparseable lifecycle event terminated');
      lifecycleEvents.inc({ action: 'term' });
      // No reason text: NATS 2.9 does not understand `+TERM <reason>` and would leave it pending.
      m.term();
      return;
    }
    const cid = correlationIdFrom(
      m.headers?.get(CORRELATION_HEADER) ||
        (typeof (raw as { correlationid?: unknown })?.correlationid === 'string'
          ? (raw as { correlationid: string }).correlationid
          : undefined),
    );
    await withCorrelation(cid, async () => {
      const timer = setInterval(() => m.working(), WORKING_INTERVAL_MS);
      let decision: EventDecision;
      try {
        decision = await opts.handle(raw, { deliveryCount: m.info.deliveryCount });
      } catch (err) {
        decision = { action: 'nak', delayMs: 5000, reason: (err as Error)?.message ?? String(err) };
      } finally {
        clearInterval(timer);
      }
      lifecycleEvents.inc({ action: decision.action });
      if (decision.action === 'ack') {
        m.ack();
        logger.debug({ subject: m.subject, note: decision.note }, 'lifecycle event applied');
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
    });
  };

  const loop = (async () => {
    for await (const m of messages) {
      if (stopping) {
        // Pulled but not processed: hand it straight back for another replica.
        m.nak();
        continue;
      }
      try {
        await settle(m);
      } catch (err) {
        logger.error({ err, subject: m.subject }, 'lifecycle event handling failed');
      }
      count++;
    }
  })().catch((err) => logger.error({ err }, 'lifecycle consumer stopped with an error'));

  logger.info(
    { stream: EVENTS_STREAM, consumer: opts.durable ?? SCHEDULE_CONSUMER },
    'following lifecycle events',
  );

  return {
    processed: () => count,
    async stop() {
      if (stopping) return loop;
      stopping = true;
      messages.stop();
      await loop;
    },
  };
}
