import { useEffect, useMemo, useState } from 'react';
import { lateLotIds } from '@fillsched/gantt';
import type { ScheduleOut } from '../api';
import { useFollowRun } from '../follow';
import { Gantt } from '../Gantt';
import { ErrorNote, hours, isActive, Progress, StatusBadge } from './common';
import type { Services } from './services';

const key = (comparisonId: number) => `fillsched.compare-gantts.${comparisonId}`;

/** One strategy's run: live progress, then its Gantt. */
function StrategyGantt({
  services,
  strategy,
  scheduleId,
  lots,
  pxPerHour,
}: {
  services: Services;
  strategy: string;
  scheduleId: number;
  lots: Record<string, unknown>[];
  pxPerHour?: number;
}) {
  const { api, live } = services;
  const [schedule, setSchedule] = useState<ScheduleOut | null>(null);
  const [progress, setProgress] = useState(0);
  const [reload, setReload] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<ScheduleOut>(`/schedule/${scheduleId}`).then(setSchedule, (e: Error) => setError(e.message));
  }, [api, scheduleId, reload]);
  const active = schedule ? isActive(schedule.status) : false;
  useFollowRun(
    live,
    'schedule',
    scheduleId,
    active,
    (m) => setProgress(m.progress),
    () => setReload((r) => r + 1),
  );
  const activities = useMemo(() => schedule?.result?.activities ?? [], [schedule]);
  const late = useMemo(() => lateLotIds(activities, lots), [activities, lots]);
  return (
    <section className="strategy-gantt" data-strategy={strategy} aria-labelledby={`sg-${scheduleId}`}>
      <h3 id={`sg-${scheduleId}`}>
        {strategy} <a href={`#/schedule/${scheduleId}`}>schedule {scheduleId}</a>{' '}
        {schedule && <StatusBadge status={schedule.status} />}
        {schedule?.result && ` · makespan ${hours(schedule.result.makespan)}`}
      </h3>
      <ErrorNote error={error} />
      {active && <Progress value={progress} label={`${strategy} progress`} />}
      {schedule?.result && (
        <Gantt
          activities={activities}
          lateLots={late}
          title={`Gantt chart of ${strategy}`}
          idPrefix={`c${scheduleId}`}
          fitPxPerHour={pxPerHour}
        />
      )}
    </section>
  );
}

/**
 * The strategies' Gantts one above the other. A comparison keeps KPIs per strategy, not plans, so
 * each strategy is run once more as its own schedule with the comparison's lots, settings and seed
 * (only possible in the session that created the comparison, which still has its lots).
 */
export function StrategyGantts({
  services,
  comparisonId,
  strategies,
  longestHours,
}: {
  services: Services;
  comparisonId: number;
  strategies: string[];
  /** The longest makespan of the comparison: every chart shares the scale that fits it. */
  longestHours?: number;
}) {
  const { api } = services;
  const saved = sessionStorage.getItem(`fillsched.compare-body.${comparisonId}`);
  const body = useMemo(() => (saved ? (JSON.parse(saved) as Record<string, unknown>) : null), [saved]);
  const [runs, setRuns] = useState<Record<string, number>>(
    () => JSON.parse(sessionStorage.getItem(key(comparisonId)) ?? '{}') as Record<string, number>,
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!body) return null;
  const lots = (body.lots_data as Record<string, unknown>[]) ?? [];
  const draw = async () => {
    setBusy(true);
    setError(null);
    try {
      const next: Record<string, number> = { ...runs };
      for (const strategy of strategies) {
        if (next[strategy]) continue;
        const created = await api.post<{ id: number }>('/schedule', {
          ...body,
          name: `${String(body.name)} · ${strategy}`,
          strategy,
          seed: body.seed ?? 1,
        });
        next[strategy] = created.id;
        sessionStorage.setItem(`fillsched.lots.${created.id}`, JSON.stringify(lots));
      }
      sessionStorage.setItem(key(comparisonId), JSON.stringify(next));
      setRuns(next);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const drawn = strategies.filter((s) => runs[s]);
  return (
    <div className="strategy-gantts">
      <h2>Plans</h2>
      {drawn.length < strategies.length && (
        <p>
          <button type="button" className="secondary" disabled={busy} onClick={() => void draw()}>
            Draw each strategy's Gantt
          </button>{' '}
          <span className="muted">
            runs each strategy once more as its own schedule (same lots, settings and seed)
          </span>
        </p>
      )}
      <ErrorNote error={error} />
      {drawn.map((s) => (
        <StrategyGantt
          key={s}
          services={services}
          strategy={s}
          scheduleId={runs[s]}
          lots={lots}
          pxPerHour={longestHours ? Math.min(60, Math.max(2, 1000 / (longestHours * 1.05))) : undefined}
        />
      ))}
    </div>
  );
}
