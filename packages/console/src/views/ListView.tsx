import { useCallback, useEffect, useState } from 'react';
import type { ComparisonSummary, RunStatus, ScheduleSummary, Strategy } from '../api';
import { ErrorNote, isActive, STATUSES, StatusBadge, when } from './common';
import type { Services } from './services';

const PAGE_SIZE = 20;
const IDLE_POLL_MS = 10_000;
type Tab = 'schedules' | 'comparisons';

/**
 * Schedules and comparisons with status, filters and paging. Live: every run still pending or
 * running on this page is followed over the live-update transport and the page reloads when one
 * ends; while runs are active the page is re-read every 5 s, otherwise every 10 s and on focus.
 */
export function ListView({ services }: { services: Services }) {
  const { api, live } = services;
  const [tab, setTab] = useState<Tab>('schedules');
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [strategy, setStrategy] = useState('');
  const [page, setPage] = useState(1);
  const [rows, setRows] = useState<(ScheduleSummary | ComparisonSummary)[]>([]);
  const [total, setTotal] = useState(0);
  const [strategies, setStrategies] = useState<Strategy[]>([]);
  const [progress, setProgress] = useState<Record<number, number>>({});
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    void api.get<{ strategies: Strategy[] }>('/strategies').then(
      (r) => setStrategies(r.strategies),
      () => undefined,
    );
  }, [api]);

  const load = useCallback(async () => {
    try {
      const q = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
      if (tab === 'schedules') {
        if (status) q.set('status', status);
        if (strategy) q.set('strategy', strategy);
        const r = await api.get<{ schedules: ScheduleSummary[]; total: number }>(`/schedules?${q}`);
        setRows(r.schedules);
        setTotal(r.total);
      } else {
        const r = await api.get<{ comparisons: ComparisonSummary[]; total: number }>(`/comparisons?${q}`);
        // The comparisons list has no server-side status filter: filter this page.
        setRows(status ? r.comparisons.filter((c) => c.status === status) : r.comparisons);
        setTotal(r.total);
      }
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [api, tab, status, strategy, page]);

  useEffect(() => {
    void load();
  }, [load, tick]);

  // Follow the active runs of this page; reload when one ends.
  const activeIds = rows
    .filter((r) => isActive(r.status))
    .map((r) => r.id)
    .join(',');
  // Runs started elsewhere (another tab, the API) appear within IDLE_POLL_MS, and at once when the
  // window regains focus.
  useEffect(() => {
    const again = () => setTick((t) => t + 1);
    const poll = setInterval(again, IDLE_POLL_MS);
    const onVisible = () => document.visibilityState === 'visible' && again();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(poll);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, []);

  useEffect(() => {
    if (!activeIds) return;
    const kind = tab === 'schedules' ? 'schedule' : 'comparison';
    const stops = activeIds.split(',').map((raw) => {
      const id = Number(raw);
      return live.watch(kind, id, (m) => {
        if (m.type === 'progress') {
          setProgress((p) => ({ ...p, [id]: m.progress }));
          // Progress means a solver has it: show it running before the next re-read.
          setRows((rs) =>
            rs.map((r) => (r.id === id && r.status === 'pending' ? { ...r, status: 'running' } : r)),
          );
        } else setTick((t) => t + 1);
      });
    });
    const poll = setInterval(() => setTick((t) => t + 1), 5000);
    return () => {
      stops.forEach((s) => s());
      clearInterval(poll);
    };
  }, [activeIds, tab, live]);

  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <div className="tabs" role="tablist" aria-label="Run kind">
        {(['schedules', 'comparisons'] as Tab[]).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? 'tab active' : 'tab'}
            onClick={() => {
              setTab(t);
              setPage(1);
            }}
          >
            {t === 'schedules' ? 'Schedules' : 'Comparisons'}
          </button>
        ))}
      </div>
      <div className="filters">
        <label>
          Status
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as RunStatus | '');
              setPage(1);
            }}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {tab === 'schedules' && (
          <label>
            Strategy
            <select
              value={strategy}
              onChange={(e) => {
                setStrategy(e.target.value);
                setPage(1);
              }}
            >
              <option value="">any</option>
              {strategies.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="button" className="secondary" onClick={() => setTick((t) => t + 1)}>
          Refresh
        </button>
      </div>
      <ErrorNote error={error} />
      <table className="runs" aria-label={tab === 'schedules' ? 'Schedules' : 'Comparisons'}>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Name</th>
            <th scope="col">{tab === 'schedules' ? 'Strategy' : 'Strategies'}</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Completed</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-run-id={r.id} data-status={r.status}>
              <td>{r.id}</td>
              <td>
                <a href={tab === 'schedules' ? `#/schedule/${r.id}` : `#/compare/${r.id}`}>{r.name}</a>
              </td>
              <td>{'strategy' in r ? r.strategy : r.strategies.join(', ')}</td>
              <td>
                <StatusBadge status={r.status} />
                {r.status === 'running' && progress[r.id] !== undefined && ` ${progress[r.id].toFixed(0)} %`}
              </td>
              <td>{when(r.created_at)}</td>
              <td>{when(r.completed_at)}</td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                Nothing here yet. <a href={tab === 'schedules' ? '#/new' : '#/compare/new'}>Start one.</a>
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages">
        <button type="button" className="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
          Previous
        </button>
        <span>
          Page {page} of {pages} · {total} total
        </span>
        <button
          type="button"
          className="secondary"
          disabled={page >= pages}
          onClick={() => setPage(page + 1)}
        >
          Next
        </button>
      </nav>
    </section>
  );
}
