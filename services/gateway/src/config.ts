import { z } from 'zod';
import { WS_LIMITS } from '@fillsched/contracts';
import { baseEnvSchema } from '@fillsched/service-kit';
import { parseCorsOrigins } from './security';

const trustProxy = z
  .string()
  .optional()
  .transform((v): boolean | number | string => {
    if (v === undefined || v === 'false') return false;
    if (v === 'true') return true;
    return /^\d+$/.test(v) ? Number(v) : v;
  });

/** Environment of the gateway (see README). */
export const GatewayEnvSchema = baseEnvSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(100),
  /** NATS request timeout of gateway → service calls (then 504). */
  SERVICE_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  WS_HEARTBEAT_MS: z.coerce.number().int().positive().default(25_000),
  WS_AUTH_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** WebSocket protection limits, per gateway replica (docs/websocket.md). */
  WS_MAX_FRAME_BYTES: z.coerce.number().int().positive().default(WS_LIMITS.maxFrameBytes),
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().positive().default(WS_LIMITS.maxBufferedBytes),
  WS_SOCKETS_PER_USER: z.coerce.number().int().positive().default(WS_LIMITS.socketsPerUser),
  WS_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().positive().default(WS_LIMITS.subscriptionsPerSocket),
  WS_INBOUND_PER_SECOND: z.coerce.number().int().positive().default(WS_LIMITS.inboundPerSecond),
  /** Publications kept per channel for resume (the recovery bound). */
  WS_HISTORY_SIZE: z.coerce.number().int().positive().default(WS_LIMITS.historySize),
  /** Express `trust proxy`: false (default), true, a hop count or a list of subnets. */
  TRUST_PROXY: trustProxy,
  /** The built console to serve at /console/ (default: packages/console/dist of this checkout). */
  CONSOLE_DIR: z.string().min(1).optional(),
  /** Comma-separated browser origins allowed by CORS; empty/`none` (default) = no cross-origin access. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v, ctx): string[] => {
      const parsed = parseCorsOrigins(v);
      if (parsed.ok) return parsed.origins;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }),
});
export type GatewayEnv = z.infer<typeof GatewayEnvSchema>;
