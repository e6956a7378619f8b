import {
  CloudEventSchema,
  JobOwnerSchema,
  LIFECYCLE,
  SolveJobSchema,
  StrategyIdSchema,
  type JobOwner,
  type SolveJob,
} from '@fillsched/contracts';
import type { StrategyId } from '@fillsched/engine';
import { correlationIdFrom, tryDecodeJson } from '@fillsched/service-kit';
import type { z } from 'zod';

/** Who a job is for: enough to tell its owner, even when the rest of the job is unreadable. */
export interface JobIdentity {
  job_id: string;
  owner: JobOwner;
  strategy: StrategyId;
}

/** A job message read: either the job, or why it can never run (and whatever identity could be read). */
export type ParsedJob =
  | { ok: true; job: SolveJob; ident: JobIdentity; correlationId: string }
  | { ok: false; reason: string; ident: JobIdentity | null; correlationId: string };

export function summarizeZod(error: z.ZodError): string {
  const parts = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
  if (error.issues.length > 5) parts.push(`and ${error.issues.length - 5} more`);
  return parts.join('; ');
}

/** Whatever can be read of a job that failed to parse, so its owner can still be told. */
function partialIdentity(raw: unknown): JobIdentity | null {
  const data = (raw as { data?: Record<string, unknown> } | null)?.data;
  if (!data || typeof data !== 'object') return null;
  const jobId = SolveJobSchema.shape.job_id.safeParse(data.job_id);
  const owner = JobOwnerSchema.safeParse(data.owner);
  const strategy = StrategyIdSchema.safeParse(data.strategy);
  // The failed event's schema needs a valid strategy; without one only the dead letter records it.
  if (!jobId.success || !owner.success || !strategy.success) return null;
  return { job_id: jobId.data, owner: owner.data, strategy: strategy.data };
}

/** Reads a job message: JSON → CloudEvent of the `requested` stage → SolveJob. */
export function parseJobMessage(data: Uint8Array, headerCid: string | undefined): ParsedJob {
  const decoded = tryDecodeJson(data);
  if (!decoded.ok)
    return {
      ok: false,
      reason: `job payload is not JSON: ${decoded.error.message}`,
      ident: null,
      correlationId: correlationIdFrom(headerCid),
    };
  const fail = (reason: string, eventCid?: string): ParsedJob => ({
    ok: false,
    reason,
    ident: partialIdentity(decoded.value),
    correlationId: correlationIdFrom(eventCid ?? headerCid),
  });
  const envelope = CloudEventSchema.safeParse(decoded.value);
  if (!envelope.success) return fail(`job is not a CloudEvent: ${summarizeZod(envelope.error)}`);
  const eventCid = envelope.data.correlationid;
  const expected = LIFECYCLE.requested.type;
  if (envelope.data.type !== expected)
    return fail(`unexpected event type ${envelope.data.type} (expected ${expected})`, eventCid);
  const parsed = LIFECYCLE.requested.schema.safeParse(envelope.data.data);
  if (!parsed.success) return fail(`invalid solve job: ${summarizeZod(parsed.error)}`, eventCid);
  const job = parsed.data;
  return {
    ok: true,
    job,
    ident: { job_id: job.job_id, owner: job.owner, strategy: job.strategy },
    correlationId: correlationIdFrom(eventCid ?? headerCid),
  };
}
