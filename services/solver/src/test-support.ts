// Fixtures shared by the solver's tests (unit, NATS integration, crash test). No jest in here.
import { EVENT_TYPES, jobId, makeEvent, type SolveJob } from '@fillsched/contracts';
import type { JobMessage } from './ports';

const TYPES = ['VialE', 'VialH', 'VialA', 'VialB'];

/** `n` lots in the reference shape; vials vary so strategies have something to decide. */
export function lotsFixture(n: number): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({
    lot_id: `L${String(i + 1).padStart(3, '0')}`,
    type: TYPES[(i * 7) % TYPES.length],
    vials: 100_000 + ((i * 137_911) % 900_000),
  }));
}

export function solveJob(overrides: Partial<SolveJob> & { scheduleId?: number } = {}): SolveJob {
  const id = overrides.scheduleId ?? 1;
  const { scheduleId: _ignored, ...rest } = overrides;
  return {
    job_id: jobId('schedule', id),
    owner: { kind: 'schedule', id, user_id: 42 },
    strategy: 'smart-pack',
    input: { lots_data: lotsFixture(15), config: {}, start_time: '2025-01-01T00:00:00Z' },
    ...rest,
  };
}

export function jobEventBytes(job: unknown, correlationid: string | null = 'corr-test-1'): Uint8Array {
  const event = makeEvent({
    type: EVENT_TYPES.solveRequested,
    source: '/fillsched/schedule',
    subject: (job as { job_id?: string }).job_id,
    id: `${(job as { job_id?: string }).job_id ?? 'x'}:requested`,
    correlationid: correlationid ?? undefined,
    data: job,
  });
  return new TextEncoder().encode(JSON.stringify(event));
}

/** Records what the handler did with a message, like a JetStream message would. */
export class FakeJobMessage implements JobMessage {
  subject = 'fillsched.jobs.solve';
  acks = 0;
  naks: Array<number | undefined> = [];
  terms: Array<string | undefined> = [];
  workings = 0;
  headers: { get(key: string): string } | undefined;
  info: { deliveryCount: number; streamSequence: number };

  constructor(
    readonly data: Uint8Array,
    opts: { deliveryCount?: number; headers?: Record<string, string>; seq?: number } = {},
  ) {
    this.info = { deliveryCount: opts.deliveryCount ?? 1, streamSequence: opts.seq ?? 1 };
    const h = opts.headers;
    this.headers = h ? { get: (k: string) => h[k] ?? '' } : undefined;
  }
  ack() {
    this.acks += 1;
  }
  nak(delayMs?: number) {
    this.naks.push(delayMs);
  }
  term(reason?: string) {
    this.terms.push(reason);
  }
  working() {
    this.workings += 1;
  }
  /** Exactly one final disposition, as JetStream expects. */
  disposition(): 'ack' | 'nak' | 'term' | 'none' | 'several' {
    const n = this.acks + this.naks.length + this.terms.length;
    if (n === 0) return 'none';
    if (n > 1) return 'several';
    return this.acks ? 'ack' : this.naks.length ? 'nak' : 'term';
  }
}
