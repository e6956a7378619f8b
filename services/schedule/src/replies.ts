import type { ScheduleSummary } from '@fillsched/contracts';
import type { ScheduleRecord } from './ports';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toSummary(r: ScheduleRecord): ScheduleSummary {
  return {
    id: r.id,
    name: r.name,
    strategy: r.strategy,
    status: r.status,
    created_at: r.created_at.toISOString(),
    started_at: iso(r.started_at),
    completed_at: iso(r.completed_at),
    error_message: r.error_message,
    ...(r.parent_id ? { parent_id: r.parent_id, version: r.version ?? 2 } : {}),
  };
}

/** The create reply and GET add what the request had ignored (lists keep the guide's summary shape). */
export const withWarnings = (r: ScheduleRecord): ScheduleSummary => ({
  ...toSummary(r),
  warnings: r.warnings,
});
