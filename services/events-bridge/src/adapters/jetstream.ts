import { EVENTS_STREAM } from '@fillsched/contracts';
import { jetstream, type JsMsg, type Logger, type NatsConnection } from '@fillsched/service-kit';
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
  logger?: Logger,
): Promise<EventSource> {
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, durable);
  let settled = false;
  /**
   * Messages already delivered but unacknowledged when this bridge starts were taken by one that
   * died (one replica pulls at a time). The server hands them out again only once their ack_wait
   * runs out, and new messages would meanwhile overtake them, putting a key's `completed` on Kafka
   * before its `started`. So the first fetch waits until they can be redelivered: redeliveries go
   * out before new messages, and per-key order survives the crash (at the cost of up to ack_wait).
   */
  async function waitForOrphans(): Promise<void> {
    const info = await consumer.info(false);
    if (info.num_ack_pending === 0) return;
    const waitMs = Math.ceil((info.config.ack_wait ?? 30e9) / 1e6) + 500;
    logger?.warn(
      { num_ack_pending: info.num_ack_pending, wait_ms: waitMs },
      'unacknowledged events from an earlier bridge: waiting for their redelivery first',
    );
    await new Promise((r) => setTimeout(r, waitMs));
  }
  return {
    async fetch(max) {
      if (!settled) {
        settled = true;
        await waitForOrphans();
      }
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
