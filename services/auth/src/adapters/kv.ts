import { KV_SPECS, REVOCATIONS_BUCKET, revokedSessionKey } from '@fillsched/contracts';
import { streamReplicas } from '@fillsched/service-kit';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { RevocationPublisher, SessionRevocation } from '../ports';

/**
 * Creates the revocations bucket if missing (idempotent; the gateway may create it too). The
 * bucket TTL is the stream's max_age: a revocation outlives every access token of its session.
 */
export async function openRevocationsBucket(nc: NatsConnection): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(REVOCATIONS_BUCKET, {
      ttl: KV_SPECS.revocations.ttlMs,
      replicas: streamReplicas(),
    });
  } catch (err) {
    // Created by someone else with a slightly different config: use it as it is.
    try {
      return await kvm.open(REVOCATIONS_BUCKET);
    } catch {
      throw err;
    }
  }
}

export class KvRevocationPublisher implements RevocationPublisher {
  constructor(private readonly kv: KV) {}

  async revokeSession(sid: string, revocation: SessionRevocation): Promise<void> {
    await this.kv.put(revokedSessionKey(sid), JSON.stringify(revocation));
  }
}
