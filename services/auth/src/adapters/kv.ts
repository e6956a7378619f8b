import { KV_SPECS, REVOCATIONS_BUCKET, revokedSessionKey } from '@fillsched/contracts';
import { openOrCreateKv } from '@fillsched/service-kit';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RevocationPublisher, SessionRevocation } from '../ports';

/**
 * Creates the revocations bucket if missing (idempotent; the gateway may create it too). The
 * bucket TTL is the stream's max_age: a revocation outlives every access token of its session.
 */
export function openRevocationsBucket(nc: NatsConnection, replicas = 1): Promise<KV> {
  return openOrCreateKv(nc, REVOCATIONS_BUCKET, { ttlMs: KV_SPECS.revocations.ttlMs, replicas });
}

export class KvRevocationPublisher implements RevocationPublisher {
  constructor(private readonly kv: KV) {}

  async revokeSession(sid: string, revocation: SessionRevocation): Promise<void> {
    await this.kv.put(revokedSessionKey(sid), JSON.stringify(revocation));
  }
}
