import { EVENTS_STREAM } from '@fillsched/contracts';
import { jetstream, type JsMsg, type NatsConnection } from '@fillsched/service-kit';
import type { EventSource, SourceMessage } from '../ports';

const wrap = (m: JsMsg): SourceMessage => ({
  subject: m.subject,
  seq: m.seq,
  data: m.data,
  ack: () => m.ack(),
  nak: (delayMs) => m.nak(delayMs > 0 ? delayMs : undefined),
  term: () => m.term(),
  working: () => m.working(),
});

/**
 * The shared durable pull consumer (provisioned by the bridge at start). A fetch waits up to
 * `expiresMs` for the first message only, then takes what is already pending behind it (the
 * first message says how many), so a quiet stream costs no latency and a busy one fills batches.
 */
export async function jetstreamSource(
  nc: NatsConnection,
  durable: string,
  expiresMs = 1000,
): Promise<EventSource> {
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, durable);
  return {
    async fetch(max) {
      const first = await consumer.next({ expires: expiresMs });
      if (!first) return [];
      const out = [wrap(first)];
      const more = Math.min(max - 1, first.info.pending);
      if (more > 0) {
        const rest = await consumer.fetch({ max_messages: more, expires: expiresMs });
        for await (const m of rest) out.push(wrap(m));
      }
      return out;
    },
    async pending() {
      return (await consumer.info(false)).num_pending;
    },
  };
}
