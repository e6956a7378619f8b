const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Raised for payloads that are not valid JSON; carries no payload bytes (may be large/secret). */
export class JsonDecodeError extends Error {
  constructor(cause: unknown) {
    super(`Invalid JSON payload: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'JsonDecodeError';
  }
}

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value === undefined ? null : value));
}

/** Decodes UTF-8 JSON; an empty payload decodes to undefined. Throws JsonDecodeError. */
export function decodeJson<T = unknown>(data: Uint8Array | undefined | null): T {
  if (!data || data.length === 0) return undefined as T;
  try {
    return JSON.parse(decoder.decode(data)) as T;
  } catch (err) {
    throw new JsonDecodeError(err);
  }
}

/** Like decodeJson but returns a result instead of throwing. */
export function tryDecodeJson<T = unknown>(
  data: Uint8Array | undefined | null,
): { ok: true; value: T } | { ok: false; error: JsonDecodeError } {
  try {
    return { ok: true, value: decodeJson<T>(data) };
  } catch (err) {
    return { ok: false, error: err as JsonDecodeError };
  }
}

export const jsonCodec = { encode: encodeJson, decode: decodeJson, tryDecode: tryDecodeJson };
