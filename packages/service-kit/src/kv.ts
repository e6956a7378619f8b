import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { assertReplicasPlaceable } from './streams';

export interface KvBucketOptions {
  /** Entries expire after this long (the bucket's max_age). */
  ttlMs?: number;
  /** Values kept per key; default the client's (1). */
  history?: number;
  /** Copies on a cluster (NATS_STREAM_REPLICAS); default 1. */
  replicas?: number;
}

/**
 * Creates a KV bucket, or opens it when it already exists: safe from every service and replica at
 * start. A bucket created earlier with other options is used as it is. When it does not exist
 * either, the creation error is thrown (it says why, e.g. more replicas than the cluster has):
 * `kvm.open` alone binds without looking, so a failed create would otherwise surface only at the
 * first put.
 */
export async function openOrCreateKv(
  nc: NatsConnection,
  bucket: string,
  opts: KvBucketOptions = {},
): Promise<KV> {
  assertReplicasPlaceable(nc, opts.replicas);
  const kvm = new Kvm(nc);
  const create: Partial<KvOptions> = { replicas: opts.replicas ?? 1 };
  if (opts.ttlMs !== undefined) create.ttl = opts.ttlMs;
  if (opts.history !== undefined) create.history = opts.history;
  try {
    return await kvm.create(bucket, create);
  } catch (createErr) {
    let existing: KV;
    try {
      existing = await kvm.open(bucket);
      await existing.status(); // the bucket's stream info: fails when there is no such bucket
    } catch {
      throw createErr;
    }
    return existing;
  }
}
