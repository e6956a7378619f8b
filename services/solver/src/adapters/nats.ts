import type { CloudEvent } from '@fillsched/contracts';
import { publishEvent, type Logger } from '@fillsched/service-kit';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { DEAD_LETTER_SUBJECT } from '@fillsched/contracts';
import type { CancellationRegistry, EventPublisher, JobMessage } from '../ports';

/** JetStream publishing with msgID = event id (the streams' duplicate window drops re-publications). */
export class JetStreamPublisher implements EventPublisher {
  constructor(private readonly js: JetStreamClient) {}

  async publish(subject: string, event: CloudEvent, headers?: Record<string, string>): Promise<void> {
    await publishEvent(this.js, subject, event as CloudEvent & { id: string }, headers ? { headers } : {});
  }

  async deadLetter(args: {
    data: Uint8Array;
    headers: Record<string, string>;
    msgId: string;
  }): Promise<void> {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(args.headers)) h.set(k, v);
    await this.js.publish(DEAD_LETTER_SUBJECT, args.data, { msgID: args.msgId, headers: h });
  }
}

/** The cancellations KV bucket: a key (the job id) with a value means "cancelled". */
export class KvCancellations implements CancellationRegistry {
  constructor(private readonly kv: KV) {}

  async isCancelled(jobId: string): Promise<boolean> {
    const entry = await this.kv.get(jobId);
    return entry !== null && entry.operation === 'PUT';
  }
}

/**
 * A JetStream message as the job handler sees it. The ack waits for the server's confirmation
 * (ackAck), so "acknowledged" means the server has it: shutdown drains nothing half-acked.
 */
export function toJobMessage(msg: JsMsg, logger: Logger): JobMessage {
  return {
    data: msg.data,
    subject: msg.subject,
    headers: msg.headers,
    info: { deliveryCount: msg.info.deliveryCount, streamSequence: msg.info.streamSequence },
    async ack() {
      const ok = await msg.ackAck({ timeout: 5000 });
      if (!ok) logger.warn('ack was not confirmed (already acknowledged)');
    },
    nak: (delay?: number) => msg.nak(delay),
    // No reason: NATS 2.9 does not understand "+TERM <reason>" and silently ignores the ack, leaving
    // the job pending for redelivery. The reason travels in the dead-letter copy's headers instead.
    term: () => msg.term(),
    working: () => msg.working(),
  };
}
