// The results topic against the real servers: a platform (auth, config, schedule, comparison, one
// solver, gateway as their own processes on a private nats-server with per-service NATS users and
// the embedded MongoDB wire server), a Kafka 4 KRaft broker, the events bridge as its own process
// (NATS user `events-bridge`), and an independent kafkajs consumer. A small schedule and one at the
// input limits (20,000 lots on 100 lines with downtime) complete; each arrives as ONE compacted
// record whose gunzipped value equals what the REST API serves for that schedule.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { connect } from '@nats-io/transport-node';
import { ConfigResourceTypes, Kafka, logLevel, type Consumer } from 'kafkajs';
import {
  ACTIVITIES_PAGE_MAX,
  KAFKA_DEFAULTS,
  KAFKA_RESULTS_DEFAULTS,
  RESULT_RECORD_TYPE,
  RESULT_RECORD_TYPES,
  RPC,
  BRIDGE_CONSUMER,
  EVENTS_STREAM,
} from '@fillsched/contracts';
import { jetstreamManager } from '@fillsched/service-kit';
import { findFreePort, spawnServiceProcess, type ServiceProcess } from '@fillsched/service-kit/testing';
import { ApiClient, waitUntil } from '../system/client';
import { inputLimitLines, inputLimitLots } from '../system/create-load';
import { headersOf } from '../peers/kafka-headers';
import { describeIfPeer } from '../peers';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(300_000);

interface KafkaBroker {
  brokers: string[];
  stop(): Promise<void>;
}
const kafkaPeer = require('../peers/kafka') as { start(): Promise<KafkaBroker> };

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'services', 'events-bridge', 'src', 'main.ts');
const TOPIC = KAFKA_RESULTS_DEFAULTS.topic;

interface Plan {
  key: string;
  headers: Record<string, string>;
  bytes: number;
  document: any;
}

describeIfPeer('kafka', 'events bridge: completed plans on the compacted results topic', () => {
  let kafka: KafkaBroker;
  let platform: any;
  let bridge: ServiceProcess;
  let opsPort: number;
  let client: ApiClient;
  let consumer: Consumer;
  const plans = new Map<string, Plan>();
  const records: string[] = [];
  /** Every value seen per key, in order (replays must repeat them byte for byte). */
  const raw = new Map<string, Array<Buffer | null>>();
  let smallId = 0;

  beforeAll(async () => {
    [kafka, platform] = await Promise.all([
      kafkaPeer.start(),
      startPlatform({
        privateNats: true,
        gatewayPort: 0,
        solvers: 1,
        stdio: 'ignore',
        env: { RATE_LIMIT_PER_MINUTE: '100000' },
      }),
    ]);
    opsPort = await findFreePort();
    bridge = startBridge('results');
    await bridge.waitFor('events bridge ready');
    client = new ApiClient(platform.gatewayUrl);
    await client.registerAndLogin('mes@example.com');

    const k = new Kafka({ clientId: 'independent-mes', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    consumer = k.consumer({ groupId: 'independent-mes' }); // kafkajs defaults: 1 MB per partition
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = headersOf(message);
        const key = String(message.key);
        records.push(key);
        raw.set(key, [...(raw.get(key) ?? []), message.value ? Buffer.from(message.value) : null]);
        if (!message.value) return;
        const json = headers['content-encoding'] === 'gzip' ? gunzipSync(message.value) : message.value;
        plans.set(key, {
          key,
          headers,
          bytes: message.value.length,
          document: JSON.parse(json.toString('utf8')),
        });
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await bridge?.stop('SIGTERM');
    await platform?.stop();
    await kafka?.stop();
  });

  function startBridge(instance: string): ServiceProcess {
    const creds = platform.natsUsers['events-bridge'];
    return spawnServiceProcess({
      main: MAIN,
      env: {
        NATS_URL: platform.natsUrl,
        NATS_USER: creds.user,
        NATS_PASSWORD: creds.pass,
        KAFKA_BROKERS: kafka.brokers.join(','),
        OPS_PORT: String(opsPort),
        SERVICE_INSTANCE: instance,
        KAFKA_TOPIC_PARTITIONS: '3',
        BRIDGE_PROBE_MS: '500',
      },
      waitTimeoutMs: 60_000,
    });
  }

  const planOf = (id: number, ms: number) =>
    waitUntil(async () => plans.get(`schedule.${id}`), ms, `the plan of ${id}`);

  test('the results topic is compacted with a raised max.message.bytes', async () => {
    const admin = new Kafka({
      clientId: 'check',
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC }],
        includeSynonyms: false,
      });
      const cfg = Object.fromEntries(
        described.resources[0].configEntries.map((e) => [e.configName, e.configValue]),
      );
      expect(cfg).toMatchObject({
        'cleanup.policy': 'compact',
        'max.message.bytes': String(KAFKA_RESULTS_DEFAULTS.maxMessageBytes),
      });
      const meta = await admin.fetchTopicMetadata({ topics: [TOPIC, KAFKA_DEFAULTS.lifecycleTopic] });
      expect(meta.topics.map((t) => t.partitions.length)).toEqual([3, 3]);
    } finally {
      await admin.disconnect();
    }
  });

  test('a small schedule: one record, key schedule.<id>, CloudEvents headers, gzip value = GET /schedule/{id}', async () => {
    const created = await client.request('POST', '/schedule', {
      name: 'small plan',
      lots_data: [
        { lot_id: 'A1', product: 'PA', quantity: 50_000 },
        { lot_id: 'A2', product: 'PB', quantity: 80_000 },
        { lot_id: 'A3', product: 'PA', quantity: 20_000 },
      ],
      strategy: 'smart-pack',
      start_time: '2026-01-01T06:00:00',
    });
    expect(created.status).toBe(202);
    const id: number = created.body.id;
    smallId = id;
    const plan = await planOf(id, 60_000);
    expect(plan.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: `schedule.result:${id}`,
      ce_type: RESULT_RECORD_TYPE,
      ce_subject: `schedule.${id}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(plan.headers.ce_source).toMatch(/^\/fillsched\/schedule\//);
    const got = await client.request('GET', `/schedule/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.status).toBe('completed');
    expect(plan.document).toEqual(got.body);
    expect(plan.document.result.activities.length).toBeGreaterThan(0);
  });

  test('a completed comparison: one record keyed comparison.<id>, gzip value = GET /compare/{id}', async () => {
    const created = await client.request('POST', '/compare', {
      name: 'which strategy',
      lots_data: [
        { lot_id: 'C1', product: 'PA', quantity: 50_000 },
        { lot_id: 'C2', product: 'PB', quantity: 80_000 },
      ],
      strategies: ['lpt-pack', 'spt-pack'],
    });
    expect(created.status).toBe(202);
    const id: number = created.body.id;
    const plan = await waitUntil(async () => plans.get(`comparison.${id}`), 60_000, `comparison ${id}`);
    expect(plan.headers).toMatchObject({
      ce_id: `comparison.result:${id}`,
      ce_type: RESULT_RECORD_TYPES.comparison,
      ce_subject: `comparison.${id}`,
      'content-encoding': 'gzip',
    });
    const got = await client.request('GET', `/compare/${id}`);
    expect(got.body.status).toBe('completed');
    expect(plan.document).toEqual(got.body);
  });

  test('result-export answers the events-bridge NATS user only (the gateway user is refused by the server)', async () => {
    const ask = async (who: 'events-bridge' | 'gateway') => {
      const creds = platform.natsUsers[who];
      const nc = await connect({
        servers: platform.natsUrl,
        ...creds,
        name: `export-as-${who}`,
        maxReconnectAttempts: 0,
        inboxPrefix: `_INBOX.${creds.user}`,
      });
      const errors: string[] = [];
      void (async () => {
        for await (const st of nc.status()) if (st.type === 'error') errors.push(String(st.error?.message));
      })();
      try {
        const req = JSON.stringify({ params: { id: String(smallId) }, query: { offset: 0, limit: 10 } });
        const status = await nc
          .request(RPC.schedule.resultExport, req, { timeout: 2000 })
          .then((m) => (JSON.parse(new TextDecoder().decode(m.data)) as { status: number }).status)
          .catch((err: Error) => err.message);
        await nc.flush();
        return { status, errors };
      } finally {
        await nc.close();
      }
    };
    expect(smallId).toBeGreaterThan(0);
    expect((await ask('events-bridge')).status).toBe(200);
    const gw = await ask('gateway');
    expect(gw.status).toMatch(/Permission|timeout/i);
    expect(gw.errors.join('\n')).toMatch(
      /Permissions Violation for Publish to "fillsched\.rpc\.schedule\.result-export"/i,
    );
  });

  test('20,000 lots on 100 lines: the whole plan arrives intact in one record', async () => {
    const created = await client.request('POST', '/schedule', {
      name: 'at the limits',
      lots_data: inputLimitLots(),
      strategy: 'lpt-pack',
      config: { lines: inputLimitLines(), time_limit_s: 5 },
      start_time: '2026-01-01T06:00:00',
    });
    expect(created.status).toBe(202);
    const id: number = created.body.id;
    const plan = await planOf(id, 240_000);
    // What the API serves for it, read the way a client reads a large schedule.
    const head = await client.request('GET', `/schedule/${id}?include_activities=false`);
    expect(head.status).toBe(200);
    const { activity_count: total, ...summary } = head.body.result;
    const activities: unknown[] = [];
    while (activities.length < total) {
      const page = await client.request(
        'GET',
        `/schedule/${id}/activities?offset=${activities.length}&limit=${ACTIVITIES_PAGE_MAX}`,
      );
      expect(page.status).toBe(200);
      activities.push(...page.body.items);
    }
    expect(plan.document).toEqual({ ...head.body, result: { ...summary, activities } });
    expect(plan.document.result.lots_scheduled).toBe(20_000);
    expect(activities.length).toBeGreaterThan(20_000);
    expect(records.filter((k) => k === `schedule.${id}`)).toHaveLength(1);

    const produced = bridge.lines.find((l) => l.msg === 'plan produced' && l.key === `schedule.${id}`) as any;
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(metrics).toMatch(/bridge_results_produced_total 3/);
    expect(metrics).toMatch(/bridge_result_bytes_count 3/);
    // the figures of the report (docs/events.md "Results topic")
    console.log(
      `20,000-lot plan: ${activities.length} activities, JSON ${produced.raw_bytes} B, gzip ${plan.bytes} B ` +
        `(${((100 * plan.bytes) / produced.raw_bytes).toFixed(1)} %); owner read ${produced.read_ms} ms, ` +
        `gzip ${produced.gzip_ms} ms, Kafka produce (acks all) ${produced.produce_ms} ms`,
    );
  });

  test('the example consumer (examples/kafka-results-consumer.mjs) prints every plan once', () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, 'examples', 'kafka-results-consumer.mjs')], {
      env: { ...process.env, KAFKA_BROKERS: kafka.brokers.join(','), EXIT_IDLE_MS: '3000' },
      encoding: 'utf8',
      timeout: 90_000,
    });
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; id: string; activities: number; status: string });
    expect(lines.map((l) => l.key).sort()).toEqual([...plans.keys()].sort());
    for (const l of lines) {
      expect(l.status).toBe('completed');
      expect(l.activities).toBe(plans.get(l.key)!.document.result?.activities.length ?? 0);
    }
  });

  test('replay: a bridge whose durable starts over re-produces every plan with the same bytes', async () => {
    const before = new Map([...raw].map(([k, v]) => [k, v.length]));
    expect(before.size).toBeGreaterThanOrEqual(3);
    await bridge.stop('SIGTERM');
    // an operator resets the mirror: the durable goes, a new one starts at the stream's first event
    const admin = await connect({ servers: platform.natsUrl, ...platform.natsAdmin });
    try {
      await (await jetstreamManager(admin)).consumers.delete(EVENTS_STREAM, BRIDGE_CONSUMER);
    } finally {
      await admin.close();
    }
    bridge = startBridge('replay');
    await bridge.waitFor('events bridge ready');
    await waitUntil(
      async () => [...before].every(([k, n]) => (raw.get(k)?.length ?? 0) > n),
      120_000,
      'every plan produced again',
    );
    for (const [key, values] of raw) {
      if (!before.has(key)) continue;
      const [first, again] = [values[0], values[before.get(key)!]];
      expect({ key, same: Boolean(first && again && first.equals(again)) }).toEqual({ key, same: true });
    }
  });

  test('a record past the broker default of 1 MB: the topic takes it, a default kafkajs consumer reads it', async () => {
    // 2 MB of random bytes in base64: ~2 MB gzipped, past 1 MB and far past a 20,000-lot plan
    const document = {
      id: 999_999,
      status: 'completed',
      result: { activities: Array.from({ length: 4000 }, () => randomBytes(500).toString('base64')) },
    };
    const value = gzipSync(JSON.stringify(document));
    expect(value.length).toBeGreaterThan(1.5 * 1024 * 1024);
    const producer = new Kafka({
      clientId: 'big',
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    try {
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: [{ key: 'schedule.999999', value, headers: { 'content-encoding': 'gzip' } }],
      });
    } finally {
      await producer.disconnect();
    }
    const plan = await planOf(999_999, 30_000);
    expect(plan.bytes).toBe(value.length);
    expect(plan.document).toEqual(document);
  });
});
