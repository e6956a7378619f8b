import { JOB_QUEUED_SUBJECT, JobQueuedNoticeSchema } from '@fillsched/contracts';
import { tryDecodeJson, type Logger } from '@fillsched/service-kit';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Doorbell } from '../doorbell';
import type { JobMessage } from '../ports';

/** JetStream acknowledgement payloads (the server's protocol, what the client library sends). */
const ACK = '+ACK';
const NAK = '-NAK';
const TERM = '+TERM';
const WORKING = '+WPI';

/** Statuses a `no_wait` pull answers with when it has no message to give: nothing is wrong. */
const NOTHING_AVAILABLE = new Set([404, 408]);

/**
 * Delivery count and stream sequence from the ack subject of a JetStream message:
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>` or the
 * newer form with `<domain>.<account hash>` after `$JS.ACK` and a random token at the end.
 */
export function deliveryOf(ackSubject: string): { deliveryCount: number; streamSequence: number } {
  const t = ackSubject.split('.');
  if (t.length === 9) t.splice(2, 0, '_', '');
  if (t.length < 11 || t[0] !== '$JS' || t[1] !== 'ACK')
    throw new Error(`not a JetStream delivery: ${ackSubject}`);
  return { deliveryCount: Number.parseInt(t[6], 10), streamSequence: Number.parseInt(t[7], 10) };
}

/**
 * A JetStream delivery as the job handler sees it. The ack waits for the server's confirmation
 * (an empty reply to `+ACK`), so "acknowledged" means the server has it: shutdown drains nothing
 * half-acked.
 */
export function jobMessageOf(nc: NatsConnection, msg: Msg, logger: Logger, ackTimeoutMs = 5000): JobMessage {
  const reply = msg.reply;
  if (!reply) throw new Error(`JetStream delivery on ${msg.subject} has no ack subject`);
  let settled = false;
  const settle = (payload: string) => {
    if (settled) return;
    settled = true;
    nc.publish(reply, payload);
  };
  return {
    data: msg.data,
    subject: msg.subject,
    headers: msg.headers,
    info: deliveryOf(reply),
    async ack() {
      if (settled) {
        logger.warn('ack was not confirmed (already acknowledged)');
        return;
      }
      settled = true;
      await nc.request(reply, ACK, { timeout: ackTimeoutMs });
    },
    nak: (delayMs?: number) =>
      settle(delayMs && delayMs > 0 ? `${NAK} ${JSON.stringify({ delay: delayMs * 1_000_000 })}` : NAK),
    // No reason: NATS 2.9 does not understand "+TERM <reason>" and silently ignores the ack, leaving
    // the job pending for redelivery. The reason travels in the dead-letter copy's headers instead.
    term: () => settle(TERM),
    working: () => {
      if (!settled) nc.publish(reply, WORKING);
    },
  };
}

/**
 * Takes one job from a durable pull consumer if it has one available now — never waits for one to
 * arrive (a `no_wait` pull: the server answers at once with the message, or with 404 when there is
 * none). A slot asking several consumers in turn therefore never sits in a pull on one of them
 * while a job waits on another (what a pull with an expiry of at least a second would do).
 * Throws when the server does not answer within `timeoutMs` (a missing consumer gets no answer on
 * NATS 2.9) or answers with another status.
 */
export function createJobTaker(
  nc: NatsConnection,
  logger: Logger,
  opts: { apiPrefix?: string; timeoutMs?: number } = {},
): (stream: string, consumer: string) => Promise<JobMessage | null> {
  const prefix = opts.apiPrefix ?? '$JS.API';
  const timeout = opts.timeoutMs ?? 2000;
  return async (stream, consumer) => {
    const msg = await nc.request(
      `${prefix}.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
      JSON.stringify({ batch: 1, no_wait: true }),
      // Its own inbox: a delivery carries the job's subject, not the inbox's, so the shared
      // request inbox could not tell which request it answers.
      { timeout, noMux: true },
    );
    const status = msg.headers?.code ?? 0;
    if (status !== 0 && !msg.reply?.startsWith('$JS.ACK.')) {
      if (NOTHING_AVAILABLE.has(status)) return null;
      throw new Error(`pull from ${stream}/${consumer}: ${status} ${msg.headers?.description ?? ''}`.trim());
    }
    return jobMessageOf(nc, msg, logger);
  };
}

/** The user a queued-job notice names; undefined when it is not a notice (it still rings). */
export function userOfNotice(data: Uint8Array): number | undefined {
  const decoded = tryDecodeJson(data);
  const notice = decoded.ok ? JobQueuedNoticeSchema.safeParse(decoded.value) : null;
  return notice?.success ? notice.data.user_id : undefined;
}

/** Rings the doorbell on every owner's queued-job notice (core NATS, no queue group: every worker). */
export function ringOnQueuedJobs(nc: NatsConnection, doorbell: Doorbell): Subscription {
  return nc.subscribe(JOB_QUEUED_SUBJECT, {
    callback: (err, m) => void doorbell.ring(err ? undefined : userOfNotice(m.data)),
  });
}
