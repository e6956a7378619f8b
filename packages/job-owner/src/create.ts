import {
  EVENT_TYPES,
  eventId,
  MESSAGES,
  SolveJobSchema,
  makeEvent,
  type CloudEvent,
  type RpcUser,
  type SolveJob,
} from '@fillsched/contracts';
import { currentCorrelationId, type Logger, type RpcReply } from '@fillsched/service-kit';
import type { ConfigResolver } from './ports';

export type JobConfig =
  | { kind: 'ok'; config: Record<string, unknown>; template_id: number | null }
  /** The request ends here with this reply (the config service's 4xx, or 503). */
  | { kind: 'reply'; reply: RpcReply };

/**
 * The config a new job runs with. Always asks the config service: without config_id the user's
 * default template (if any) applies under the request's keys. Its client errors pass through; when
 * it is unavailable a named template cannot be had (503), but a request without one goes on with
 * its own config alone (`fallback` says with what, in the warning).
 */
export async function resolveJobConfig(
  deps: { configResolver: ConfigResolver; logger: Logger },
  user: RpcUser,
  body: { config_id?: number | null; config?: Record<string, unknown> | null },
  fallback: string,
): Promise<JobConfig> {
  const req = { config_id: body.config_id ?? null, config: body.config ?? null };
  const resolved = await deps.configResolver.resolve(user, req);
  if (resolved.kind === 'resolved')
    return { kind: 'ok', config: resolved.config, template_id: resolved.template_id };
  if (resolved.kind === 'rejected')
    return { kind: 'reply', reply: { status: resolved.status, body: resolved.body } };
  if (req.config_id != null) {
    deps.logger.warn({ reason: resolved.reason, config_id: req.config_id }, 'config service unavailable');
    return { kind: 'reply', reply: { status: 503, body: { detail: MESSAGES.serviceUnavailable('config') } } };
  }
  deps.logger.warn(
    { reason: resolved.reason, user_id: user.id },
    `config service unavailable: ${fallback} with the request config only (default template not applied)`,
  );
  return { kind: 'ok', config: req.config ?? {}, template_id: null };
}

/**
 * The `solve.requested` event of one job. Its id is derived from the job id, so a retried publish
 * is dropped by the stream's duplicate window.
 */
export function solveRequestedEvent(args: {
  source: string;
  job_id: string;
  owner: SolveJob['owner'];
  strategy: string;
  input: {
    lots_data: unknown;
    config: Record<string, unknown>;
    start_time?: string | null;
    replan?: Record<string, unknown>;
  };
  seed?: number | null;
  time_limit_s?: number | null;
  time: Date;
}): CloudEvent<SolveJob> {
  const job: SolveJob = SolveJobSchema.parse({
    job_id: args.job_id,
    owner: args.owner,
    strategy: args.strategy,
    input: {
      lots_data: args.input.lots_data,
      config: args.input.config,
      start_time: args.input.start_time ?? null,
      ...(args.input.replan ? { replan: args.input.replan } : {}),
    },
    ...(args.seed != null ? { seed: args.seed } : {}),
    ...(args.time_limit_s != null ? { time_limit_s: args.time_limit_s } : {}),
  });
  return makeEvent({
    type: EVENT_TYPES.solveRequested,
    source: args.source,
    subject: args.job_id,
    id: eventId(EVENT_TYPES.solveRequested, { job_id: args.job_id }),
    correlationid: currentCorrelationId(),
    time: args.time,
    data: job,
  });
}
