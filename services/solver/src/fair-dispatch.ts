import {
  JOBS_STREAM,
  JOBS_SUBJECT,
  SOLVER_CONSUMER,
  userOfJobsSubject,
  userSolverConsumer,
  userSolverConsumerSpec,
} from '@fillsched/contracts';
import type { Logger } from '@fillsched/service-kit';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { SolverWorker } from './app';
import type { JobConsumer } from './consumer';
import type { Doorbell } from './doorbell';
import type { JobMessage } from './ports';

/** Every subject of the jobs stream: the bare JOBS_SUBJECT and each user's. */
const JOBS_SUBJECTS_FILTER = 'fillsched.jobs.>';

/**
 * One user's share of the queue: jobs waiting (never delivered), jobs delivered and not acked
 * (running, or waiting for redelivery after their worker died: JetStream counts both as ack
 * pending), and all the user's messages in the stream.
 */
export interface UserLoad {
  user: number;
  queued: number;
  running: number;
  inStream: number;
}

/**
 * Fair choice among users with queued jobs: the fewest running first (a user with nothing running
 * beats one holding every solver), then the one this process served longest ago (round robin), then
 * the lowest id. Pure, so the policy is tested without a server.
 */
export function chooseUser(
  loads: readonly UserLoad[],
  lastServed: ReadonlyMap<number, number>,
): number | null {
  let best: UserLoad | null = null;
  const served = (u: number) => lastServed.get(u) ?? -1;
  for (const l of loads) {
    if (l.queued <= 0) continue;
    if (
      !best ||
      l.running < best.running ||
      (l.running === best.running &&
        (served(l.user) < served(best.user) || (served(l.user) === served(best.user) && l.user < best.user)))
    )
      best = l;
  }
  return best?.user ?? null;
}

/**
 * A user whose jobs are all delivered but not acked: one of them may be due for redelivery (its
 * worker died), which no `num_pending` shows. An idle slot pulls from such users in turn (least
 * recently swept first), so redeliveries are taken as before; a pull that finds nothing due
 * just expires.
 */
export function chooseSweep(
  loads: readonly UserLoad[],
  lastSwept: ReadonlyMap<number, number>,
): number | null {
  let best: UserLoad | null = null;
  const swept = (u: number) => lastSwept.get(u) ?? -1;
  for (const l of loads) {
    if (l.inStream <= 0) continue;
    if (!best || swept(l.user) < swept(best.user)) best = l;
  }
  return best?.user ?? null;
}

/** The queue as a free slot sees it: per-user loads and the jobs on the bare subject. */
export interface QueueLoads {
  users: UserLoad[];
  /** Messages on the bare JOBS_SUBJECT (dead-letter replays, older publishers), delivered or not. */
  shared: number;
}

/**
 * The load of every user with jobs in the stream: per-subject counts from the stream (one
 * request), then each such user's consumer (created on first sight) for queued vs running.
 * The consumers of `rung` users (a job of theirs was just queued: the doorbell's notices) are
 * asked beside the stream instead of after it, when already known: the slot a notice woke takes its
 * job one round trip sooner, from the same figures (asked after the job was stored).
 */
export async function readQueueLoads(
  jsm: JetStreamManager,
  known: Set<number>,
  rung: readonly number[] = [],
): Promise<QueueLoads> {
  const early = new Map(
    rung
      .filter((user) => known.has(user))
      .map((user) => [user, jsm.consumers.info(JOBS_STREAM, userSolverConsumer(user))] as const),
  );
  // One whose user turns out to have nothing in the stream (taken meanwhile) is not awaited.
  for (const asked of early.values()) asked.catch(() => undefined);
  const info = await jsm.streams.info(JOBS_STREAM, { subjects_filter: JOBS_SUBJECTS_FILTER });
  const counts = Object.entries(info.state.subjects ?? {}).filter(([, n]) => n > 0);
  const shared = counts.find(([subject]) => subject === JOBS_SUBJECT)?.[1] ?? 0;
  const users = counts
    .map(([subject, n]) => ({ user: userOfJobsSubject(subject), inStream: n }))
    .filter((u): u is { user: number; inStream: number } => u.user !== null);
  const loads = await Promise.all(
    users.map(async ({ user, inStream }) => {
      if (!known.has(user)) {
        const { stream, ...config } = userSolverConsumerSpec(user);
        // Idempotent: the same config from every replica.
        await jsm.consumers.add(
          stream,
          config as unknown as Parameters<JetStreamManager['consumers']['add']>[1],
        );
        known.add(user);
      }
      const c = await (early.get(user) ?? jsm.consumers.info(JOBS_STREAM, userSolverConsumer(user)));
      return { user, queued: c.num_pending, running: c.num_ack_pending, inStream };
    }),
  );
  return { users: loads, shared };
}

/** One job from a durable if it has one available now (never waits): adapters/take.ts. */
export type JobTaker = (stream: string, consumer: string) => Promise<JobMessage | null>;

/** Empty takes in a row from users the loads showed with queued jobs before a slot idles anyway. */
const MAX_EMPTY_TAKES = 3;

/**
 * `concurrency` slots; a free slot looks for the user to serve (chooseUser over readQueueLoads,
 * shared by the slots and refreshed every `refreshMs` or after a doorbell ring) and takes one job
 * from that user's consumer. With no job never delivered it tries the bare subject's consumer and
 * one user whose jobs may be due for redelivery (chooseSweep) — each take answers at once, found
 * or not — then waits on the doorbell, which the owners' notice rings when a job is queued, for
 * at most `idleWaitMs` before looking again.
 */
export async function startFairJobConsumer(opts: {
  jsm: JetStreamManager;
  take: JobTaker;
  doorbell: Doorbell;
  worker: SolverWorker;
  concurrency: number;
  logger: Logger;
  /** How long an idle slot waits for a ring before looking at the queue again. */
  idleWaitMs?: number;
  refreshMs?: number;
}): Promise<JobConsumer> {
  const { jsm, take, doorbell, worker, logger } = opts;
  const idleWaitMs = opts.idleWaitMs ?? 1000;
  const refreshMs = opts.refreshMs ?? 200;
  const knownUsers = new Set<number>();
  const lastServed = new Map<number, number>();
  const lastSwept = new Map<number, number>();
  let servedSeq = 0;
  let emptyTakes = 0;
  /** A snapshot is stale after refreshMs, or once the doorbell rang after its read began. */
  let snapshot: { at: number; ring: number; loads: Promise<QueueLoads> } | undefined;
  let stopped = false;
  let pulling = opts.concurrency;

  const loads = (): Promise<QueueLoads> => {
    const now = Date.now();
    const ring = doorbell.generation();
    if (!snapshot || now - snapshot.at >= refreshMs || snapshot.ring !== ring) {
      const p = readQueueLoads(jsm, knownUsers, doorbell.takeUsers());
      snapshot = { at: now, ring, loads: p };
      p.catch(() => (snapshot = undefined));
    }
    return snapshot.loads;
  };

  const pullOne = async (): Promise<JobMessage | null> => {
    const looked = doorbell.generation();
    const current = await loads();
    const user = emptyTakes < MAX_EMPTY_TAKES ? chooseUser(current.users, lastServed) : null;
    if (user !== null) {
      lastServed.set(user, ++servedSeq);
      // Counted as running from now on in this process's snapshot, so the next free slot looks
      // past this user until the snapshot is refreshed.
      const load = current.users.find((l) => l.user === user);
      if (load) {
        load.queued -= 1;
        load.running += 1;
      }
      const msg = await take(JOBS_STREAM, userSolverConsumer(user));
      if (msg) emptyTakes = 0;
      else {
        emptyTakes += 1; // someone else took it: look again at once
        snapshot = undefined;
      }
      return msg;
    }
    emptyTakes = 0;
    // Nothing never-delivered on user subjects: a job on the bare subject, or one whose worker
    // died (due for redelivery after ack_wait, which no num_pending shows).
    if (current.shared > 0) {
      const msg = await take(JOBS_STREAM, SOLVER_CONSUMER);
      if (msg) return msg;
    }
    const sweep = chooseSweep(current.users, lastSwept);
    if (sweep !== null) {
      lastSwept.set(sweep, ++servedSeq);
      const msg = await take(JOBS_STREAM, userSolverConsumer(sweep));
      if (msg) return msg;
    }
    await doorbell.wait(idleWaitMs, looked);
    return null;
  };

  const loop = async (slot: number) => {
    while (!stopped) {
      let msg: JobMessage | null;
      try {
        msg = await pullOne();
      } catch (err) {
        if (stopped) break;
        knownUsers.clear(); // a consumer removed for inactivity is created again on the next look
        snapshot = undefined;
        logger.warn({ err, slot }, 'fair pull failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (!msg) continue;
      if (stopped) {
        msg.nak();
        break;
      }
      snapshot = undefined; // a job started: loads changed
      await worker.handleJob(msg);
      snapshot = undefined;
    }
  };

  const loops = Array.from({ length: opts.concurrency }, (_, slot) =>
    loop(slot)
      .catch((err) => logger.error({ err, slot }, 'pull loop ended with an error'))
      .finally(() => (pulling -= 1)),
  );
  logger.info({ concurrency: opts.concurrency }, 'consuming solve jobs (fair between users)');
  return {
    async stop() {
      stopped = true;
      doorbell.ring(); // idle slots stop waiting
      await Promise.all(loops);
    },
    isPulling: () => !stopped && pulling > 0,
  };
}
