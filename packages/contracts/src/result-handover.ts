/**
 * How a result travels from the solver to its owner. A result that is ONE chunk of at most
 * `RESULT_INLINE_MAX_BYTES` rides with the solver's `com.fillsched.solve.completed` message
 * itself, as the JSON of that chunk in the NATS header `RESULT_INLINE_HEADER`: the owner stores
 * it as it is and needs no `solver.result` request (one round trip and one solver store read
 * less between the engine's end and the client's `complete`). Any other result is taken over
 * chunk by chunk with `solver.result` as before.
 *
 * A header, not a field of the event's `data`: the CloudEvent stays exactly the contract of
 * docs/events.md, so neither the Kafka mirror (binary mode: the value is `data`, headers are the
 * CloudEvent attributes), nor the gateway's relays, nor a downstream NATS consumer see the
 * activities; only an owner that looks for the header uses it. The bound keeps the events stream
 * (30 days) from growing by more than a small plan per schedule, and stays far below max_payload.
 * Pure: no I/O.
 */
import { orderChunks, ResultChunkSchema, utf8Length, type ResultChunk } from './result-document';

/** The NATS header of a `completed` message that carries its whole result (one chunk's JSON). */
export const RESULT_INLINE_HEADER = 'Fillsched-Result';

/**
 * Largest chunk JSON sent inline: ≈ 400 activities at ~160 bytes each (a 15-lot schedule's result
 * is ~6 KB). Larger results go by `solver.result`, where one more round trip matters little beside
 * their size; the bound is what the events stream keeps per schedule for its 30 days.
 */
export const RESULT_INLINE_MAX_BYTES = 64 * 1024;

/** The header value carrying a result with its `completed` event, or null when it goes by RPC. */
export function inlineResultOf(
  chunks: readonly ResultChunk[],
  maxBytes = RESULT_INLINE_MAX_BYTES,
): string | null {
  if (chunks.length !== 1 || chunks[0].count !== 1) return null;
  const json = JSON.stringify(chunks[0]);
  return utf8Length(json) <= maxBytes ? json : null;
}

export type InlineResult =
  /** No result rode with the event: take it over with `solver.result`. */
  | { kind: 'none' }
  /** The whole document (one chunk), checked, kept as sent. */
  | { kind: 'ok'; chunks: ResultChunk[] }
  /** A header that is not one whole document: log it and take the result over by RPC instead. */
  | { kind: 'invalid'; reason: string };

/** Reads the header value of a `completed` message (absent → `none`). */
export function readInlineResult(value: string | null | undefined): InlineResult {
  if (!value) return { kind: 'none' };
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return { kind: 'invalid', reason: `${RESULT_INLINE_HEADER} is not JSON` };
  }
  const parsed = ResultChunkSchema.safeParse(raw);
  if (!parsed.success)
    return {
      kind: 'invalid',
      reason: `${RESULT_INLINE_HEADER} is not a result chunk: ${parsed.error.message}`,
    };
  try {
    // Checked against the schema, kept as sent (a field the schema does not name is not dropped).
    return { kind: 'ok', chunks: orderChunks([raw as ResultChunk]) };
  } catch (err) {
    return { kind: 'invalid', reason: `${RESULT_INLINE_HEADER}: ${(err as Error).message}` };
  }
}
