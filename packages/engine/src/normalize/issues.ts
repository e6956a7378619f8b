import type { ValidationIssue } from '../types';

/** More errors than this are cut: a 20,000-lot file with one systematic mistake stays readable. */
export const MAX_ERRORS = 1000;
const MAX_WARNINGS_PER_KIND = 20;

/** Warnings of one request, at most 20 of a kind, then one line saying how many more there were. */
export class Warnings {
  readonly list: string[] = [];
  private readonly counts = new Map<string, number>();
  add(kind: string, msg: string): void {
    const c = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, c);
    if (c <= MAX_WARNINGS_PER_KIND) this.list.push(msg);
  }
  finish(): string[] {
    for (const [kind, c] of this.counts) {
      if (c > MAX_WARNINGS_PER_KIND)
        this.list.push(`... and ${c - MAX_WARNINGS_PER_KIND} more warnings like the above (${kind})`);
    }
    return this.list;
  }
}

/** What the steps of normalisation report into: errors (each step stops the request), warnings. */
export interface Issues {
  errors: ValidationIssue[];
  warn: Warnings;
}

/** A number, or a numeric string as CSV files give them (`"12"`, `" 1e3 "`); null otherwise. */
export function toNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*[+-]?\d+(\.\d+)?(e[+-]?\d+)?\s*$/i.test(v)) return Number(v);
  return null;
}
