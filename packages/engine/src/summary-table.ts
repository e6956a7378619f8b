/**
 * The human summary of `fillsched-engine solve` on a terminal: one fixed-width row per strategy,
 * printed as each run finishes (so `--strategy all` shows progress instead of a silent wait).
 */
import type { SolveOutput } from './types';

interface Column {
  title: string;
  width: number;
  cell(r: SolveOutput): string;
}

const hours = (h: number): string => `${h.toFixed(2)} h`;

const COLUMNS: Column[] = [
  { title: 'strategy', width: 12, cell: (r) => r.strategy },
  { title: 'makespan', width: 11, cell: (r) => hours(r.result.makespan) },
  { title: 'lower bound', width: 11, cell: (r) => hours(r.lower_bound) },
  { title: 'gap', width: 7, cell: (r) => `${(r.gap * 100).toFixed(2)}%` },
  { title: 'changeovers', width: 11, cell: (r) => String(r.result.changeovers) },
  { title: 'cleans', width: 6, cell: (r) => String(r.result.kpis.cleans) },
  { title: 'time', width: 8, cell: (r) => `${r.execution_time.toFixed(2)} s` },
];

// The strategy name reads best left-aligned, numbers right-aligned.
const pad = (s: string, i: number): string =>
  i === 0 ? s.padEnd(COLUMNS[i].width) : s.padStart(COLUMNS[i].width);

export function tableHeader(): string {
  const titles = COLUMNS.map((c, i) => pad(c.title, i)).join('  ');
  return `${titles}\n${COLUMNS.map((c) => '-'.repeat(c.width)).join('  ')}`;
}

export function tableRow(r: SolveOutput): string {
  return COLUMNS.map((c, i) => pad(c.cell(r), i)).join('  ');
}
