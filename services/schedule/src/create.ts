import {
  jobsLimitExceeded,
  resolveJobConfig,
  solveRequestedEvent,
  type UserWorkload,
} from '@fillsched/job-owner';
import {
  CreateScheduleBodySchema,
  MESSAGES,
  type CloudEvent,
  type SolveJob,
  jobId as makeJobId,
  prefixDetail,
  requestWarnings,
  zodToDetail,
} from '@fillsched/contracts';
import { validateConfig, validateInput } from '@fillsched/engine';
import {
  detail,
  reply,
  unprocessable as invalid,
  type Logger,
  type RpcReply,
  type RpcRequest,
} from '@fillsched/service-kit';
import type { PerUserQueue } from './admissions';
import { fromCsvUpload, isCsvUpload } from './csv-upload';
import type { Announcer } from './lifecycle';
import type {
  Clock,
  ConfigResolver,
  IdAllocator,
  JobPublisher,
  ScheduleRecord,
  ScheduleRepository,
} from './ports';
import { withWarnings } from './replies';

/** At most this many pending + running schedules per user; the next create is refused with 429. */
export const ACTIVE_SCHEDULE_LIMIT = 10;
export const TOO_MANY_SCHEDULES = `Too many concurrent schedules: at most ${ACTIVE_SCHEDULE_LIMIT} may be pending or running per user`;
/** Collection name handed to the IdAllocator. */
export const SCHEDULE_ID_SEQUENCE = 'schedules';

export interface CreateDeps {
  schedules: ScheduleRepository;
  ids: IdAllocator;
  publisher: JobPublisher;
  configResolver: ConfigResolver;
  announcer: Announcer;
  clock: Clock;
  logger: Logger;
  source: string;
  /** Pool-wide queued + running jobs per user, comparisons' included; absent = only the schedule count. */
  workload?: UserWorkload;
  /** One admission per user at a time in this replica (shared by create and replan). */
  admissions: PerUserQueue;
}

/** POST /schedule: validate (JSON or CSV upload), admit under the per-user limit, store, enqueue. */
export function createScheduleHandler(deps: CreateDeps): (req: RpcRequest) => Promise<RpcReply> {
  const { ids, configResolver, clock, logger } = deps;
  return async function create(req) {
    const user = req.user;
    if (!user) return detail(401, MESSAGES.credentials);
    let raw = req.body;
    if (isCsvUpload(raw)) {
      const converted = fromCsvUpload(raw);
      if (!converted.ok) return converted.reply;
      raw = converted.body;
    }
    const parsed = CreateScheduleBodySchema.safeParse(raw);
    if (!parsed.success) return invalid(zodToDetail(parsed.error, 'body'));
    const body = parsed.data;

    // The per-user limits do not depend on the request: read them while the config is resolved,
    // and look at the answer where it always came (after validation), so a 422 still wins.
    const limits = refusedByLimits(deps, user.id);
    limits.catch(() => undefined); // awaited below; a failure surfaces there
    // Resolve first, validate after: a template may make lots valid (lines, windows) that the
    // request's config alone would reject, or invalid (min_batch_size). Without config_id the user's
    // default template (if any) applies under the request's keys. The resolver keeps templates
    // between creates (dropped on the config service's change notices): usually no round trip.
    const resolved = await resolveJobConfig({ configResolver, logger }, user, body, 'scheduling');
    if (resolved.kind === 'reply') return resolved.reply;
    const { config, template_id: templateId } = resolved;
    // Unknown fields are accepted (zod dropped them) but reported and kept with the run.
    const warnings = requestWarnings(CreateScheduleBodySchema, raw, validateConfig(config).warnings);

    const check = validateInput({
      lots_data: body.lots_data,
      config,
      start_time: body.start_time ?? undefined,
    });
    if (!check.valid) return invalid(prefixDetail(check.errors, 'body'));

    const refused = await limits;
    if (refused) return refused;

    const id = await ids.next(SCHEDULE_ID_SEQUENCE);
    const job_id = makeJobId('schedule', id);
    const record: ScheduleRecord = {
      id,
      user_id: user.id,
      name: body.name,
      strategy: body.strategy,
      status: 'pending',
      config,
      config_template_id: templateId,
      lots_data: body.lots_data as Record<string, unknown>[],
      start_time: body.start_time ?? null,
      seed: body.seed ?? null,
      time_limit_s: body.time_limit_s ?? null,
      job_id,
      created_at: clock.now(),
      started_at: null,
      completed_at: null,
      error_message: null,
      warnings,
    };
    const event = solveRequestedEvent({
      source: deps.source,
      job_id,
      owner: { kind: 'schedule', id, user_id: user.id },
      strategy: body.strategy,
      input: { lots_data: body.lots_data, config, start_time: body.start_time },
      seed: body.seed,
      time_limit_s: body.time_limit_s,
      time: record.created_at,
    });
    const notQueued = await storeAndEnqueue(deps, record, event, 'schedule');
    if (notQueued) return notQueued;
    logger.info(
      { schedule_id: id, job_id, strategy: body.strategy, lots: body.lots_data.length, warnings },
      'schedule created',
    );
    return reply(202, withWarnings(record));
  };
}

/** What admitting and enqueueing a new schedule needs (create and replan alike). */
export type EnqueueDeps = Pick<
  CreateDeps,
  'schedules' | 'publisher' | 'announcer' | 'clock' | 'logger' | 'workload' | 'admissions'
>;

/**
 * The per-user limits every new schedule passes before an id is taken: pending + running schedules,
 * then the pool-wide jobs (comparisons' count too). The 429 reply, or null when admitted.
 */
export async function refusedByLimits(
  deps: Pick<EnqueueDeps, 'schedules' | 'workload'>,
  userId: number,
): Promise<RpcReply | null> {
  // Two independent reads (the store, JetStream): asked together, looked at in order.
  const [active, overLimit] = await Promise.all([
    deps.schedules.countActive(userId),
    jobsLimitExceeded(deps.workload, userId, 1),
  ]);
  if (active >= ACTIVE_SCHEDULE_LIMIT) return detail(429, TOO_MANY_SCHEDULES);
  return overLimit ? detail(429, overLimit) : null;
}

/**
 * Stores the pending schedule and enqueues its job. Null once the job is queued; else the reply:
 * 429 when a racing replica took the last slot (the record is removed again), 503 when the job
 * cannot be enqueued (the schedule is marked failed and that is announced).
 */
export async function storeAndEnqueue(
  deps: EnqueueDeps,
  record: ScheduleRecord,
  event: CloudEvent<SolveJob>,
  what: 'schedule' | 'replan',
): Promise<RpcReply | null> {
  const { schedules, publisher, announcer, clock, logger } = deps;
  const id = record.id;
  // Insert, then count every active schedule of the user: of two creates racing past the first
  // check, the one counting last sees the other, so the 11th is never admitted. This replica runs
  // one user's admissions one at a time, so its own creates never refuse each other; two replicas
  // racing for the last slot may both refuse (the client retries), never both admit. (Not by id:
  // ids come in per-replica blocks, so a smaller id is not an earlier create.)
  const refused = await deps.admissions.run(record.user_id, async () => {
    await schedules.create(record);
    if ((await schedules.countActive(record.user_id)) <= ACTIVE_SCHEDULE_LIMIT) return false;
    await schedules.delete(id);
    return true;
  });
  if (refused) return detail(429, TOO_MANY_SCHEDULES);
  try {
    await publisher.publish(event);
    return null;
  } catch (err) {
    const message = `Could not enqueue the ${what}: ${(err as Error)?.message ?? String(err)}`;
    logger.error({ err, schedule_id: id }, 'publishing solve.requested failed');
    const failed = await schedules
      .transition(id, { to: 'failed', error_message: message, completed_at: clock.now() })
      .catch((e: unknown) => {
        logger.error({ err: e, schedule_id: id }, 'could not mark the schedule failed');
        return null;
      });
    if (failed)
      await announcer
        .announce(failed, { error_code: 'SERVICE_UNAVAILABLE' })
        .catch((e: unknown) => logger.warn({ err: e, schedule_id: id }, 'could not announce the failure'));
    return detail(503, message);
  }
}
