import { MESSAGES, type ErrorDetailItem } from '@fillsched/contracts';
import type { RpcReply } from './rpc';

/** The reply helpers every service answers with: an HTTP-shaped reply the gateway passes through. */
export const reply = (status: number, body: unknown, headers?: Record<string, string>): RpcReply =>
  headers ? { status, body, headers } : { status, body };

/** `{ detail: message }` with `status`: the body of every error reply but 422. */
export const detail = (status: number, message: string): RpcReply => reply(status, { detail: message });

/** 422 with the failing fields: `{ detail: [{ loc, msg, type }] }`. */
export const unprocessable = (items: ErrorDetailItem[]): RpcReply => reply(422, { detail: items });

/** 401 for a request that reached a service without a user (the gateway let an anonymous call through). */
export const unauthorized = (): RpcReply => detail(401, MESSAGES.credentials);
