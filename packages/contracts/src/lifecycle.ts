import { z } from 'zod';
import { CloudEventSchema, type CloudEvent } from './cloudevents';
import { EVENT_CONTRACTS } from './event-contract';
import {
  EVENT_TYPES,
  ResultSummarySchema,
  SolveCancelledSchema,
  SolveCompletedSchema,
  SolveFailedSchema,
  SolveJobSchema,
  SolveProgressSchema,
  SolveStartedSchema,
} from './events';
import { ScheduleStatusSchema, type ScheduleStatus } from './rest/schedules';
import type { JobOwnerKind } from './subjects';

/**
 * THE lifecycle of a solve job, one row per stage: its CloudEvent type, the schema of its data,
 * whether it ends the job, and the status its owner (schedule, comparison entry) moves to.
 * The solver publishes from it, the owners apply it, the gateway relays from it; adding a stage
 * is one row here (and the compiler then points at every `switch` over `SolveStage`).
 */
export const LIFECYCLE = {
  requested: {
    type: EVENT_TYPES.solveRequested,
    schema: SolveJobSchema,
    terminal: false,
    ownerStatus: 'pending',
  },
  started: {
    type: EVENT_TYPES.solveStarted,
    schema: SolveStartedSchema,
    terminal: false,
    ownerStatus: 'running',
  },
  progress: {
    type: EVENT_TYPES.solveProgress,
    schema: SolveProgressSchema,
    terminal: false,
    ownerStatus: null,
  },
  completed: {
    type: EVENT_TYPES.solveCompleted,
    schema: SolveCompletedSchema,
    terminal: true,
    ownerStatus: 'completed',
  },
  failed: { type: EVENT_TYPES.solveFailed, schema: SolveFailedSchema, terminal: true, ownerStatus: 'failed' },
  cancelled: {
    type: EVENT_TYPES.solveCancelled,
    schema: SolveCancelledSchema,
    terminal: true,
    ownerStatus: 'cancelled',
  },
} as const satisfies Record<
  string,
  { type: string; schema: z.ZodType; terminal: boolean; ownerStatus: ScheduleStatus | null }
>;

export type SolveStage = keyof typeof LIFECYCLE;
/** The stages a solver publishes on the events stream (`requested` is the job, `progress` its own stream). */
export type SolverLifecycleStage = 'started' | 'completed' | 'failed' | 'cancelled';
export type StageData<S extends SolveStage> = z.infer<(typeof LIFECYCLE)[S]['schema']>;

/** Owner statuses after which nothing changes any more (derived from the table). */
export const TERMINAL_STATUSES: readonly ScheduleStatus[] = Object.values(LIFECYCLE)
  .filter((row) => row.terminal && row.ownerStatus !== null)
  .map((row) => row.ownerStatus as ScheduleStatus);
export const isTerminalStatus = (status: unknown): status is ScheduleStatus =>
  typeof status === 'string' && (TERMINAL_STATUSES as readonly string[]).includes(status);

/** One lifecycle event read off the wire, tagged by its stage. */
export type LifecycleEvent = {
  [S in SolveStage]: { kind: 'stage'; stage: S; event: CloudEvent; data: StageData<S> };
}[SolveStage];

export type ReadLifecycle =
  | LifecycleEvent
  /** A platform event that is not a solve stage (an owner's own event): nothing for a stage reader. */
  | { kind: 'other'; type: string; event: CloudEvent }
  /** A type no contract knows: log it and ignore it, never take it for another stage. */
  | { kind: 'unknown'; type: string }
  /** Not a CloudEvent, or a known type with data that does not match its schema. */
  | { kind: 'invalid'; reason: string };

const STAGE_BY_TYPE = new Map<string, SolveStage>(
  (Object.keys(LIFECYCLE) as SolveStage[]).map((stage) => [LIFECYCLE[stage].type, stage]),
);
const KNOWN_TYPES = new Set<string>(EVENT_CONTRACTS.map((c) => c.type));

/** Reads any event of the platform's streams into a stage-tagged union (see ReadLifecycle). */
export function readLifecycleEvent(
  raw: unknown,
  opts: {
    /** Stages the caller applies; any other stage comes back as `other`, its data unread. */
    only?: readonly SolveStage[];
  } = {},
): ReadLifecycle {
  const envelope = CloudEventSchema.safeParse(raw);
  if (!envelope.success) return { kind: 'invalid', reason: 'not a CloudEvent' };
  const event = envelope.data as CloudEvent;
  const stage = STAGE_BY_TYPE.get(event.type);
  if (!stage) {
    if (KNOWN_TYPES.has(event.type)) return { kind: 'other', type: event.type, event };
    return { kind: 'unknown', type: event.type };
  }
  if (opts.only && !opts.only.includes(stage)) return { kind: 'other', type: event.type, event };
  const data = LIFECYCLE[stage].schema.safeParse(event.data);
  if (!data.success) return { kind: 'invalid', reason: `invalid ${event.type} data: ${data.error.message}` };
  return { kind: 'stage', stage, event, data: data.data } as LifecycleEvent;
}

// ---------------------------------------------------------------- the owners' own events

/**
 * What a schedule's clients see, published by the schedule service once its store shows it:
 * the status row and, for `completed`, the result summary (the activities are read with GET).
 */
export const ScheduleStatusEventSchema = z.object({
  schedule_id: z.number().int().positive(),
  user_id: z.number().int().positive(),
  job_id: z.string(),
  status: ScheduleStatusSchema,
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  error_message: z.string().nullable(),
  /** `failed`: the code the solver gave (ENGINE_ERROR, VALIDATION_ERROR, …), else null. */
  error_code: z.string().nullable(),
  summary: ResultSummarySchema.nullable(),
});
export type ScheduleStatusEvent = z.infer<typeof ScheduleStatusEventSchema>;

/** The statuses a schedule announces, with their event types (pending is the create reply itself). */
export const SCHEDULE_STATUS_EVENTS = {
  running: EVENT_TYPES.scheduleRunning,
  completed: EVENT_TYPES.scheduleCompleted,
  failed: EVENT_TYPES.scheduleFailed,
  cancelled: EVENT_TYPES.scheduleCancelled,
} as const satisfies Partial<Record<ScheduleStatus, string>>;
export type AnnouncedScheduleStatus = keyof typeof SCHEDULE_STATUS_EVENTS;

const SCHEDULE_STATUS_TYPES = new Set<string>(Object.values(SCHEDULE_STATUS_EVENTS));

/** Subject of an owner's own status event; under the events stream, beside the solver's stages. */
export const ownerStatusSubject = (kind: JobOwnerKind, id: number, status: string): string =>
  `fillsched.events.${kind}.${id}.status.${status}`;
/** Every status event of one owner record (what the gateway relays to that record's sockets). */
export const ownerStatusFilter = (kind: JobOwnerKind, id: number): string =>
  `fillsched.events.${kind}.${id}.status.>`;

export function readScheduleStatusEvent(
  raw: unknown,
): { ok: true; event: CloudEvent; data: ScheduleStatusEvent } | { ok: false; reason: string } {
  const envelope = CloudEventSchema.safeParse(raw);
  if (!envelope.success) return { ok: false, reason: 'not a CloudEvent' };
  if (!SCHEDULE_STATUS_TYPES.has(envelope.data.type))
    return { ok: false, reason: `not a schedule status event: ${envelope.data.type}` };
  const data = ScheduleStatusEventSchema.safeParse(envelope.data.data);
  if (!data.success)
    return { ok: false, reason: `invalid ${envelope.data.type} data: ${data.error.message}` };
  return { ok: true, event: envelope.data as CloudEvent, data: data.data };
}
