// One place for every NATS name, so publishers and consumers cannot drift apart.
// Naming: fillsched.<plane>.<...>; request/reply lives under `rpc`, durable work under `jobs`,
// lifecycle events under `events`, last-value progress under `progress`.

export const SERVICES = ['auth', 'schedule', 'comparison', 'config', 'solver'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Request/reply subject of one operation; responders subscribe in the queue group named after the service. */
export const rpcSubject = (service: ServiceName, op: string): string => `fillsched.rpc.${service}.${op}`;

export const RPC = {
  auth: {
    register: rpcSubject('auth', 'register'),
    login: rpcSubject('auth', 'login'),
    me: rpcSubject('auth', 'me'),
    refresh: rpcSubject('auth', 'refresh'),
    logout: rpcSubject('auth', 'logout'),
    /** Public verification key(s) of the token issuer (the gateway verifies JWTs locally). */
    keys: rpcSubject('auth', 'keys'),
    /** The same keys as a JSON Web Key Set (RFC 7517), for any other verifier of our tokens. */
    jwks: rpcSubject('auth', 'jwks'),
    /** API keys of the calling user (REST: /auth/api-keys): create (shown once), list, revoke. */
    apiKeyCreate: rpcSubject('auth', 'apikey.create'),
    apiKeyList: rpcSubject('auth', 'apikey.list'),
    apiKeyRevoke: rpcSubject('auth', 'apikey.revoke'),
    /** Internal (gateway): resolves a presented API key to its user and scopes, or 401. */
    apiKeyVerify: rpcSubject('auth', 'apikey.verify'),
  },
  schedule: {
    create: rpcSubject('schedule', 'create'),
    get: rpcSubject('schedule', 'get'),
    list: rpcSubject('schedule', 'list'),
    delete: rpcSubject('schedule', 'delete'),
    export: rpcSubject('schedule', 'export'),
    /** One page of a completed schedule's activities (optionally of one line). */
    activities: rpcSubject('schedule', 'activities'),
    validate: rpcSubject('schedule', 'validate'),
    strategies: rpcSubject('schedule', 'strategies'),
    /** Re-plan a completed schedule after a disruption (a new schedule, parent_id + version). */
    replan: rpcSubject('schedule', 'replan'),
    /**
     * Internal: one page of a completed schedule's full document for the events bridge's results
     * topic (kafka-results.ts); no user, allowed to the events-bridge NATS identity only.
     */
    resultExport: rpcSubject('schedule', 'result-export'),
  },
  comparison: {
    create: rpcSubject('comparison', 'create'),
    get: rpcSubject('comparison', 'get'),
    list: rpcSubject('comparison', 'list'),
    delete: rpcSubject('comparison', 'delete'),
    /** Internal: a completed comparison's GET document for the events bridge's results topic (no user). */
    resultExport: rpcSubject('comparison', 'result-export'),
  },
  config: {
    create: rpcSubject('config', 'create'),
    get: rpcSubject('config', 'get'),
    list: rpcSubject('config', 'list'),
    update: rpcSubject('config', 'update'),
    delete: rpcSubject('config', 'delete'),
    setDefault: rpcSubject('config', 'set-default'),
    getDefault: rpcSubject('config', 'get-default'),
    validate: rpcSubject('config', 'validate'),
    systemDefault: rpcSubject('config', 'system-default'),
    /** Internal: resolve {config_id?, config?} for a user into the effective config (schedule/comparison call it). */
    resolve: rpcSubject('config', 'resolve'),
  },
  solver: {
    /** Internal: one page of a stored solve result (activities are paged to stay under NATS max_payload). */
    result: rpcSubject('solver', 'result'),
  },
} as const;

/**
 * Health of one service replica (queue group = service): `{ status: 200|503, body: { checks } }`
 * with the same checks as its /readyz (NATS, store). The gateway's /health asks the database-backed
 * services, so a store outage shows there too. Not an API operation, so not in RPC.
 */
export const healthSubject = (service: ServiceName): string => rpcSubject(service, 'health');

/** JetStream work queue for solve jobs (WorkQueue retention, one durable pull consumer shared by all solvers). */
export const JOBS_STREAM = 'FILLSCHED_JOBS';
export const JOBS_SUBJECT = 'fillsched.jobs.solve';
export const SOLVER_CONSUMER = 'solver';
/**
 * Fair scheduling between users (docs/architecture.md, "Fairness"): owners publish each job on its
 * user's subject `fillsched.jobs.solve.u<user_id>` in the same work-queue stream; every user with
 * queued jobs gets a durable pull consumer `solver-u<user_id>` on that subject, and a free solver
 * slot pulls from the user with the fewest jobs running. The bare JOBS_SUBJECT (dead-letter
 * replays, jobs published before the change) stays on the shared `solver` consumer.
 */
export const USER_JOBS_WILDCARD = `${JOBS_SUBJECT}.>`;
export const userJobsSubject = (userId: number): string => `${JOBS_SUBJECT}.u${userId}`;
export const userSolverConsumer = (userId: number): string => `${SOLVER_CONSUMER}-u${userId}`;
/** The user id of a per-user jobs subject, or null for any other subject. */
export function userOfJobsSubject(subject: string): number | null {
  const m = /^fillsched\.jobs\.solve\.u(\d+)$/.exec(subject);
  return m ? Number(m[1]) : null;
}
/** Poison or exhausted jobs are copied here (Limits retention) with the failure reason. */
export const DEAD_LETTER_STREAM = 'FILLSCHED_DEAD_LETTER';
export const DEAD_LETTER_SUBJECT = 'fillsched.dlq.solve';

/** Replayable lifecycle stream for the platform and downstream teams (Limits retention). */
export const EVENTS_STREAM = 'FILLSCHED_EVENTS';
export const EVENTS_SUBJECTS = 'fillsched.events.>';
export type JobOwnerKind = 'schedule' | 'comparison';
/** Subject stages on the events stream: the solver's (see LIFECYCLE in lifecycle.ts). */
export type LifecycleStage = 'requested' | 'started' | 'completed' | 'failed' | 'cancelled';
export const lifecycleSubject = (kind: JobOwnerKind, id: number, stage: LifecycleStage): string =>
  `fillsched.events.${kind}.${id}.${stage}`;
/**
 * Durable consumers of the owners: each service follows the solver's stage events of its own kind,
 * `fillsched.events.<kind>.<id>.<stage>` (five tokens), and not the statuses it publishes itself
 * (`fillsched.events.schedule.<id>.status.<status>`, six tokens), which it would only ack unread.
 * One filter subject (NATS 2.9). A comparison's own `fillsched.events.comparison.<id>.finished`
 * has five tokens too, so its service still receives that one event per comparison (and ignores it).
 */
export const ownerEventsFilter = (kind: JobOwnerKind): string => `fillsched.events.${kind}.*.*`;

/** Last-value cache of progress: max one message per subject, so a late subscriber can read the latest. */
export const PROGRESS_STREAM = 'FILLSCHED_PROGRESS';
export const progressSubject = (kind: JobOwnerKind, id: number): string => `fillsched.progress.${kind}.${id}`;

/** Core NATS broadcast telling solvers to abort a job; the KV bucket below remembers it for jobs not yet started. */
export const CANCEL_SUBJECT = 'fillsched.control.cancel';
export const CANCELLATIONS_BUCKET = 'fillsched-cancellations';
/**
 * Core NATS notice `{job_id, user_id}` an owner sends once a solve job is stored in JOBS_STREAM, so
 * an idle solver slot looks at the queue at once instead of at its next idle re-check (a lost
 * notice costs that re-check, never the job: the job is in the stream). No queue group: every
 * solver replica hears it.
 */
export const JOB_QUEUED_SUBJECT = 'fillsched.control.job-queued';
/**
 * Core NATS notice `{schedule_id}` the schedule service replica that deleted a schedule sends its
 * peers (no queue group), so none of them answers a GET from its cached copy afterwards.
 */
export const SCHEDULE_DELETED_SUBJECT = 'fillsched.control.schedule-deleted';
/**
 * Core NATS notice (ConfigChangedNotice) the config service sends after a template was updated or
 * deleted or a user's default changed, and BEFORE it answers that request (no queue group): owners
 * that keep resolved templates (job-owner's CachingConfigResolver) drop them, so a create sent after
 * the change was answered resolves the new config. On one NATS server the notice reaches them ahead
 * of any request sent after that answer (one connection's messages stay in order).
 */
export const CONFIG_CHANGED_SUBJECT = 'fillsched.control.config-changed';
export interface ConfigChangedNotice {
  /** The template updated or deleted; null when only a default changed. */
  template_id: number | null;
  /** The user whose default changed; null for a template change. */
  user_id: number | null;
}
/** Revoked token ids (jti / session family), watched by every gateway replica: no network call per request. */
export const REVOCATIONS_BUCKET = 'fillsched-revocations';
/** Shared rate-limit counters of all gateway replicas. */
export const RATE_LIMIT_BUCKET = 'fillsched-ratelimit';

/** Job ids double as KV keys and CloudEvent subjects: only [A-Za-z0-9._-]. */
export const jobId = (kind: JobOwnerKind, id: number, strategy?: string): string =>
  kind === 'schedule' ? `schedule.${id}` : `comparison.${id}.${strategy}`;

/** The comparison service's own aggregate event once every strategy job has ended (not a solver stage). */
export const comparisonFinishedSubject = (id: number): string => `fillsched.events.comparison.${id}.finished`;
