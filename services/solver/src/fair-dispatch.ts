import {
  JOBS_STREAM,
  SOLVER_CONSUMER,
  USER_JOBS_WILDCARD,
  userOfJobsSubject,
  userSolverConsumer,
  userSolverConsumerSpec,
} from '@fillsched/contracts';
import type { Logger } from '@fillsched/service-kit';
import type { Consumer, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { SolverWorker } from './app';
import { toJobMessage } from './adapters/nats';
import type { JobConsumer } from './consumer';

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

/**
 * The load of every user with jobs in the stream: per-user subject counts from the stream (one
 * request), then each such user's consumer (created on first sight) for queued vs running.
 */
export async function readUserLoads(jsm: JetStreamManager, known: Set<number>): Promise<UserLoad[]> {
  const info = await jsm.streams.info(JOBS_STREAM, { subjects_filter: USER_JOBS_WILDCARD });
  const users = Object.entries(info.state.subjects ?? {})
    .filter(([, n]) => n > 0)
    .map(([subject, n]) => ({ user: userOfJobsSubject(subject), inStream: n }))
    .filter((u): u is { user: number; inStream: number } => u.user !== null);
  return Promise.all(
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
      const c = await jsm.consumers.info(JOBS_STREAM, userSolverConsumer(user));
      return { user, queued: c.num_pending, running: c.num_ack_pending, inStream };
    }),
  );
}

/**
 * `concurrency` pull loops like startJobConsumer, but each free slot first looks for the user to
 * serve (chooseUser over readUserLoads, shared by the slots and refreshed every `refreshMs`) and
 * pulls one job from that user's consumer. With no per-user job queued it waits on the shared
 * consumer (bare subject: replays, older publishers) for up to `idleWaitMs`, then looks again.
 */
export async function startFairJobConsumer(opts: {
  js: JetStreamClient;
  jsm: JetStreamManager;
  worker: SolverWorker;
  concurrency: number;
  logger: Logger;
  /** How long an idle slot waits on the shared consumer before looking at the users again. */
  idleWaitMs?: number;
  refreshMs?: number;
}): Promise<JobConsumer> {
  const { js, jsm, worker, logger } = opts;
  const idleWaitMs = opts.idleWaitMs ?? 500;
  const refreshMs = opts.refreshMs ?? 200;
  const shared = await js.consumers.get(JOBS_STREAM, SOLVER_CONSUMER);
  const consumers = new Map<number, Consumer>();
  const knownUsers = new Set<number>();
  const lastServed = new Map<number, number>();
  const lastSwept = new Map<number, number>();
  let servedSeq = 0;
  let idleTurn = 0;
  let snapshot: { at: number; loads: Promise<UserLoad[]> } | undefined;
  let stopped = false;
  let pulling = opts.concurrency;

  const loads = (): Promise<UserLoad[]> => {
    const now = Date.now();
    if (!snapshot || now - snapshot.at >= refreshMs) {
      const p = readUserLoads(jsm, knownUsers);
      snapshot = { at: now, loads: p };
      p.catch(() => (snapshot = undefined));
    }
    return snapshot.loads;
  };

  const consumerOf = async (user: number): Promise<Consumer> => {
    let c = consumers.get(user);
    if (!c) {
      c = await js.consumers.get(JOBS_STREAM, userSolverConsumer(user));
      consumers.set(user, c);
    }
    return c;
  };

  const pullOne = async (): Promise<JsMsg | null> => {
    const user = chooseUser(await loads(), lastServed);
    if (user === null) {
      // Nothing never-delivered on user subjects: take turns between the shared consumer and a
      // user whose jobs may be due for redelivery, so neither waits on the other.
      const sweep = idleTurn++ % 2 === 0 ? chooseSweep(await loads(), lastSwept) : null;
      if (sweep === null) return shared.next({ expires: Math.max(idleWaitMs, 1000) });
      lastSwept.set(sweep, ++servedSeq);
      return (await consumerOf(sweep)).next({ expires: Math.max(idleWaitMs, 1000) });
    }
    lastServed.set(user, ++servedSeq);
    // Counted as running from now on in this process's snapshot, so the next free slot looks
    // past this user until the snapshot is refreshed.
    const current = await loads();
    const load = current.find((l) => l.user === user);
    if (load) {
      load.queued -= 1;
      load.running += 1;
    }
    const msg = await (await consumerOf(user)).next({ expires: 1000 });
    if (!msg) snapshot = undefined; // someone else took it: look again at once
    return msg;
  };

  const loop = async (slot: number) => {
    while (!stopped) {
      let msg: JsMsg | null;
      try {
        msg = await pullOne();
      } catch (err) {
        if (stopped) break;
        consumers.clear(); // a consumer removed for inactivity is created again on the next look
        knownUsers.clear();
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
      await worker.handleJob(toJobMessage(msg, logger));
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
      await Promise.all(loops);
    },
    isPulling: () => !stopped && pulling > 0,
  };
}
