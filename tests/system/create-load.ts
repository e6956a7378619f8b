// Drives schedule creates at a steady pace with bounded concurrency and records how each one was
// answered (status, latency), so a failover test can tell success, refusal and hang apart.
import type { ApiClient } from './client';

export interface CreateOutcome {
  n: number;
  user: number;
  /** HTTP status, or 0 when no answer came within the hang bound. */
  status: number;
  id?: number;
  startedAt: number;
  latencyMs: number;
  /** 429 answers (per-user limit) waited out and retried before this outcome. */
  limitedRetries: number;
}

export interface CreateLoadOptions {
  clients: ApiClient[];
  total: number;
  /** Creates in flight at most. */
  concurrency: number;
  /** A new create starts at most every this many ms. */
  paceMs: number;
  /** No answer within this is a hang (recorded as status 0). */
  hangMs: number;
  body: (n: number) => unknown;
  /** Called as create number n (1-based) starts. */
  onStart?: (n: number) => void;
}

async function postSchedule(client: ApiClient, body: unknown, hangMs: number) {
  try {
    const res = await fetch(`${client.baseUrl}/api/v1/schedule`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${client.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(hangMs),
    });
    const parsed = (await res.json().catch(() => null)) as { id?: number } | null;
    return { status: res.status, id: parsed?.id };
  } catch {
    return { status: 0, id: undefined };
  }
}

export async function runCreateLoad(opts: CreateLoadOptions): Promise<CreateOutcome[]> {
  const outcomes: CreateOutcome[] = [];
  let next = 0;
  let lastStart = 0;
  const worker = async () => {
    for (;;) {
      const n = ++next;
      if (n > opts.total) return;
      const at = Math.max(Date.now(), lastStart + opts.paceMs);
      lastStart = at;
      if (at > Date.now()) await new Promise((r) => setTimeout(r, at - Date.now()));
      const user = (n - 1) % opts.clients.length;
      opts.onStart?.(n);
      let limitedRetries = 0;
      for (;;) {
        const startedAt = Date.now();
        const res = await postSchedule(opts.clients[user], opts.body(n), opts.hangMs);
        // The per-user limit of active schedules is not what this measures: wait and retry.
        if (res.status === 429 && limitedRetries < 20) {
          limitedRetries += 1;
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        outcomes.push({ n, user, ...res, startedAt, latencyMs: Date.now() - startedAt, limitedRetries });
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return outcomes.sort((a, b) => a.n - b.n);
}

/** Five small lots: solved in milliseconds, so the run measures the messaging, not the engine. */
export function smallLots(n: number) {
  return Array.from({ length: 5 }, (_, k) => ({
    lot_id: `F${n}-L${k + 1}`,
    product: k % 2 ? 'ProductA' : 'ProductB',
    quantity: 20_000 * (k + 1),
  }));
}

/** 20,000 lots over 400 product types: the input limit on lots. */
export function inputLimitLots() {
  return Array.from({ length: 20_000 }, (_, i) => ({
    lot_id: `L${i + 1}`,
    product: `P${i % 400}`,
    quantity: 20_000 + ((i * 7919) % 180_000),
  }));
}

/** 100 lines, each with two downtimes: the input limit on lines. */
export function inputLimitLines() {
  return Array.from({ length: 100 }, (_, i) => ({
    id: `line-${i + 1}`,
    downtime: [
      { start: '2026-01-01T10:00:00', end: '2026-01-01T14:00:00', reason: 'maintenance' },
      { start: '2026-01-03T06:00:00', end: '2026-01-03T08:00:00', reason: 'cleaning validation' },
    ],
  }));
}
