import { JOBS_STREAM } from '@fillsched/contracts';
import type { Logger } from '@fillsched/service-kit';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { SolverWorker } from './app';
import type { JobMessage } from './ports';

/**
 * The server's advisory when a job reached max_deliver unacknowledged, on any consumer of the jobs
 * stream: the shared `solver` one and every user's `solver-u<id>` (fair dispatch).
 */
export const MAX_DELIVERIES_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${JOBS_STREAM}.*`;

/**
 * A job whose every delivery ended with its worker dead gets no outcome from any worker: it would
 * stay in the work queue and its schedule `running` forever, counting against the user's limit.
 * The server announces it (MAX_DELIVERIES advisory, heard by one worker of the queue group); the
 * worker reads it from the stream, tells the owner `failed`, dead-letters it and deletes it.
 */
export function listenForExhaustedJobs(opts: {
  nc: NatsConnection;
  jsm: JetStreamManager;
  worker: SolverWorker;
  logger: Logger;
  queue: string;
}): Subscription {
  const { jsm, worker, logger } = opts;
  const sub = opts.nc.subscribe(MAX_DELIVERIES_ADVISORY, { queue: opts.queue });
  void (async () => {
    for await (const m of sub) {
      try {
        const advisory = m.json<{ stream_seq?: unknown; deliveries?: unknown }>();
        const seq = Number(advisory.stream_seq);
        if (!Number.isSafeInteger(seq) || seq <= 0) continue;
        const stored = await jsm.streams.getMessage(JOBS_STREAM, { seq }).catch(() => null);
        // Gone already: acknowledged after all, or handled by another worker.
        if (!stored) continue;
        const remove = () =>
          void jsm.streams
            .deleteMessage(JOBS_STREAM, seq)
            .catch((err: unknown) => logger.warn({ err, seq }, 'could not remove the exhausted job'));
        const msg: JobMessage = {
          data: stored.data,
          subject: stored.subject,
          headers: stored.header,
          info: { deliveryCount: Number(advisory.deliveries) || 0, streamSequence: seq },
          ack: remove,
          term: remove,
          nak: () => undefined,
          working: () => undefined,
        };
        const outcome = await worker.handleExhausted(msg);
        logger.warn({ seq, outcome }, 'job with exhausted deliveries settled');
      } catch (err) {
        logger.error({ err }, 'handling an exhausted job failed');
      }
    }
  })();
  return sub;
}
