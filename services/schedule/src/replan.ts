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
import { detail, reply, type RpcReply, type RpcRequest } from '@fillsched/service-kit';
import { SCHEDULE_ID_SEQUENCE, refusedByLimits, storeAndEnqueue, type EnqueueDeps } from './create';
import type { IdAllocator, ResultRepository, ScheduleRecord } from './ports';

/** The create path's admission and enqueueing (create.ts), plus what a replan reads of its parent. */
export interface ReplanDeps extends EnqueueDeps {
  results: ResultRepository;
  ids: IdAllocator;
  eventSource: string;
  summary: (r: ScheduleRecord) => ScheduleSummary;
}

export function createReplanHandler(deps: ReplanDeps): (req: RpcRequest) => Promise<RpcReply> {
  const { schedules, results, ids, clock, logger } = deps;

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
        kpis: result.summary.kpis,
        makespan: result.summary.makespan,
        utilization: result.summary.utilization,
        window_violations: result.summary.window_violations,
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

    const refused = await refusedByLimits(deps, user.id);
    if (refused) return refused;
    const id = await ids.next(SCHEDULE_ID_SEQUENCE);
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
    const notQueued = await storeAndEnqueue(deps, record, event, 'replan');
    if (notQueued) return notQueued;
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
