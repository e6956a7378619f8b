import type { RunStatus } from '../api';

export const STATUSES: RunStatus[] = ['pending', 'running', 'completed', 'failed', 'cancelled'];

export function StatusBadge({ status }: { status: RunStatus }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

export const isActive = (s: RunStatus): boolean => s === 'pending' || s === 'running';

export const hours = (h: unknown): string => (typeof h === 'number' ? `${h.toFixed(1)} h` : '–');
export const pct = (v: unknown): string => (typeof v === 'number' ? `${(v * 100).toFixed(1)} %` : '–');
export const when = (iso: string | null | undefined): string =>
  iso ? iso.replace('T', ' ').slice(0, 19) : '–';

export function ErrorNote({ error }: { error: string | null }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Progress({ value, label }: { value: number; label: string }) {
  return (
    <div className="progress">
      <progress max={100} value={value} aria-label={label} />
      <span>{value.toFixed(0)} %</span>
    </div>
  );
}
