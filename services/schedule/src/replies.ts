import { MESSAGES, type ErrorDetailItem, type ScheduleSummary } from '@fillsched/contracts';
import type { RpcReply } from '@fillsched/service-kit';
import type { ScheduleRecord } from './ports';

export const reply = (status: number, body: unknown, headers?: Record<string, string>): RpcReply =>
  headers ? { status, body, headers } : { status, body };
export const detail = (status: number, message: string): RpcReply => reply(status, { detail: message });
export const invalid = (items: ErrorDetailItem[]): RpcReply => reply(422, { detail: items });
export const unauthorized = (): RpcReply => detail(401, MESSAGES.credentials);

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
  };
}

/** The create reply and GET add what the request had ignored (lists keep the guide's summary shape). */
export const withWarnings = (r: ScheduleRecord): ScheduleSummary => ({
  ...toSummary(r),
  warnings: r.warnings,
});
