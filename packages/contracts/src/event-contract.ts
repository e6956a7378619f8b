import { EVENT_TYPES } from './events';

/**
 * Who publishes each event and how its id is made: the one table docs/events.md shows (section
 * "Sources and ids") and the publishers use, so the doc and the wire cannot drift apart
 * (tests/system/events-doc.test.ts compares the doc with this table and real events with both).
 * `<name>` marks a placeholder; ids are deterministic where a retry must not duplicate, because the
 * id is also the JetStream Nats-Msg-Id.
 */
export const EVENT_CONTRACTS = [
  { type: EVENT_TYPES.solveRequested, publisher: 'schedule | comparison', id: 'solve.requested:<job_id>' },
  { type: EVENT_TYPES.solveStarted, publisher: 'solver', id: '<job_id>:started:<attempt>' },
  { type: EVENT_TYPES.solveProgress, publisher: 'solver', id: '<job_id>:progress:<attempt>:<seq>' },
  { type: EVENT_TYPES.solveCompleted, publisher: 'solver', id: '<job_id>:completed' },
  { type: EVENT_TYPES.solveFailed, publisher: 'solver', id: '<job_id>:failed' },
  { type: EVENT_TYPES.solveCancelled, publisher: 'solver', id: '<job_id>:cancelled' },
  {
    type: EVENT_TYPES.comparisonFinished,
    publisher: 'comparison',
    id: 'comparison.finished:<comparison_id>',
  },
  { type: EVENT_TYPES.scheduleRunning, publisher: 'schedule', id: 'schedule.running:<schedule_id>' },
  { type: EVENT_TYPES.scheduleCompleted, publisher: 'schedule', id: 'schedule.completed:<schedule_id>' },
  { type: EVENT_TYPES.scheduleFailed, publisher: 'schedule', id: 'schedule.failed:<schedule_id>' },
  { type: EVENT_TYPES.scheduleCancelled, publisher: 'schedule', id: 'schedule.cancelled:<schedule_id>' },
] as const;

export type EventType = (typeof EVENT_CONTRACTS)[number]['type'];

/**
 * CloudEvents `source` (a URI-reference): the service and the instance that published the event,
 * e.g. `/fillsched/solver/solver-1`, so a consumer can tell replicas apart.
 */
export const EVENT_SOURCE_PATTERN = '/fillsched/<service>/<instance>';

export function eventSource(service: string, instance: string): string {
  return fillPattern(EVENT_SOURCE_PATTERN, { service, instance });
}

/** The id of an event of `type`, from its contract's pattern. */
export function eventId(type: EventType, values: Record<string, string | number>): string {
  const contract = EVENT_CONTRACTS.find((c) => c.type === type);
  if (!contract) throw new Error(`no event contract for ${type}`);
  return fillPattern(contract.id, values);
}

function fillPattern(pattern: string, values: Record<string, string | number>): string {
  return pattern.replace(/<(\w+)>/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined || v === '') throw new Error(`${pattern}: no value for <${name}>`);
    return String(v);
  });
}
