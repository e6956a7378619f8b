import {
  ComparisonFinishedSchema,
  EVENT_TYPES,
  LIFECYCLE,
  readLifecycleEvent,
  readScheduleStatusEvent,
  type WsMessage,
} from '@fillsched/contracts';

export type ChannelKind = 'schedule' | 'comparison';

/** A message for the clients of a channel; `final` ends the stream (the socket closes with 1000). */
export interface Outgoing {
  message: WsMessage;
  final: boolean;
  /** CloudEvent id of the source event (lets a socket skip the live copy of its snapshot). */
  eventId?: string;
}

export { isTerminalStatus } from '@fillsched/contracts';

/** Events arrive as CloudEvents; tolerate a bare data object too. */
function unwrap(raw: unknown): { data: unknown; time?: string; id?: string } {
  if (raw && typeof raw === 'object' && 'specversion' in raw && 'data' in raw) {
    const ev = raw as { data: unknown; time?: unknown; id?: unknown };
    return {
      data: ev.data,
      time: typeof ev.time === 'string' ? ev.time : undefined,
      id: typeof ev.id === 'string' ? ev.id : undefined,
    };
  }
  return { data: raw };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export function progressMessage(kind: ChannelKind, raw: unknown, now: Date): Outgoing | null {
  const { data, time, id } = unwrap(raw);
  const p = LIFECYCLE.progress.schema.safeParse(data);
  if (!p.success) return null;
  const d = p.data;
  return {
    final: false,
    eventId: id,
    message: {
      type: 'progress',
      step: d.phase,
      progress: round(d.percent),
      message: d.message,
      timestamp: time ?? now.toISOString(),
      best_makespan: d.best_makespan,
      lower_bound: d.lower_bound,
      ...(kind === 'comparison' ? { strategy: d.strategy } : {}),
    },
  };
}

export function cancelledMessage(kind: ChannelKind, now: Date): Outgoing {
  return {
    final: true,
    message: {
      type: 'error',
      code: 'CANCELLED',
      message: kind === 'schedule' ? 'Schedule was cancelled' : 'Comparison was cancelled',
      timestamp: now.toISOString(),
    },
  };
}

export function scheduleCompleteMessage(
  scheduleId: number,
  summary: { makespan: unknown; utilization?: unknown; kpis?: unknown; [k: string]: unknown },
  timestamp: string,
): Outgoing {
  const kpis =
    summary.kpis && typeof summary.kpis === 'object' ? (summary.kpis as Record<string, unknown>) : {};
  const extra: Record<string, unknown> = {};
  for (const k of [
    'changeovers',
    'lots_scheduled',
    'window_violations',
    'lower_bound',
    'gap',
    'execution_time',
  ])
    if (summary[k] !== undefined) extra[k] = summary[k];
  return {
    final: true,
    message: {
      type: 'complete',
      progress: 100,
      message: 'Schedule completed successfully!',
      result: {
        schedule_id: scheduleId,
        makespan: summary.makespan,
        ...extra,
        kpis: { utilization: summary.utilization, ...kpis },
      },
      timestamp,
    },
  };
}

export function comparisonFinalMessage(
  body: {
    id?: unknown;
    comparison_id?: unknown;
    status?: unknown;
    best_strategy?: unknown;
    results?: unknown;
  },
  comparisonId: number,
  now: Date,
  timestamp?: string,
): Outgoing {
  const ts = timestamp ?? now.toISOString();
  if (body.status === 'cancelled') return cancelledMessage('comparison', now);
  if (body.status === 'failed')
    return {
      final: true,
      message: {
        type: 'error',
        code: 'COMPARISON_FAILED',
        message: 'Every strategy of the comparison failed',
        timestamp: ts,
      },
    };
  return {
    final: true,
    message: {
      type: 'complete',
      progress: 100,
      message: 'Comparison completed successfully!',
      result: {
        comparison_id: comparisonId,
        best_strategy: body.best_strategy ?? null,
        results: Array.isArray(body.results) ? body.results : [],
      },
      timestamp: ts,
    },
  };
}

/**
 * Translates one NATS message of a channel into the guide's WebSocket message: progress from the
 * progress stream; for a schedule, the schedule service's own status events (published once its
 * store shows the status, so a client reacting to `complete` reads the result); for a comparison,
 * the solver stages of its strategies (as progress) and the comparison's own `finished`.
 * Unknown or malformed events give null (ignored).
 */
export function translateEvent(
  kind: ChannelKind,
  id: number,
  subject: string,
  raw: unknown,
  now: Date,
): Outgoing | null {
  if (subject.startsWith('fillsched.progress.')) return progressMessage(kind, raw, now);
  return kind === 'schedule' ? scheduleStatusMessage(id, raw, now) : comparisonEventMessage(id, raw, now);
}

function scheduleStatusMessage(id: number, raw: unknown, now: Date): Outgoing | null {
  const read = readScheduleStatusEvent(raw);
  if (!read.ok) return null;
  const { data: d, event } = read;
  const ts = event.time ?? now.toISOString();
  switch (d.status) {
    case 'running':
      return {
        final: false,
        eventId: event.id,
        message: {
          type: 'progress',
          step: 'started',
          progress: 0,
          message: 'Schedule started',
          timestamp: ts,
        },
      };
    case 'completed':
      return d.summary ? { ...scheduleCompleteMessage(id, d.summary, ts), eventId: event.id } : null;
    case 'failed':
      return {
        final: true,
        eventId: event.id,
        message: {
          type: 'error',
          code: d.error_code ?? 'SCHEDULE_FAILED',
          message: d.error_message ?? 'Schedule failed',
          timestamp: ts,
        },
      };
    case 'cancelled':
      return { ...cancelledMessage('schedule', now), eventId: event.id };
    default:
      return null;
  }
}

function comparisonEventMessage(id: number, raw: unknown, now: Date): Outgoing | null {
  const read = readLifecycleEvent(raw, { only: ['started', 'completed', 'failed', 'cancelled'] });
  if (read.kind === 'other' && read.type === EVENT_TYPES.comparisonFinished) {
    const f = ComparisonFinishedSchema.safeParse(read.event.data);
    return f.success ? comparisonFinalMessage(f.data, id, now, read.event.time) : null;
  }
  if (read.kind !== 'stage') return null;
  const ts = read.event.time ?? now.toISOString();
  // Per-strategy stages are progress; only the aggregate `finished` ends the stream.
  const strategy = read.data.strategy;
  const base = { type: 'progress' as const, strategy, timestamp: ts, progress: 100 };
  switch (read.stage) {
    case 'started':
      return {
        final: false,
        message: { ...base, step: 'started', progress: 0, message: `${strategy} started` },
      };
    case 'completed':
      return {
        final: false,
        message: {
          ...base,
          step: 'strategy_completed',
          message: `${strategy} completed: makespan ${round(read.data.summary.makespan, 2)} h`,
          makespan: read.data.summary.makespan,
        },
      };
    case 'failed':
      return {
        final: false,
        message: {
          ...base,
          step: 'strategy_failed',
          message: `${strategy} failed: ${read.data.error.message}`,
          code: read.data.error.code,
        },
      };
    case 'cancelled':
      return {
        final: false,
        message: { ...base, step: 'strategy_cancelled', message: `${strategy} cancelled` },
      };
    default:
      return null;
  }
}
