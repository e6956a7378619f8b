import {
  RESULT_INLINE_HEADER,
  eventSummaryOf,
  inlineResultOf,
  type ResultChunk,
  type ResultDocumentSummary,
} from '@fillsched/contracts';
import type { JobIdentity } from './job-parse';
import type { LifecyclePublisher } from './lifecycle-publisher';
import type { ResultMeta, ResultStore } from './ports';

/**
 * Hands a finished job's result over to its owner: stores it (the solver's idempotency state) and
 * publishes `completed`. The caller acks the job only after this returns, i.e. after BOTH are done.
 *
 * A result that fits inline (one chunk within RESULT_INLINE_MAX_BYTES, see contracts'
 * result-handover.ts) rides with `completed`, so the owner never reads the solver's store for it:
 * the store write and the publish then go side by side. Crash windows, all covered because the job
 * is acked only after both:
 * - published, not stored → redelivery finds no result, solves again and publishes `completed`
 *   with the same id: the stream drops it as a duplicate (10 min window), the owner already has
 *   the first result inline; beyond the window the owner ignores a `completed` for a finished
 *   schedule. Cost: one more solve.
 * - stored, not published → redelivery finds the result and re-publishes it (inline again).
 * - both, ack lost → redelivery re-publishes, a duplicate the stream drops.
 * A larger result is taken over chunk by chunk with `solver.result`, which reads this store: it is
 * stored BEFORE `completed` is published, as before.
 */
export async function handOver(
  deps: { store: ResultStore; lifecycle: LifecyclePublisher },
  job: { ident: JobIdentity; attempt: number; correlationId: string; meta: ResultMeta },
  chunks: readonly ResultChunk[],
): Promise<{ created: boolean; inline: boolean }> {
  const { store, lifecycle } = deps;
  const inline = inlineResultOf(chunks);
  const publish = () =>
    lifecycle.publish(
      'completed',
      job.ident,
      job.attempt,
      job.correlationId,
      { summary: eventSummaryOf(chunks[0].summary as ResultDocumentSummary) },
      inline ? { [RESULT_INLINE_HEADER]: inline } : undefined,
    );
  if (!inline) {
    const { created } = await store.save(job.meta, chunks);
    await publish();
    return { created, inline: false };
  }
  // Both settle before the caller acks or naks: no write is left running behind a settled job.
  const [saved, published] = await Promise.allSettled([store.save(job.meta, chunks), publish()]);
  if (saved.status === 'rejected') throw saved.reason;
  if (published.status === 'rejected') throw published.reason;
  return { created: saved.value.created, inline: true };
}

/**
 * `completed` again for a result the store already holds (a redelivery after a crash between
 * storing and acking): the same event id, and inline when its one chunk is the whole result.
 */
export async function announceStored(
  lifecycle: LifecyclePublisher,
  job: { ident: JobIdentity; attempt: number; correlationId: string },
  head: ResultChunk & { summary: ResultDocumentSummary },
): Promise<void> {
  const inline = head.count === 1 ? inlineResultOf([head]) : null;
  await lifecycle.publish(
    'completed',
    job.ident,
    job.attempt,
    job.correlationId,
    { summary: eventSummaryOf(head.summary) },
    inline ? { [RESULT_INLINE_HEADER]: inline } : undefined,
  );
}
