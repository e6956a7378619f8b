import { useEffect, useState } from 'react';
import type { ComparisonOut, ComparisonResult } from '../api';
import { ErrorNote, hours, isActive, pct, Progress, StatusBadge, when } from './common';
import type { Services } from './services';
import { StrategyGantts } from './StrategyGantts';

/** KPI columns of the table; `better` says which direction wins (the best value is marked). */
const COLUMNS: {
  key: keyof ComparisonResult;
  label: string;
  better: 'low' | 'high';
  show: (v: unknown) => string;
}[] = [
  { key: 'makespan', label: 'Makespan', better: 'low', show: hours },
  { key: 'utilization', label: 'Utilisation', better: 'high', show: pct },
  { key: 'changeovers', label: 'Changeovers', better: 'low', show: (v) => (v === null ? '–' : String(v)) },
  {
    key: 'window_violations',
    label: 'Late lots',
    better: 'low',
    show: (v) => (v === null ? '–' : String(v)),
  },
  { key: 'gap', label: 'Gap to bound', better: 'low', show: pct },
  {
    key: 'execution_time',
    label: 'Solve time',
    better: 'low',
    show: (v) => (typeof v === 'number' ? `${v.toFixed(2)} s` : '–'),
  },
];

function bestOf(
  results: ComparisonResult[],
  key: keyof ComparisonResult,
  better: 'low' | 'high',
): number | null {
  const values = results.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  if (values.length < 2) return values[0] ?? null;
  return better === 'low' ? Math.min(...values) : Math.max(...values);
}

export function ComparisonView({ services, id }: { services: Services; id: number }) {
  const { api, live } = services;
  const [cmp, setCmp] = useState<ComparisonOut | null>(null);
  const [progress, setProgress] = useState<Record<string, number>>({});
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    api.get<ComparisonOut>(`/compare/${id}`).then(setCmp, (e: Error) => setError(e.message));
  }, [api, id, reload]);
  const active = cmp ? isActive(cmp.status) : false;
  useEffect(() => {
    if (!active) return;
    const poll = setInterval(() => setReload((r) => r + 1), 4000);
    const stop = live.watch('comparison', id, (m) => {
      if (m.type === 'progress' && m.strategy)
        setProgress((p) => ({ ...p, [m.strategy as string]: m.progress }));
      else if (m.type !== 'progress') setReload((r) => r + 1);
    });
    return () => {
      stop();
      clearInterval(poll);
    };
  }, [active, id, live]);

  if (!cmp) return <ErrorNote error={error} />;
  const results = cmp.results ?? [];
  const done = results.filter((r) => r.status === 'completed');
  return (
    <section aria-labelledby="cmp-title" data-comparison-id={id} data-status={cmp.status}>
      <h1 id="cmp-title">{cmp.name}</h1>
      <p>
        <StatusBadge status={cmp.status} /> created {when(cmp.created_at)}
        {cmp.best_strategy && (
          <>
            {' '}
            · best strategy <strong data-best-strategy={cmp.best_strategy}>{cmp.best_strategy}</strong>
          </>
        )}
      </p>
      <ErrorNote error={error} />
      <table className="kpi-table" aria-label="Strategy KPIs (best values marked ★)">
        <thead>
          <tr>
            <th scope="col">Strategy</th>
            <th scope="col">Status</th>
            {COLUMNS.map((c) => (
              <th scope="col" key={c.key}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {cmp.strategies.map((s) => {
            const r = results.find((x) => x.strategy === s);
            const isBest = cmp.best_strategy === s;
            return (
              <tr
                key={s}
                data-strategy={s}
                className={isBest ? 'best' : undefined}
                aria-current={isBest ? 'true' : undefined}
              >
                <th scope="row">
                  {s}
                  {isBest && <span className="best-mark"> ★ best</span>}
                </th>
                <td>
                  {r ? <StatusBadge status={r.status} /> : <StatusBadge status={cmp.status} />}
                  {(!r || isActive(r.status)) && progress[s] !== undefined && (
                    <Progress value={progress[s]} label={`${s} progress`} />
                  )}
                </td>
                {COLUMNS.map((c) => {
                  const v = r?.[c.key];
                  const best =
                    typeof v === 'number' && done.length > 1 && v === bestOf(done, c.key, c.better);
                  return (
                    <td
                      key={c.key}
                      className={best ? 'best-cell' : undefined}
                      data-best={best ? 'true' : undefined}
                    >
                      {r ? c.show(v ?? null) : '–'}
                      {best && <span className="visually-hidden"> (best)</span>}
                      {best && <span aria-hidden="true"> ★</span>}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted">
        ★ marks the best value of each column; the best strategy has the shortest makespan (ties: fewer late
        lots, then fewer changeovers).
      </p>
      {cmp.status === 'completed' && (
        <StrategyGantts
          services={services}
          comparisonId={id}
          strategies={cmp.strategies}
          longestHours={Math.max(0, ...results.map((r) => r.makespan ?? 0)) || undefined}
        />
      )}
    </section>
  );
}
