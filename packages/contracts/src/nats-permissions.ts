// Who may publish and subscribe to what on NATS: one identity (user) per service, each limited to
// the subjects its code uses (derived from RPC, the stream specs and the KV buckets below), so a
// client with no credentials cannot connect at all and one with another service's credentials can
// neither read auth traffic nor send an RPC "as" a user. docs/security.md prints this matrix.
import {
  CANCEL_SUBJECT,
  JOB_QUEUED_SUBJECT,
  SCHEDULE_DELETED_SUBJECT,
  CONFIG_CHANGED_SUBJECT,
  CANCELLATIONS_BUCKET,
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECT,
  EVENTS_STREAM,
  JOBS_STREAM,
  JOBS_SUBJECT,
  PROGRESS_STREAM,
  RATE_LIMIT_BUCKET,
  REVOCATIONS_BUCKET,
  RPC,
  healthSubject,
  type ServiceName,
} from './subjects';
import { WS_HISTORY_PREFIX, WS_HISTORY_STREAM } from './ws';

export const NATS_IDENTITIES = [
  'gateway',
  'auth',
  'schedule',
  'comparison',
  'config',
  'solver',
  'events-bridge',
] as const;
export type NatsIdentity = (typeof NATS_IDENTITIES)[number];

/** KV bucket of the schedule service's id counters (owned by the schedule service alone). */
export const SCHEDULE_COUNTERS_BUCKET = 'fillsched-schedule-counters';

/**
 * Reply inbox of an identity: requests carry `_INBOX.<identity>.<nuid>` as reply subject, and an
 * identity may subscribe to its own inboxes only, so no one reads another service's replies (the
 * gateway's login answers hold tokens).
 */
export const natsInboxPrefix = (identity: string): string => `_INBOX.${identity}`;

export interface NatsPermissions {
  /** Subjects the identity may publish to (requests, events, JetStream API calls, acks). */
  publish: string[];
  /** Subjects the identity may subscribe to (its responders, its inbox, core event relays). */
  subscribe: string[];
  /** Responders: may answer the reply subject of a request they received (once, within a minute). */
  respond: boolean;
}

const ops = <T extends Record<string, string>>(o: T, except: Array<keyof T> = []): string[] =>
  Object.entries(o)
    .filter(([k]) => !except.includes(k))
    .map(([, v]) => v);

const responder = (service: ServiceName): string => `fillsched.rpc.${service}.>`;
const kvStream = (bucket: string): string => `KV_${bucket}`;

/** Reading a stream: its info, single messages (KV gets, last progress), ordered/durable consumers and their acks. */
function readStream(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.ACK.${stream}.>`,
    `$JS.FC.${stream}.>`,
  ];
}
/** Provisioning a stream (every service creates what it uses, idempotently, at start) and reading it. */
const ownStream = (stream: string): string[] => [
  `$JS.API.STREAM.CREATE.${stream}`,
  `$JS.API.STREAM.UPDATE.${stream}`,
  ...readStream(stream),
];
/** A KV bucket: provision, read/watch and put (`$KV.<bucket>.<key>`). */
const ownBucket = (bucket: string): string[] => [...ownStream(kvStream(bucket)), `$KV.${bucket}.>`];

const JS_INFO = '$JS.API.INFO';
/** The services that answer healthSubject (their store's readiness) for the gateway's /health. */
const STORE_SERVICES: ServiceName[] = ['auth', 'schedule', 'comparison', 'config'];
const ALL_STREAMS = [JOBS_STREAM, DEAD_LETTER_STREAM, EVENTS_STREAM, PROGRESS_STREAM];

/** The owner services (schedule, comparison) provision every stream (start order never matters). */
const owner = (kind: 'schedule' | 'comparison'): string[] => [
  JS_INFO,
  ...ALL_STREAMS.flatMap(ownStream),
  ...ownBucket(CANCELLATIONS_BUCKET),
  JOBS_SUBJECT,
  // fair dispatch: each user's jobs on their own subject (fillsched.jobs.solve.u<id>)
  `${JOBS_SUBJECT}.>`,
  `fillsched.events.${kind}.>`,
  CANCEL_SUBJECT,
  // wakes idle solver slots once a job is queued
  JOB_QUEUED_SUBJECT,
  RPC.config.resolve,
  RPC.solver.result,
];

export const NATS_PERMISSIONS: Record<NatsIdentity, NatsPermissions> = {
  gateway: {
    // Every public operation, never the internal ones (config.resolve, solver.result, *.result-export).
    publish: [
      ...ops(RPC.auth),
      ...ops(RPC.schedule, ['resultExport']),
      ...ops(RPC.comparison, ['resultExport']),
      ...ops(RPC.config, ['resolve']),
      // /health asks the store-backed services for their own readiness
      ...STORE_SERVICES.map(healthSubject),
      JS_INFO,
      // the WebSocket channel history: the gateway provisions the streams it follows and its own
      ...ownStream(EVENTS_STREAM),
      ...ownStream(PROGRESS_STREAM),
      ...ownStream(WS_HISTORY_STREAM),
      `${WS_HISTORY_PREFIX}.>`,
      ...ownBucket(REVOCATIONS_BUCKET),
      ...ownBucket(RATE_LIMIT_BUCKET),
    ],
    // WebSocket relay: core subscriptions to progress and lifecycle events; deleted schedules
    // leave the reply cache.
    subscribe: ['fillsched.progress.>', 'fillsched.events.>', SCHEDULE_DELETED_SUBJECT],
    respond: false,
  },
  auth: {
    publish: [JS_INFO, ...ownBucket(REVOCATIONS_BUCKET)],
    subscribe: [responder('auth')],
    respond: true,
  },
  schedule: {
    publish: [...owner('schedule'), ...ownBucket(SCHEDULE_COUNTERS_BUCKET), SCHEDULE_DELETED_SUBJECT],
    // the peers' deletion notices drop cached GET bodies; config changes drop cached templates
    subscribe: [responder('schedule'), SCHEDULE_DELETED_SUBJECT, CONFIG_CHANGED_SUBJECT],
    respond: true,
  },
  comparison: {
    publish: owner('comparison'),
    subscribe: [responder('comparison')],
    respond: true,
  },
  config: {
    // a changed template or default is announced to the owners that keep resolved templates
    publish: [JS_INFO, CONFIG_CHANGED_SUBJECT],
    subscribe: [responder('config')],
    respond: true,
  },
  solver: {
    publish: [
      JS_INFO,
      ...ownStream(JOBS_STREAM),
      ...ownStream(DEAD_LETTER_STREAM),
      ...ownStream(EVENTS_STREAM),
      ...ownStream(PROGRESS_STREAM),
      ...ownBucket(CANCELLATIONS_BUCKET),
      'fillsched.progress.>',
      'fillsched.events.schedule.>',
      'fillsched.events.comparison.>',
      DEAD_LETTER_SUBJECT,
      // a job whose deliveries ran out is removed from the work queue once dead-lettered
      `$JS.API.STREAM.MSG.DELETE.${JOBS_STREAM}`,
    ],
    subscribe: [
      responder('solver'),
      CANCEL_SUBJECT,
      JOB_QUEUED_SUBJECT,
      `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${JOBS_STREAM}.*`,
    ],
    respond: true,
  },
  // The Kafka mirror: reads the lifecycle stream through its one shared durable, and a completed
  // schedule's or comparison's document from its owner (the results topic).
  'events-bridge': {
    publish: [JS_INFO, ...ownStream(EVENTS_STREAM), RPC.schedule.resultExport, RPC.comparison.resultExport],
    subscribe: [],
    respond: false,
  },
};

/** Subscribe list including the identity's own reply inbox. */
export const natsSubscribeAllow = (identity: NatsIdentity): string[] => [
  ...NATS_PERMISSIONS[identity].subscribe,
  `${natsInboxPrefix(identity)}.>`,
];

/**
 * `authorization { users: [...] }` for nats-server.conf (2.9 and later): one user per identity,
 * plus an optional unrestricted operator user (dead-letters CLI, test monitors). `password(id)`
 * gives the config token for the password: a quoted literal (`JSON.stringify(pw)`) or a variable
 * reference (`$NATS_PASSWORD_GATEWAY`) that nats-server resolves from its environment.
 */
export function natsAuthorizationConfig(
  password: (identity: string) => string,
  opts: { admin?: string } = {},
): string {
  const q = (s: string): string => JSON.stringify(s);
  const list = (xs: string[]): string => `[${xs.map(q).join(', ')}]`;
  const users = NATS_IDENTITIES.map((id) => {
    const p = NATS_PERMISSIONS[id];
    return [
      `    {`,
      `      user: ${q(id)}`,
      `      password: ${password(id)}`,
      `      permissions: {`,
      `        publish: { allow: ${list(p.publish)} }`,
      `        subscribe: { allow: ${list(natsSubscribeAllow(id))} }`,
      ...(p.respond ? [`        allow_responses: { max: 1, expires: "1m" }`] : []),
      `      }`,
      `    }`,
    ].join('\n');
  });
  if (opts.admin) users.push(`    { user: ${q(opts.admin)}, password: ${password(opts.admin)} }`);
  return ['authorization {', '  users: [', users.join('\n'), '  ]', '}'].join('\n');
}

/** Env variable of an identity's password in the committed config (compose, Kubernetes). */
export const natsPasswordVariable = (identity: string): string =>
  `NATS_PASSWORD_${identity.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
