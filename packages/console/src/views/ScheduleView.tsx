import { useEffect, useMemo, useState } from 'react';
import { lateLotIds } from '@fillsched/gantt';
import { saveBlob, type ScheduleOut } from '../api';
import { useFollowRun } from '../follow';
import { Gantt } from '../Gantt';
import type { LiveMessage } from '../live';
import { LineDownActions, ReplanDiffView } from './LineDown';
import { ErrorNote, hours, isActive, pct, Progress, StatusBadge, when } from './common';
import type { Services } from './services';

type ProgressMsg = Extract<LiveMessage, { type: 'progress' }>;

export function KpiCards({ result }: { result: NonNullable<ScheduleOut['result']> }) {
  const k = result.kpis;
  const gap = typeof k.gap === 'number' ? k.gap : null;
  const cards: [string, string, string][] = [
    ['Makespan', hours(result.makespan), 'makespan'],
    ['Utilisation', pct(result.utilization), 'utilization'],
    ['Changeovers', String(result.changeovers), 'changeovers'],
    ['Late lots', String(result.window_violations), 'late'],
    [
      'Gap to bound',
      gap === null ? '–' : `${(gap * 100).toFixed(1)} % (bound ${hours(k.lower_bound)})`,
      'gap',
    ],
  ];
  return (
    <dl className="kpis">
      {cards.map(([label, value, key]) => (
        <div className="kpi" key={key} data-kpi={key}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ScheduleView({ services, id }: { services: Services; id: number }) {
  const { api, live } = services;
  const [schedule, setSchedule] = useState<ScheduleOut | null>(null);
  const [progress, setProgress] = useState<ProgressMsg | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    api.get<ScheduleOut>(`/schedule/${id}`).then(setSchedule, (e: Error) => setError(e.message));
  }, [api, id, reload]);

  const active = schedule ? isActive(schedule.status) : false;
  useFollowRun(
    live,
    'schedule',
    id,
    active,
    (m) => {
      setProgress(m);
      // The record was read while pending: a progress message means a solver has it.
      setSchedule((s) => (s && s.status === 'pending' ? { ...s, status: 'running' } : s));
    },
    () => setReload((r) => r + 1),
  );

  const lots = useMemo(() => {
    const saved = sessionStorage.getItem(`fillsched.lots.${id}`);
    return saved ? (JSON.parse(saved) as Record<string, unknown>[]) : [];
  }, [id]);
  const activities = useMemo(() => schedule?.result?.activities ?? [], [schedule]);
  const late = useMemo(() => lateLotIds(activities, lots), [activities, lots]);

  const exportAs = async (format: 'csv' | 'json' | 'svg') => {
    try {
      const { blob, filename } = await api.download(`/schedule/${id}/export?format=${format}`);
      saveBlob(blob, filename);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (!schedule) return error ? <ErrorNote error={error} /> : <p>Loading…</p>;
  const lb = progress?.lower_bound;
  const best = progress?.best_makespan;
  return (
    <section aria-labelledby="run-title" data-schedule-id={id} data-status={schedule.status}>
      <h1 id="run-title">{schedule.name}</h1>
      <p>
        <StatusBadge status={schedule.status} /> {schedule.strategy} · created {when(schedule.created_at)}
        {schedule.completed_at && ` · completed ${when(schedule.completed_at)}`}
      </p>
      {schedule.parent_id !== undefined && (
        <p data-testid="lineage">
          Version {schedule.version} · a re-plan of{' '}
          <a href={`#/schedule/${schedule.parent_id}`}>schedule #{schedule.parent_id}</a>
        </p>
      )}
      {schedule.error_message && <p className="error">{schedule.error_message}</p>}
      <ErrorNote error={error} />
      {active && (
        <div className="live" aria-live="polite" data-testid="live-progress">
          <Progress value={progress?.progress ?? 0} label="Solver progress" />
          <p>
            {progress ? `${progress.step}: ${progress.message}` : 'Waiting for a solver…'}
            {typeof best === 'number' && ` · best makespan ${hours(best)}`}
            {typeof lb === 'number' && ` · lower bound ${hours(lb)}`}
            {typeof best === 'number' &&
              typeof lb === 'number' &&
              lb > 0 &&
              ` · gap ${(((best - lb) / lb) * 100).toFixed(1)} %`}
          </p>
        </div>
      )}
      {schedule.result && (
        <>
          <KpiCards result={schedule.result} />
          <div className="exports" role="group" aria-label="Export">
            <button type="button" className="secondary" onClick={() => void exportAs('csv')}>
              Export CSV
            </button>
            <button type="button" className="secondary" onClick={() => void exportAs('json')}>
              Export JSON
            </button>
            <button type="button" className="secondary" onClick={() => void exportAs('svg')}>
              Export SVG
            </button>
          </div>
          {schedule.result.replan && schedule.parent_id !== undefined && (
            <ReplanDiffView diff={schedule.result.replan} parentId={schedule.parent_id} />
          )}
          {schedule.status === 'completed' && activities.length > 0 && (
            <LineDownActions services={services} scheduleId={id} activities={activities} />
          )}
          <Gantt
            activities={activities}
            lateLots={late}
            title={`Gantt chart of ${schedule.name}`}
            idPrefix={`s${id}`}
          />
        </>
      )}
    </section>
  );
}
