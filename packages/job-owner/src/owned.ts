import { IdParamSchema, MESSAGES, zodToDetail, type RpcUser } from '@fillsched/contracts';
import type { RpcReply, RpcRequest } from '@fillsched/service-kit';

/**
 * The record named by the request's `:id` path parameter, if the caller may see it (its owner, or
 * a superuser); otherwise the reply to send: 401 without a user, 422 for a bad id, and 404 with
 * `notFoundMessage` for an unknown or foreign record alike (foreign ids are not disclosed).
 */
export async function loadOwnedRecord<T extends { user_id: number }>(
  req: RpcRequest,
  find: (id: number) => Promise<T | null>,
  notFoundMessage: string,
): Promise<{ ok: true; user: RpcUser; record: T } | { ok: false; reply: RpcReply }> {
  if (!req.user) return { ok: false, reply: { status: 401, body: { detail: MESSAGES.credentials } } };
  const parsed = IdParamSchema.safeParse(req.params ?? {});
  if (!parsed.success)
    return { ok: false, reply: { status: 422, body: { detail: zodToDetail(parsed.error, 'path') } } };
  const record = await find(parsed.data.id);
  if (!record || !(req.user.is_superuser || record.user_id === req.user.id))
    return { ok: false, reply: { status: 404, body: { detail: notFoundMessage } } };
  return { ok: true, user: req.user, record };
}
