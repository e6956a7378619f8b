import {
  CloudEventSchema,
  EVENT_TYPES,
  SolveCancelledSchema,
  SolveCompletedSchema,
  SolveFailedSchema,
  SolveStartedSchema,
  type CloudEvent,
  type JobOwnerKind,
  type SolveCancelled,
  type SolveCompleted,
  type SolveFailed,
  type SolveStarted,
} from '@fillsched/contracts';
import type { EventDecision } from './ports';

export type SolveLifecycleData = SolveStarted | SolveCompleted | SolveFailed | SolveCancelled;

/**
 * Reads a lifecycle event off the owner's consumer: either a solver event about one of this
 * owner's jobs, or already the decision for it (not a CloudEvent or malformed data → term, never
 * retried; another event type or another owner's job → ack and ignore).
 */
export function readSolveLifecycleEvent(
  raw: unknown,
  owner: JobOwnerKind,
):
  | { kind: 'event'; event: CloudEvent; data: SolveLifecycleData }
  | { kind: 'settled'; decision: EventDecision } {
  const settled = (decision: EventDecision) => ({ kind: 'settled' as const, decision });
  const envelope = CloudEventSchema.safeParse(raw);
  if (!envelope.success) return settled({ action: 'term', reason: 'not a CloudEvent' });
  const ev = envelope.data;
  const schema =
    ev.type === EVENT_TYPES.solveStarted
      ? SolveStartedSchema
      : ev.type === EVENT_TYPES.solveCompleted
        ? SolveCompletedSchema
        : ev.type === EVENT_TYPES.solveFailed
          ? SolveFailedSchema
          : ev.type === EVENT_TYPES.solveCancelled
            ? SolveCancelledSchema
            : null;
  // Progress, the owner's own aggregate events on the same subject tree, anything else: nothing to do.
  if (!schema) return settled({ action: 'ack', note: `ignored event type ${ev.type}` });
  const data = schema.safeParse(ev.data);
  if (!data.success)
    return settled({ action: 'term', reason: `invalid ${ev.type} data: ${data.error.message}` });
  if (data.data.owner.kind !== owner) return settled({ action: 'ack', note: `not a ${owner} job` });
  return { kind: 'event', event: ev, data: data.data };
}
