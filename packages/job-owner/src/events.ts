import {
  readLifecycleEvent,
  type CloudEvent,
  type JobOwnerKind,
  type LifecycleEvent,
  type SolverLifecycleStage,
} from '@fillsched/contracts';
import type { EventDecision } from './ports';

/** A solver stage an owner applies: the LIFECYCLE table's reading, narrowed to the events stream's stages. */
export type OwnerLifecycleEvent = Extract<LifecycleEvent, { stage: SolverLifecycleStage }>;
export type SolveLifecycleData = OwnerLifecycleEvent['data'];

/** The stages an owner applies; the others (job, progress) are acked unread. */
const OWNER_STAGES: readonly SolverLifecycleStage[] = ['started', 'completed', 'failed', 'cancelled'];

/**
 * Reads a message off the owner's consumer through the LIFECYCLE table: either a solver stage
 * about one of this owner's jobs, or already the decision for it (not a CloudEvent or malformed
 * data → term, never retried; an owner's own event, another owner's job → ack; a type no
 * contract knows → ack with `unknown`, so the consumer logs it, never taken for another stage).
 */
export function readSolveLifecycleEvent(
  raw: unknown,
  owner: JobOwnerKind,
):
  | {
      kind: 'event';
      event: CloudEvent;
      stage: SolverLifecycleStage;
      lifecycle: OwnerLifecycleEvent;
      data: SolveLifecycleData;
    }
  | { kind: 'settled'; decision: EventDecision } {
  const settled = (decision: EventDecision) => ({ kind: 'settled' as const, decision });
  const read = readLifecycleEvent(raw, { only: OWNER_STAGES });
  switch (read.kind) {
    case 'invalid':
      return settled({ action: 'term', reason: read.reason });
    case 'unknown':
      return settled({ action: 'ack', note: `unknown event type ${read.type} ignored`, unknown: true });
    case 'other':
      return settled({ action: 'ack', note: `ignored event type ${read.type}` });
    case 'stage':
      break;
  }
  if (read.stage === 'requested' || read.stage === 'progress')
    return settled({ action: 'ack', note: `ignored stage ${read.stage}` }); // (not read: see OWNER_STAGES)
  if (read.data.owner.kind !== owner) return settled({ action: 'ack', note: `not a ${owner} job` });
  return { kind: 'event', event: read.event, stage: read.stage, lifecycle: read, data: read.data };
}
