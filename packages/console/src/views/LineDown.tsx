/**
 * Re-planning from the run view: "line down" on a lane (POST /schedule/{id}/replan with one
 * `line_down` disruption, docs/replan.md) and, on the replanned schedule, the diff against its parent.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, type Activity, type ErrorItem, type ReplanDiff, type ScheduleSummary } from '../api';
import { go } from '../router';
import { when } from './common';
import type { Services } from './services';

const HOUR_MS = 3_600_000;
export const DEFAULT_DOWN_HOURS = 36;

/** A `datetime-local` value (UTC, to the minute) ↔ epoch ms. Times are UTC, as in the Gantt. */
const toInput = (ms: number): string => new Date(ms).toISOString().slice(0, 16);
const fromInput = (v: string): number => Date.parse(`${v.slice(0, 16)}:00Z`);

interface Span {
  first: number;
  last: number;
}

/** The line down starts now when now falls inside the plan, else at the plan's start. */
const defaultStart = ({ first, last }: Span, now: number): number =>
  Math.floor((now >= first && now < last ? now : first) / 60_000) * 60_000;

/**
 * The re-plan's `at`: now, or the start of the line down when that is earlier — never before the
 * plan's start (the server refuses that). With `freeze: "started"`, what started before it stays.
 */
export const replanAt = (start: number, { first }: Span, now: number): number =>
  Math.max(first, Math.min(now, start));

function errorItems(e: unknown): ErrorItem[] {
  if (e instanceof ApiError) return typeof e.detail === 'string' ? [{ loc: [], msg: e.detail }] : e.detail;
  return [{ loc: [], msg: (e as Error).message }];
}

/** One "Line N down…" button per lane of the plan; the form for the chosen line. */
export function LineDownActions({
  services,
  scheduleId,
  activities,
}: {
  services: Services;
  scheduleId: number;
  activities: readonly Activity[];
}) {
  const lines = useMemo(
    () => [...new Set(activities.map((a) => a.line))].sort((a, b) => a - b),
    [activities],
  );
  const span = useMemo<Span>(() => {
    const starts = activities.map((a) => Date.parse(a.start));
    const ends = activities.map((a) => Date.parse(a.end));
    return { first: Math.min(...starts), last: Math.max(...ends) };
  }, [activities]);
  const [line, setLine] = useState<number | null>(null);
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [endTouched, setEndTouched] = useState(false);
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<ErrorItem[]>([]);
  const [busy, setBusy] = useState(false);
  const startInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (line !== null) startInput.current?.focus();
  }, [line]);

  const open = (l: number) => {
    const s = defaultStart(span, Date.now());
    setLine(l);
    setStart(toInput(s));
    setEnd(toInput(s + DEFAULT_DOWN_HOURS * HOUR_MS));
    setEndTouched(false);
    setReason('');
    setErrors([]);
  };
  const changeStart = (v: string) => {
    setStart(v);
    const s = fromInput(v);
    if (!endTouched && Number.isFinite(s)) setEnd(toInput(s + DEFAULT_DOWN_HOURS * HOUR_MS));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (line === null) return;
    const s = fromInput(start);
    const body = {
      ...(Number.isFinite(s) ? { at: new Date(replanAt(s, span, Date.now())).toISOString() } : {}),
      freeze: 'started',
      disruptions: [
        {
          type: 'line_down',
          line,
          start: `${start.slice(0, 16)}:00Z`,
          end: `${end.slice(0, 16)}:00Z`,
          ...(reason.trim() ? { reason: reason.trim() } : {}),
        },
      ],
    };
    setBusy(true);
    setErrors([]);
    try {
      const created = await services.api.post<ScheduleSummary>(`/schedule/${scheduleId}/replan`, body);
      go(`schedule/${created.id}`);
    } catch (err) {
      setErrors(errorItems(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="row line-down" role="group" aria-label="Take a line down and re-plan">
        <span className="muted">Line down:</span>
        {lines.map((l) => (
          <button
            key={l}
            type="button"
            className="secondary"
            data-line={l}
            aria-expanded={line === l}
            aria-controls="line-down-form"
            onClick={() => open(l)}
          >
            Line {l} down…
          </button>
        ))}
      </div>
      {line !== null && (
        <form id="line-down-form" data-line={line} onSubmit={(e) => void submit(e)}>
          <fieldset>
            <legend>Line {line} down: re-plan the rest</legend>
            <div className="grid">
              <label>
                Down from (UTC)
                <input
                  ref={startInput}
                  type="datetime-local"
                  required
                  value={start}
                  onChange={(e) => changeStart(e.target.value)}
                />
              </label>
              <label>
                Back up at (UTC)
                <input
                  type="datetime-local"
                  required
                  value={end}
                  onChange={(e) => {
                    setEnd(e.target.value);
                    setEndTouched(true);
                  }}
                />
              </label>
              <label>
                Reason
                <input value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} />
              </label>
            </div>
            <p className="muted">
              Lots that started before the re-plan time (now, or the start when earlier) keep their line and
              times; the rest is planned again around the downtime.
            </p>
            {errors.length > 0 && (
              <ul className="error" role="alert" data-testid="replan-errors">
                {errors.map((i, k) => (
                  <li key={k} data-loc={i.loc.join('.')}>
                    {i.loc.length > 0 && <code>{i.loc.join('.')}</code>}
                    {i.loc.length > 0 && ': '}
                    {i.msg}
                  </li>
                ))}
              </ul>
            )}
            <div className="row">
              <button type="submit" disabled={busy}>
                Re-plan without line {line}
              </button>
              <button type="button" className="secondary" onClick={() => setLine(null)}>
                Cancel
              </button>
            </div>
          </fieldset>
        </form>
      )}
    </>
  );
}

const signed = (v: number, unit = ''): string =>
  `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(Number.isInteger(v) ? 0 : 1)}${unit}`;

/** A KPI delta in its unit: rates as percentage points, durations in hours, counts as they are. */
export function kpiDelta(key: string, v: number): string {
  if (key === 'utilization' || key.endsWith('_rate')) return signed(Math.round(v * 1000) / 10, ' pp');
  if (key === 'makespan' || key.endsWith('_hours')) return signed(v, ' h');
  return signed(v);
}

/** The diff of a replanned schedule against its parent: KPI deltas, moved, added and removed lots. */
export function ReplanDiffView({ diff, parentId }: { diff: ReplanDiff; parentId: number }) {
  const deltas = Object.entries(diff.kpi_deltas);
  return (
    <section aria-labelledby="replan-diff-title" data-testid="replan-diff">
      <h2 id="replan-diff-title">
        Changes against <a href={`#/schedule/${parentId}`}>schedule #{parentId}</a>
      </h2>
      <p>
        {diff.moved_count} lot(s) moved, {diff.line_changes} of them to another line; {diff.frozen_lots}{' '}
        lot(s) kept as they started before {when(diff.at)} UTC.
      </p>
      <table className="kpi-deltas">
        <caption>KPI changes</caption>
        <thead>
          <tr>
            <th scope="col">KPI</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {deltas.map(([k, v]) => (
            <tr key={k} data-kpi={k}>
              <th scope="row">{k.replace(/_/g, ' ')}</th>
              <td>{kpiDelta(k, v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="moved-lots">
        <caption>Moved lots</caption>
        <thead>
          <tr>
            <th scope="col">Lot</th>
            <th scope="col">Line</th>
            <th scope="col">Start shift</th>
          </tr>
        </thead>
        <tbody>
          {diff.moved.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                none
              </td>
            </tr>
          )}
          {diff.moved.map((m) => (
            <tr key={m.lot_id} data-lot-id={m.lot_id} data-from-line={m.from_line} data-to-line={m.to_line}>
              <th scope="row">{m.lot_id}</th>
              <td>{m.from_line === m.to_line ? m.from_line : `${m.from_line} → ${m.to_line}`}</td>
              <td>{signed(m.shift_hours, ' h')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p data-testid="replan-added">Added: {diff.added.length ? diff.added.join(', ') : 'none'}</p>
      <p data-testid="replan-removed">Removed: {diff.removed.length ? diff.removed.join(', ') : 'none'}</p>
    </section>
  );
}
