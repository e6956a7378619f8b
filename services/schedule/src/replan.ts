/**
 * POST /schedule/{id}/replan: re-plans a completed schedule after a disruption. The engine checks the
 * request against the parent (prepareReplan: exact locs, nothing stored on 422); the new schedule is
 * an ordinary one (same lifecycle, solver pool, progress) with parent_id and version, and its job
 * carries the replan context (the parent's frozen prefix and plan) to the solver.
 */
import { loadOwnedRecord, solveRequestedEvent } from '@fillsched/job-owner';
import {
  MESSAGES,
  ReplanBodySchema,
  jobId as makeJobId,
  prefixDetail,
  zodToDetail,
  type ScheduleSummary,
} from '@fillsched/contracts';
import { prepareReplan } from '@fillsched/engine';
import type { Logger, RpcReply, RpcRequest } from '@fillsched/service-kit';
import type {
  Clock,
  IdAllocator,
  JobPublisher,
  ResultRepository,
  ScheduleRecord,
  ScheduleRepository,
} from './ports';

export interface ReplanDeps {
  schedules: ScheduleRepository;
  results: ResultRepository;
  ids: IdAllocator;
  publisher: JobPublisher;
  clock: Clock;
  logger: Logger;
  /** the create path's rules, shared: id sequence, per-user limit and its message, event source, summary */
  sequence: string;
  activeLimit: number;
  tooMany: string;
  eventSource: string;
  summary: (r: ScheduleRecord) => ScheduleSummary;
}

const reply = (status: number, body: unknown): RpcReply => ({ status, body });
const detail = (status: number, message: string): RpcReply => reply(status, { detail: message });

export function createReplanHandler(deps: ReplanDeps): (req: RpcRequest) => Promise<RpcReply> {
  const { schedules, results, ids, publisher, clock, logger } = deps;

  return async function replan(req: RpcRequest): Promise<RpcReply> {
    const owned = await loadOwnedRecord<ScheduleRecord>(
      req,
      (id) => schedules.get(id),
      MESSAGES.scheduleNotFound,
    );
    if (!owned.ok) return owned.reply;
    const { user, record: parent } = owned;
    // owner only: a replan is a new schedule of the parent's owner, so nobody else (not even an admin) makes one
    if (parent.user_id !== user.id) return detail(404, MESSAGES.scheduleNotFound);
    if (parent.status !== 'completed')
      return detail(409, `Only a completed schedule can be re-planned (status: ${parent.status})`);
    const parsed = ReplanBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) return reply(422, { detail: zodToDetail(parsed.error, 'body') });
    const body = parsed.data;
    const result = await results.get(parent.id);
    if (!result) return detail(409, 'Schedule result is not available');

    const prep = prepareReplan(
      {
        id: parent.id,
        input: { lots_data: parent.lots_data, config: parent.config, start_time: parent.start_time },
        activities: result.activities,
        kpis: result.kpis,
        makespan: result.makespan,
        utilization: result.utilization,
        window_violations: result.window_violations,
      },
      {
        at: body.at ?? null,
        disruptions: body.disruptions,
        freeze: body.freeze,
        config: body.config ?? null,
        stability: body.stability ?? null,
      },
      clock.now(),
    );
    if (!prep.ok) return reply(422, { detail: prefixDetail(prep.errors, 'body') });

    if ((await schedules.countActive(user.id)) >= deps.activeLimit) return detail(429, deps.tooMany);
    const id = await ids.next(deps.sequence);
    const version = (parent.version ?? 1) + 1;
    const job_id = makeJobId('schedule', id);
    const strategy = body.strategy ?? parent.strategy;
    const record: ScheduleRecord = {
      id,
      user_id: user.id,
      name: body.name ?? `${parent.name} (replan ${version})`.slice(0, 200),
      strategy,
      status: 'pending',
      config: prep.input.config,
      config_template_id: parent.config_template_id,
      lots_data: prep.input.lots_data,
      start_time: prep.input.start_time,
      seed: body.seed ?? parent.seed,
      time_limit_s: body.time_limit_s ?? parent.time_limit_s,
      job_id,
      created_at: clock.now(),
      started_at: null,
      completed_at: null,
      error_message: null,
      warnings: [],
      parent_id: parent.id,
      version,
    };
    await schedules.create(record);
    if ((await schedules.countActive(user.id, { maxId: id })) > deps.activeLimit) {
      await schedules.delete(id);
      return detail(429, deps.tooMany);
    }
    const event = solveRequestedEvent({
      source: deps.eventSource,
      job_id,
      owner: { kind: 'schedule', id, user_id: user.id },
      strategy,
      input: {
        lots_data: prep.input.lots_data,
        config: prep.input.config,
        start_time: prep.input.start_time,
        replan: { ...prep.context } as unknown as Record<string, unknown>,
      },
      seed: record.seed,
      time_limit_s: record.time_limit_s,
      time: record.created_at,
    });
    try {
      await publisher.publish(event);
    } catch (err) {
      const message = `Could not enqueue the replan: ${(err as Error)?.message ?? String(err)}`;
      logger.error({ err, schedule_id: id }, 'publishing solve.requested failed');
      await schedules
        .transition(id, { to: 'failed', error_message: message, completed_at: clock.now() })
        .catch((e: unknown) =>
          logger.error({ err: e, schedule_id: id }, 'could not mark the schedule failed'),
        );
      return detail(503, message);
    }
    logger.info(
      {
        schedule_id: id,
        parent_id: parent.id,
        version,
        job_id,
        disruptions: body.disruptions.length,
        frozen: prep.context.frozen.length,
      },
      'replan created',
    );
    return reply(202, deps.summary(record));
  };
}
