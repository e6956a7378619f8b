import type { IHeaders } from 'kafkajs';

/** A consumed record's headers as strings (kafkajs hands them over as Buffers). */
export function headersOf(message: { headers?: IHeaders }): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
  return headers;
}
