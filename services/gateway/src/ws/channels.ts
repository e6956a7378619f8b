import type { WsMessage } from '@fillsched/contracts';
import { translateEvent, type ChannelKind } from './messages';

/** One message for one channel's history, derived from one owner/progress event. */
export interface ChannelPublication {
  /** `schedule:42`, `compare:7` or `user`. */
  channel: string;
  /** For `user`: whose channel. */
  userId?: number;
  data: WsMessage & Record<string, unknown>;
  /** Ends a per-resource channel (complete, error): later progress on it is dropped. */
  final: boolean;
  /** Source event id: history appends are deduplicated on it, across gateway replicas. */
  eventId: string;
}

const SUBJECT = /^fillsched\.(progress|events)\.(schedule|comparison)\.(\d+)(?:\.(.+))?$/;

function userIdOf(raw: unknown): number | undefined {
  const data = (raw as { data?: Record<string, unknown> } | null)?.data;
  if (!data || typeof data !== 'object') return undefined;
  const direct = data.user_id;
  if (typeof direct === 'number') return direct;
  const owner = data.owner as { user_id?: unknown } | undefined;
  return typeof owner?.user_id === 'number' ? owner.user_id : undefined;
}

/**
 * Maps one event of the progress or events stream to the channel publications it makes, in the
 * guide's message shapes: progress goes to `schedule:{id}` / `compare:{id}`; a schedule's own status
 * events and a comparison's stages and `finished` go there and to the owner's `user` channel (with
 * `schedule_id` / `comparison_id` added so one channel can tell the resources apart). The solver's
 * own stage events of a schedule are for the schedule service, not for clients: none.
 */
export function publicationsFor(subject: string, raw: unknown, now: Date): ChannelPublication[] {
  const m = SUBJECT.exec(subject);
  if (!m) return [];
  const [, stream, kindName, idText, rest] = m;
  const kind = kindName as ChannelKind;
  const id = Number(idText);
  if (stream === 'events' && kind === 'schedule' && !rest?.startsWith('status.')) return [];
  const out = translateEvent(kind, id, subject, raw, now);
  if (!out) return [];
  const rawId = (raw as { id?: unknown } | null)?.id;
  const eventId = typeof rawId === 'string' ? rawId : (out.eventId ?? `${subject}@${out.message.timestamp}`);
  const channel = kind === 'schedule' ? `schedule:${id}` : `compare:${id}`;
  const pubs: ChannelPublication[] = [{ channel, data: out.message, final: out.final, eventId }];
  const userId = stream === 'events' ? userIdOf(raw) : undefined;
  if (userId !== undefined) {
    const ref = kind === 'schedule' ? { schedule_id: id } : { comparison_id: id };
    pubs.push({ channel: 'user', userId, data: { ...out.message, ...ref }, final: false, eventId });
  }
  return pubs;
}
