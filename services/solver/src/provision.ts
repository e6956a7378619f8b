import { CANCELLATIONS_BUCKET, KV_SPECS, SOLVER_CONSUMER_SPEC, STREAM_SPECS } from '@fillsched/contracts';
import {
  ensureStreams,
  streamReplicas,
  type ConsumerSpec,
  type Logger,
  type StreamSpec,
} from '@fillsched/service-kit';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

const NS_PER_S = 1_000_000_000;

/** The contracts' plain-data specs in the kit's shape (mutable arrays, NATS enums as their string values). */
export function solverTopology(ackWaitS?: number): { streams: StreamSpec[]; consumers: ConsumerSpec[] } {
  const streams = Object.values(STREAM_SPECS).map(
    (s) => ({ ...s, subjects: [...s.subjects] }) as unknown as StreamSpec,
  );
  const { stream, ...config } = SOLVER_CONSUMER_SPEC;
  const consumer = {
    stream,
    config: { ...config, ...(ackWaitS ? { ack_wait: ackWaitS * NS_PER_S } : {}) },
  } as unknown as ConsumerSpec;
  return { streams, consumers: [consumer] };
}

/** Idempotent at every start (and from many replicas at once): streams, the solver consumer, the KV bucket. */
export async function provisionSolver(
  nc: NatsConnection,
  opts: { logger?: Logger; ackWaitS?: number } = {},
): Promise<KV> {
  await ensureStreams(nc, solverTopology(opts.ackWaitS), opts.logger);
  return new Kvm(nc).create(CANCELLATIONS_BUCKET, {
    ttl: KV_SPECS.cancellations.ttlMs,
    replicas: streamReplicas(),
  });
}
