// What a failover test reads back from the platform afterwards: who led what in the cluster, and
// whether every accepted schedule was solved exactly once (results in Mongo, events in JetStream).
import mongoose from 'mongoose';
import type { JetStreamManager } from '@nats-io/jetstream';
import { EVENTS_STREAM } from '@fillsched/contracts';

/** Server name → what it leads (the JetStream meta group and/or streams, KV buckets included). */
export async function leaderships(jsm: JetStreamManager, metaLeader: string | null) {
  const led = new Map<string, string[]>();
  const add = (server: string | undefined, what: string) => {
    if (server) led.set(server, [...(led.get(server) ?? []), what]);
  };
  add(metaLeader ?? undefined, 'meta');
  for await (const si of jsm.streams.list()) add(si.cluster?.leader, si.config.name);
  return led;
}

/** Messages per subject of the lifecycle stream for one stage of every schedule. */
async function eventsPerSchedule(jsm: JetStreamManager, stage: string): Promise<Map<number, number>> {
  const info = await jsm.streams.info(EVENTS_STREAM, {
    subjects_filter: `fillsched.events.schedule.*.${stage}`,
  });
  const counts = new Map<number, number>();
  for (const [subject, n] of Object.entries(info.state.subjects ?? {}))
    counts.set(Number(subject.split('.')[3]), n);
  return counts;
}

/** Stored solve results per schedule id (job ids are `schedule.<id>`). */
async function resultsPerSchedule(mongoUrl: string): Promise<Map<number, number>> {
  const conn = await mongoose
    .createConnection(mongoUrl, {
      dbName: 'fillsched_solver',
      directConnection: true,
      serverMonitoringMode: 'poll',
    })
    .asPromise();
  try {
    const counts = new Map<number, number>();
    const docs = await conn
      .collection('solve_results')
      .find({}, { projection: { job_id: 1 } })
      .toArray();
    for (const d of docs) {
      const m = /^schedule\.(\d+)$/.exec(String(d.job_id));
      if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
    }
    return counts;
  } finally {
    await conn.close();
  }
}

export interface ExactlyOnceAudit {
  accepted: number;
  completed: number;
  failed: number[];
  /** Accepted but not (provably) completed, nor failed. */
  lost: number[];
  /** More than one stored result or more than one `completed` event. */
  duplicated: number[];
  /** Accepted and started more than once (a redelivery; harmless when it completed once). */
  rerun: number;
  /** Results stored for schedules that were never accepted (a refused create whose job ran anyway). */
  unaccepted: number[];
}

export async function auditExactlyOnce(args: {
  jsm: JetStreamManager;
  mongoUrl: string;
  accepted: number[];
  statusOf: Map<number, string>;
}): Promise<ExactlyOnceAudit> {
  const completedEvents = await eventsPerSchedule(args.jsm, 'completed');
  const startedEvents = await eventsPerSchedule(args.jsm, 'started');
  const results = await resultsPerSchedule(args.mongoUrl);
  const accepted = new Set(args.accepted);
  const status = (id: number) => args.statusOf.get(id);
  // Completed means all three agree: the schedule's status, a stored result, a `completed` event
  // (more than one of either is counted under duplicated).
  const completed = args.accepted.filter(
    (id) => status(id) === 'completed' && (results.get(id) ?? 0) >= 1 && (completedEvents.get(id) ?? 0) >= 1,
  );
  const failed = args.accepted.filter((id) => status(id) === 'failed');
  const settled = new Set([...completed, ...failed]);
  return {
    accepted: accepted.size,
    completed: completed.length,
    failed,
    lost: args.accepted.filter((id) => !settled.has(id)),
    duplicated: args.accepted.filter(
      (id) => (results.get(id) ?? 0) > 1 || (completedEvents.get(id) ?? 0) > 1,
    ),
    rerun: args.accepted.filter((id) => (startedEvents.get(id) ?? 0) > 1).length,
    unaccepted: [...results.keys()].filter((id) => !accepted.has(id)),
  };
}
