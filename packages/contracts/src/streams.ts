import {
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECT,
  EVENTS_STREAM,
  EVENTS_SUBJECTS,
  JOBS_STREAM,
  JOBS_SUBJECT,
  PROGRESS_STREAM,
  SOLVER_CONSUMER,
  USER_JOBS_WILDCARD,
  userJobsSubject,
  userSolverConsumer,
} from './subjects';

/**
 * JetStream topology as plain data (values in the units of the NATS API: durations in nanoseconds).
 * Every service that touches a stream provisions it idempotently at start with the same spec, so
 * start order does not matter. Kept within NATS 2.9 features (one filter subject per consumer).
 */
const NS_PER_S = 1_000_000_000;
const DAY_S = 86_400;

export const STREAM_SPECS = {
  jobs: {
    name: JOBS_STREAM,
    subjects: [JOBS_SUBJECT, USER_JOBS_WILDCARD],
    retention: 'workqueue',
    storage: 'file',
    max_age: 7 * DAY_S * NS_PER_S,
    duplicate_window: 10 * 60 * NS_PER_S,
    max_msg_size: 8 * 1024 * 1024,
  },
  deadLetter: {
    name: DEAD_LETTER_STREAM,
    subjects: [DEAD_LETTER_SUBJECT],
    retention: 'limits',
    storage: 'file',
    max_age: 30 * DAY_S * NS_PER_S,
  },
  events: {
    name: EVENTS_STREAM,
    subjects: [EVENTS_SUBJECTS],
    retention: 'limits',
    storage: 'file',
    max_age: 30 * DAY_S * NS_PER_S,
    duplicate_window: 10 * 60 * NS_PER_S,
  },
  progress: {
    name: PROGRESS_STREAM,
    subjects: ['fillsched.progress.>'],
    retention: 'limits',
    storage: 'file',
    max_msgs_per_subject: 1,
    max_age: 1 * DAY_S * NS_PER_S,
  },
} as const;

export const SOLVER_CONSUMER_SPEC = {
  stream: JOBS_STREAM,
  durable_name: SOLVER_CONSUMER,
  filter_subject: JOBS_SUBJECT,
  ack_policy: 'explicit',
  ack_wait: 30 * NS_PER_S,
  max_deliver: 5,
  max_ack_pending: 1000,
} as const;

/**
 * A user's solver consumer (fair scheduling, see userJobsSubject): the same ack settings as the
 * shared one; removed by the server after a day without use (NATS 2.10+; older servers keep it).
 */
export const userSolverConsumerSpec = (userId: number) =>
  ({
    ...SOLVER_CONSUMER_SPEC,
    durable_name: userSolverConsumer(userId),
    filter_subject: userJobsSubject(userId),
    inactive_threshold: DAY_S * NS_PER_S,
  }) as const;

/** A service following the lifecycle events of its own kind (schedule, comparison). */
export const ownerConsumerSpec = (durable: string, filterSubject: string) =>
  ({
    stream: EVENTS_STREAM,
    durable_name: durable,
    filter_subject: filterSubject,
    ack_policy: 'explicit',
    ack_wait: 30 * NS_PER_S,
    max_deliver: -1,
    deliver_policy: 'all',
  }) as const;

export const KV_SPECS = {
  cancellations: { ttlMs: DAY_S * 1000 },
  revocations: { ttlMs: 2 * DAY_S * 1000 },
  rateLimit: { ttlMs: 2 * 60 * 1000 },
} as const;
