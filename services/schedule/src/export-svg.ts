import { lateLotIds, renderGanttSvg, type GanttActivity } from '@fillsched/contracts';
import type { ResultActivity } from './ports';

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

/**
 * The schedule's Gantt as a standalone SVG file (for reports and e-mail): the console's renderer,
 * bars not focusable (no page around them), late lots from the lots' `end_window` as submitted.
 */
export function scheduleToSvg(
  name: string,
  activities: readonly ResultActivity[],
  lots: readonly Record<string, unknown>[],
): string {
  const acts: GanttActivity[] = activities.map((a) => ({
    kind: a.kind as GanttActivity['kind'],
    line: Number(a.line),
    ...(a.lot_id !== undefined && a.lot_id !== null ? { lot_id: String(a.lot_id) } : {}),
    ...(a.type !== undefined && a.type !== null ? { type: String(a.type) } : {}),
    start: iso(a.start),
    end: iso(a.end),
  }));
  return renderGanttSvg(acts, {
    title: `Gantt chart of ${name}`,
    lateLots: lateLotIds(acts, lots),
    standalone: true,
    focusable: false,
    fitWidth: 1600,
  });
}
