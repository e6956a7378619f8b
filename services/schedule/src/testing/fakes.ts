/** In-process fakes of the outbound ports, for unit tests of app.ts. */
import { Writable } from 'node:stream';
import {
  toChunks,
  type CloudEvent,
  type ResultDocument,
  type ScheduleStatusEvent,
  type SolveJob,
} from '@fillsched/contracts';
import { FakeCanceller, FakeConfigResolver } from '@fillsched/job-owner/testing';
import { MemoryIdAllocator, createLogger, type Logger } from '@fillsched/service-kit';
import { MemoryResultRepository, MemoryScheduleRepository } from '../adapters/memory';
import { createScheduleApp, type ScheduleApp, type ScheduleAppDeps } from '../app';
import type { Clock, FetchOutcome, JobPublisher, ResultFetcher } from '../ports';

export class FakePublisher implements JobPublisher {
  events: CloudEvent<SolveJob>[] = [];
  failWith: Error | null = null;
  announced: { subject: string; event: CloudEvent<ScheduleStatusEvent> }[] = [];
  async publish(event: CloudEvent<SolveJob>): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.events.push(event);
  }
  async announce(subject: string, event: CloudEvent<ScheduleStatusEvent>): Promise<void> {
    this.announced.push({ subject, event });
  }
}

export { FakeCanceller, FakeConfigResolver };

/** The solver pool as the owner sees it: a job's result document, handed over as its chunks. */
export class FakeResultFetcher implements ResultFetcher {
  results = new Map<string, ResultDocument>();
  override: FetchOutcome | null = null;
  calls: string[] = [];
  /** Runs during fetch (to simulate things happening meanwhile). */
  during: (() => Promise<void>) | null = null;
  async fetch(jobId: string): Promise<FetchOutcome> {
    this.calls.push(jobId);
    if (this.during) await this.during();
    if (this.override) return this.override;
    const r = this.results.get(jobId);
    return r ? { kind: 'ok', chunks: toChunks(structuredClone(r)) } : { kind: 'not_found' };
  }
}

/** Advances one second per reading, so timestamps are distinct and predictable. */
export class StepClock implements Clock {
  constructor(private t = Date.parse('2026-03-01T08:00:00.000Z')) {}
  now(): Date {
    const d = new Date(this.t);
    this.t += 1000;
    return d;
  }
}

export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger('schedule-test', 'debug', stream), lines };
}

export interface TestHarness {
  app: ScheduleApp;
  schedules: MemoryScheduleRepository;
  results: MemoryResultRepository;
  publisher: FakePublisher;
  canceller: FakeCanceller;
  resolver: FakeConfigResolver;
  fetcher: FakeResultFetcher;
  clock: StepClock;
  logs: Array<Record<string, unknown>>;
}

export function makeHarness(
  opts: Pick<ScheduleAppDeps, 'workload' | 'completedCache' | 'announceDeleted'> = {},
): TestHarness {
  const schedules = new MemoryScheduleRepository();
  const results = new MemoryResultRepository();
  const publisher = new FakePublisher();
  const canceller = new FakeCanceller();
  const resolver = new FakeConfigResolver();
  const fetcher = new FakeResultFetcher();
  const clock = new StepClock();
  const { logger, lines } = captureLogger();
  const app = createScheduleApp({
    schedules,
    results,
    ids: new MemoryIdAllocator(),
    publisher,
    canceller,
    configResolver: resolver,
    resultFetcher: fetcher,
    clock,
    logger,
    workload: opts.workload,
    completedCache: opts.completedCache,
    announceDeleted: opts.announceDeleted,
  });
  return { app, schedules, results, publisher, canceller, resolver, fetcher, clock, logs: lines };
}
