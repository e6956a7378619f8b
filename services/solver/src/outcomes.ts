import type { Logger } from '@fillsched/service-kit';
import type { JobIdentity } from './job-parse';
import type { LifecyclePublisher } from './lifecycle-publisher';
import type { EventPublisher, JobMessage } from './ports';

/** Headers on the dead-letter copy of a job message. */
export const DLQ_HEADERS = {
  reason: 'Fillsched-Dead-Letter-Reason',
  subject: 'Fillsched-Original-Subject',
  deliveries: 'Fillsched-Deliveries',
  jobId: 'Fillsched-Job-Id',
} as const;

export type JobOutcome =
  | 'completed' // solved, stored, announced, acked
  | 'republished' // redelivery of a job whose result was already stored: `completed` sent again
  | 'failed' // the engine failed: `failed` published, acked
  | 'cancelled' // cancelled before or while solving: `cancelled` published, nothing stored, acked
  | 'poison' // unparseable/invalid: `failed` + dead letter + term
  | 'dead_lettered' // infrastructure failures on the last allowed delivery: `failed` + dead letter + term
  | 'requeued' // transient infrastructure failure: nak with backoff
  | 'released'; // shutdown: nak'ed at once so another worker takes it

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Runs a settle call (nak, term, …) whose failure only needs a log line: the redelivery covers it. */
export function safely(what: string, log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.warn({ err }, `${what} failed`);
  }
}

export async function ack(msg: JobMessage, log: Logger): Promise<void> {
  try {
    await msg.ack();
  } catch (err) {
    // Everything is stored and announced; a lost ack means a redelivery that only re-publishes.
    log.warn({ err }, 'ack not confirmed');
  }
}

/**
 * The ends of a job that are not a solve: poison jobs and jobs whose infrastructure keeps failing
 * (both dead-lettered and announced as `failed`), and transient failures (nak with backoff).
 */
export interface Outcomes {
  rejectPoison(
    msg: JobMessage,
    ident: JobIdentity | null,
    reason: string,
    correlationId: string,
    log: Logger,
  ): Promise<JobOutcome>;
  transientFailure(
    msg: JobMessage,
    ident: JobIdentity,
    err: unknown,
    correlationId: string,
    log: Logger,
  ): Promise<JobOutcome>;
}

export function createOutcomes(deps: {
  publisher: EventPublisher;
  lifecycle: LifecyclePublisher;
  maxDeliver: number;
  retryDelayMs: (deliveryCount: number) => number;
}): Outcomes {
  const { publisher, lifecycle, maxDeliver, retryDelayMs } = deps;

  const deadLetter = async (msg: JobMessage, jobId: string | undefined, reason: string) => {
    const headers: Record<string, string> = {
      [DLQ_HEADERS.reason]: reason.slice(0, 1024).replace(/[\r\n]+/g, ' '),
      [DLQ_HEADERS.subject]: msg.subject,
      [DLQ_HEADERS.deliveries]: String(msg.info.deliveryCount),
    };
    if (jobId) headers[DLQ_HEADERS.jobId] = jobId;
    const seq = msg.info.streamSequence;
    const msgId = `dlq:${seq ?? jobId ?? 'unknown'}:${msg.info.deliveryCount}`;
    await publisher.deadLetter({ data: msg.data, headers, msgId });
  };

  return {
    /** Unparseable or invalid: tell the owner (if known), keep a copy, and never redeliver. */
    async rejectPoison(msg, ident, reason, correlationId, log) {
      log.warn({ reason, deliveries: msg.info.deliveryCount }, 'poison job: failed + dead letter');
      try {
        if (ident)
          await lifecycle.publish('failed', ident, msg.info.deliveryCount, correlationId, {
            error: { code: 'VALIDATION_ERROR', message: reason },
          });
        await deadLetter(msg, ident?.job_id, reason);
      } catch (err) {
        if (msg.info.deliveryCount < maxDeliver) {
          log.warn({ err }, 'could not record the poison job; retrying later');
          safely('nak', log, () => msg.nak(retryDelayMs(msg.info.deliveryCount)));
          return 'requeued';
        }
        log.error({ err }, 'could not record the poison job on its last delivery; terminating it anyway');
      }
      safely('term', log, () => msg.term(reason.slice(0, 256)));
      return 'poison';
    },

    /** Store or NATS trouble: retry with backoff, or give up on the last delivery. */
    async transientFailure(msg, ident, err, correlationId, log) {
      const deliveries = msg.info.deliveryCount;
      if (deliveries < maxDeliver) {
        const delay = retryDelayMs(deliveries);
        log.warn({ err, deliveries, retry_in_ms: delay }, 'transient failure; job will be redelivered');
        safely('nak', log, () => msg.nak(delay));
        return 'requeued';
      }
      const reason = `gave up after ${deliveries} deliveries: ${errorMessage(err)}`;
      log.error({ err, deliveries }, 'job failed on its last delivery: failed + dead letter');
      try {
        await lifecycle.publish('failed', ident, deliveries, correlationId, {
          error: { code: 'INTERNAL_ERROR', message: reason },
        });
      } catch (pubErr) {
        log.error({ err: pubErr }, 'could not publish failed');
      }
      try {
        await deadLetter(msg, ident.job_id, reason);
      } catch (dlqErr) {
        log.error({ err: dlqErr }, 'could not dead-letter the job');
      }
      safely('term', log, () => msg.term(reason.slice(0, 256)));
      return 'dead_lettered';
    },
  };
}
