import { z } from 'zod';

/**
 * The multiplexed WebSocket `/api/v1/ws` (docs/websocket.md): client commands, server messages,
 * channels, close codes, limits and the NATS history stream the gateway replicas share.
 */
export const WS_MUX_PATH = '/api/v1/ws';

/** `schedule:{id}`, `compare:{id}` or `user` (the caller's own schedules and comparisons). */
export const ChannelNameSchema = z
  .string()
  .max(64)
  .regex(/^(schedule:[1-9]\d{0,14}|compare:[1-9]\d{0,14}|user)$/, {
    message: 'channel must be "schedule:<id>", "compare:<id>" or "user"',
  });

export type ParsedChannel =
  { kind: 'schedule'; id: number } | { kind: 'compare'; id: number } | { kind: 'user' };

export function parseChannel(name: string): ParsedChannel | null {
  if (!ChannelNameSchema.safeParse(name).success) return null;
  if (name === 'user') return { kind: 'user' };
  const [kind, id] = name.split(':');
  return { kind: kind as 'schedule' | 'compare', id: Number(id) };
}

/** A position in a channel's history: offsets grow with every publication; the epoch names the history. */
export const StreamPositionSchema = z.object({
  offset: z.number().int().nonnegative(),
  epoch: z.string().max(64),
});
export type StreamPosition = z.infer<typeof StreamPositionSchema>;

export const WsClientCommandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribe'),
    channel: ChannelNameSchema,
    since: StreamPositionSchema.optional(),
  }),
  z.object({ type: z.literal('unsubscribe'), channel: ChannelNameSchema }),
  z.object({ type: z.literal('ping') }),
  /** Only as the first message, when the token came neither in the query nor as a subprotocol. */
  z.object({ type: z.literal('auth'), token: z.string().min(1) }),
]);
export type WsClientCommand = z.infer<typeof WsClientCommandSchema>;

/** `data` of a publication: the guide's message shapes (progress, complete, error). */
export const WsGuideMessageSchema = z
  .object({
    type: z.enum(['progress', 'complete', 'error']),
    timestamp: z.string(),
    message: z.string(),
  })
  .passthrough();

export const WsErrorCodeSchema = z.enum([
  'bad_request',
  'not_found',
  'already_subscribed',
  'not_subscribed',
  'too_many_subscriptions',
  'unavailable',
]);
export type WsErrorCode = z.infer<typeof WsErrorCodeSchema>;

export const WsServerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribed'),
    channel: ChannelNameSchema,
    recovered: z.boolean(),
    offset: z.number().int().nonnegative(),
    epoch: z.string(),
  }),
  z.object({ type: z.literal('unsubscribed'), channel: ChannelNameSchema }),
  z.object({
    type: z.literal('publication'),
    channel: ChannelNameSchema,
    offset: z.number().int().positive(),
    data: WsGuideMessageSchema,
  }),
  z.object({ type: z.literal('pong'), timestamp: z.string() }),
  z.object({
    type: z.literal('error'),
    code: WsErrorCodeSchema,
    message: z.string(),
    channel: z.string().optional(),
  }),
]);
export type WsServerMessage = z.infer<typeof WsServerMessageSchema>;

/**
 * Close codes. 1000/1001/1011/4000-4099 (and any other): reconnect with backoff and resume with `since`.
 * 4400-4499: do not reconnect without changing something (token, request, behaviour).
 */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  internal: 1011,
  /** Reconnect: no pong within the heartbeat timeout. */
  heartbeatTimeout: 4001,
  /** Reconnect (after reading faster): more than the buffer cap was waiting to be sent. */
  slowConsumer: 4002,
  /** Reconnect after backoff: too many sockets of this user at the same time. */
  tooManySockets: 4003,
  /** Do not reconnect: missing, invalid, expired or revoked token (legacy sockets use 1008). */
  badToken: 4401,
  /** Do not reconnect: the resource of a per-resource socket does not exist or is not yours. */
  notFound: 4404,
  /** Do not reconnect: a frame that is not a valid command, or larger than the frame limit (1009). */
  protocolViolation: 4400,
  /** Do not reconnect: more inbound messages per second than allowed. */
  rateLimited: 4429,
  tooBig: 1009,
} as const;

/** Close codes after which a client must not reconnect as is. */
export const WS_CLOSE_DO_NOT_RECONNECT: readonly number[] = [
  WS_CLOSE.badToken,
  WS_CLOSE.notFound,
  WS_CLOSE.protocolViolation,
  WS_CLOSE.rateLimited,
  WS_CLOSE.tooBig,
  1008,
];

/** Default protection limits (gateway env: WS_* variables, docs/websocket.md). */
export const WS_LIMITS = {
  maxFrameBytes: 16 * 1024,
  maxBufferedBytes: 1024 * 1024,
  socketsPerUser: 20,
  subscriptionsPerSocket: 100,
  inboundPerSecond: 50,
  historySize: 100,
  historyMaxAgeS: 7 * 86_400,
} as const;

/** History of every channel, shared by all gateway replicas (one subject per channel). */
export const WS_HISTORY_STREAM = 'FILLSCHED_WS_HISTORY';
export const WS_HISTORY_PREFIX = 'fillsched.ws';
/** `schedule:42` → `fillsched.ws.schedule.42`; `user` of user 7 → `fillsched.ws.user.7`. */
export const wsHistorySubject = (channel: string, userId?: number): string =>
  channel === 'user'
    ? `${WS_HISTORY_PREFIX}.user.${userId}`
    : `${WS_HISTORY_PREFIX}.${channel.replace(':', '.')}`;
/** Header of a history message: the offset of the channel's previous publication (0 = none). */
export const WS_PREV_HEADER = 'Fs-Prev';
/** Header of a history message whose publication ends the channel (complete, error). */
export const WS_FINAL_HEADER = 'Fs-Final';

const NS_PER_S = 1_000_000_000;
export const wsHistoryStreamSpec = (historySize: number = WS_LIMITS.historySize) =>
  ({
    name: WS_HISTORY_STREAM,
    subjects: [`${WS_HISTORY_PREFIX}.>`],
    retention: 'limits',
    storage: 'file',
    max_msgs_per_subject: historySize,
    max_age: WS_LIMITS.historyMaxAgeS * NS_PER_S,
    duplicate_window: 10 * 60 * NS_PER_S,
    /** Direct gets (last / next message of a subject) answer from any replica. */
    allow_direct: true,
  }) as const;

/** Durable consumers (shared by the gateway replicas) that append owner events to the history. */
export const WS_HISTORY_CONSUMERS = {
  events: 'gateway-ws-history-events',
  progress: 'gateway-ws-history-progress',
} as const;
