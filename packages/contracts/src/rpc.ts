import { z } from 'zod';

/** What the gateway forwards to a service: the authenticated user and the HTTP parts already parsed. */
export const RpcUserSchema = z.object({ id: z.number().int(), email: z.string(), is_superuser: z.boolean() });
export type RpcUser = z.infer<typeof RpcUserSchema>;
export const RpcRequestSchema = z.object({
  user: RpcUserSchema.nullish(),
  params: z.record(z.string(), z.string()).optional(),
  query: z.record(z.string(), z.unknown()).optional(),
  body: z.unknown().optional(),
});
/** Services answer with an HTTP-shaped reply the gateway passes through unchanged. */
export const RpcReplySchema = z.object({
  status: z.number().int(),
  body: z.unknown(),
  headers: z.record(z.string(), z.string()).optional(),
});
