import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * CloudEvents 1.0 structured JSON envelope. `id` is also the JetStream Nats-Msg-Id (publisher dedup)
 * and the consumers' idempotency key. `correlationid` is an extension attribute carrying the HTTP
 * request's correlation id through the asynchronous part of the flow.
 */
export const CloudEventSchema = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().optional(),
  time: z.string(),
  datacontenttype: z.literal('application/json').default('application/json'),
  correlationid: z.string().optional(),
  data: z.unknown(),
});
export type CloudEvent<T = unknown> = Omit<z.infer<typeof CloudEventSchema>, 'data'> & { data: T };

export function makeEvent<T>(args: {
  type: string;
  source: string;
  subject?: string;
  data: T;
  id?: string;
  correlationid?: string;
  time?: Date;
}): CloudEvent<T> {
  return {
    specversion: '1.0',
    id: args.id ?? randomUUID(),
    source: args.source,
    type: args.type,
    subject: args.subject,
    time: (args.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    correlationid: args.correlationid,
    data: args.data,
  };
}

/** Parses an envelope and its data with the given schema; throws a ZodError on a malformed event. */
export function parseEvent<S extends z.ZodType>(raw: unknown, data: S): CloudEvent<z.infer<S>> {
  const envelope = CloudEventSchema.parse(raw);
  return { ...envelope, data: data.parse(envelope.data) };
}
