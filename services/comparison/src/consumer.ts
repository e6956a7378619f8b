import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENTS_STREAM } from '@fillsched/contracts';
import { CORRELATION_HEADER, correlationIdFrom, withCorrelation, type Logger } from '@fillsched/service-kit';
import type { EventDecision } from './app';

export const COMPARISON_CONSUMER = 'comparison-service';

export interface LifecycleConsumer {
  /** Stops pulling and waits for the message in hand to be settled. */
  stop(): Promise<void>;
  /** Messages settled so far (tests wait on it). */
  processed(): number;
}

/**
 * Follows comparison lifecycle events with the durable pull consumer, one message at a time
 * (the conditional updates make any order and any number of replicas safe). Acks only after
 * the store; an unparseable message is terminated, a failing store is retried later.
 */
export async function startLifecycleConsumer(opts: {
  nc: NatsConnection;
  logger: Logger;
  handle: (raw: unknown, meta: { deliveryCount: number }) => Promise<EventDecision>;
  durable?: string;
}): Promise<LifecycleConsumer> {
  const { logger } = opts;
  const durable = opts.durable ?? COMPARISON_CONSUMER;
  const consumer = await jetstream(opts.nc).consumers.get(EVENTS_STREAM, durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 16 });
  let count = 0;
  let stopping = false;

  const settle = async (m: JsMsg): Promise<void> => {
    let raw: unknown;
    try {
      raw = m.json();
    } catch {
      logger.error({ subject: m.subject, seq: m.seq }, 'unparseable lifecycle event terminated');
      // no reason argument: NATS 2.9 ignores '+TERM <reason>' and would redeliver the message
      m.term();
      return;
    }
    const fromEvent = (raw as { correlationid?: unknown } | null)?.correlationid;
    const cid = correlationIdFrom(
      m.headers?.get(CORRELATION_HEADER) || (typeof fromEvent === 'string' ? fromEvent : undefined),
    );
    await withCorrelation(cid, async () => {
      let decision: EventDecision;
      try {
        decision = await opts.handle(raw, { deliveryCount: m.info.deliveryCount });
      } catch (err) {
        decision = { action: 'nak', delayMs: 2000, reason: (err as Error)?.message ?? String(err) };
      }
      if (decision.action === 'ack') {
        m.ack();
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

  logger.info({ stream: EVENTS_STREAM, consumer: durable }, 'following comparison lifecycle events');
  return {
    processed: () => count,
    async stop() {
      if (!stopping) {
        stopping = true;
        messages.stop();
      }
      await loop;
    },
  };
}
