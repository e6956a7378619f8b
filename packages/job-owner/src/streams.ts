import {
  EVENTS_STREAM,
  STREAM_SPECS,
  ownerConsumerSpec,
  ownerEventsFilter,
  type JobOwnerKind,
} from '@fillsched/contracts';
import {
  ensureStreams,
  type ConsumerSpec,
  type Logger,
  type NatsHandle,
  type StreamSpec,
} from '@fillsched/service-kit';

/**
 * Every stream of the platform plus the owner's durable lifecycle consumer; idempotent, so start
 * order never matters.
 */
export async function provisionOwnerStreams(
  handle: NatsHandle,
  logger: Logger,
  owner: JobOwnerKind,
  durable: string,
): Promise<void> {
  const { stream, ...config } = ownerConsumerSpec(durable, ownerEventsFilter(owner));
  await ensureStreams(
    handle.nc,
    {
      streams: Object.values(STREAM_SPECS) as unknown as StreamSpec[],
      consumers: [{ stream, config } as unknown as ConsumerSpec],
      replicas: handle.streamReplicas,
    },
    logger,
  );
  if (stream !== EVENTS_STREAM) throw new Error(`unexpected consumer stream ${stream}`);
}
