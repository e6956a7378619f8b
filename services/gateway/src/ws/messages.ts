import {
  ComparisonFinishedSchema,
  SolveCompletedSchema,
  SolveFailedSchema,
  SolveProgressSchema,
  SolveStartedSchema,
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

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
export const isTerminalStatus = (status: unknown): boolean =>
  typeof status === 'string' && TERMINAL.has(status);

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
  const p = SolveProgressSchema.safeParse(data);
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
 * Translates one NATS message of a channel (progress subject or lifecycle subject) into the
 * guide's WebSocket message. Unknown or malformed events give null (ignored).
 */
export function translateEvent(
  kind: ChannelKind,
  id: number,
  subject: string,
  raw: unknown,
  now: Date,
): Outgoing | null {
  if (subject.startsWith('fillsched.progress.')) return progressMessage(kind, raw, now);
  const stage = subject.split('.').pop();
  const { data, time } = unwrap(raw);
  const ts = time ?? now.toISOString();
  if (kind === 'schedule') {
    switch (stage) {
      case 'started': {
        if (!SolveStartedSchema.safeParse(data).success) return null;
        return {
          final: false,
          message: {
            type: 'progress',
            step: 'started',
            progress: 0,
            message: 'Schedule started',
            timestamp: ts,
          },
        };
      }
      case 'completed': {
        const c = SolveCompletedSchema.safeParse(data);
        return c.success ? scheduleCompleteMessage(id, c.data.summary, ts) : null;
      }
      case 'failed': {
        const f = SolveFailedSchema.safeParse(data);
        if (!f.success) return null;
        return {
          final: true,
          message: { type: 'error', code: f.data.error.code, message: f.data.error.message, timestamp: ts },
        };
      }
      case 'cancelled':
        return cancelledMessage('schedule', now);
      default:
        return null;
    }
  }
  // comparison: per-strategy lifecycle is progress; only the aggregate `finished` ends the stream.
  if (stage === 'finished') {
    const f = ComparisonFinishedSchema.safeParse(data);
    return f.success ? comparisonFinalMessage(f.data, id, now, ts) : null;
  }
  const base = (strategy: string) => ({ type: 'progress' as const, strategy, timestamp: ts });
  switch (stage) {
    case 'started': {
      const s = SolveStartedSchema.safeParse(data);
      if (!s.success) return null;
      return {
        final: false,
        message: {
          ...base(s.data.strategy),
          step: 'started',
          progress: 0,
          message: `${s.data.strategy} started`,
        },
      };
    }
    case 'completed': {
      const c = SolveCompletedSchema.safeParse(data);
      if (!c.success) return null;
      return {
        final: false,
        message: {
          ...base(c.data.strategy),
          step: 'strategy_completed',
          progress: 100,
          message: `${c.data.strategy} completed: makespan ${round(c.data.summary.makespan, 2)} h`,
          makespan: c.data.summary.makespan,
        },
      };
    }
    case 'failed': {
      const f = SolveFailedSchema.safeParse(data);
      if (!f.success) return null;
      return {
        final: false,
        message: {
          ...base(f.data.strategy),
          step: 'strategy_failed',
          progress: 100,
          message: `${f.data.strategy} failed: ${f.data.error.message}`,
          code: f.data.error.code,
        },
      };
    }
    case 'cancelled': {
      const c = SolveCancelledLike(data);
      if (!c) return null;
      return {
        final: false,
        message: { ...base(c), step: 'strategy_cancelled', progress: 100, message: `${c} cancelled` },
      };
    }
    default:
      return null;
  }
}

function SolveCancelledLike(data: unknown): string | null {
  const s = SolveStartedSchema.safeParse(data);
  return s.success ? s.data.strategy : null;
}
