// The whole platform with the Kafka mirror (issue 10): every service as its own process, plus the
// events bridge started by the platform launcher (scripts/platform.js, as `npm start` does with
// KAFKA_BROKERS), a real Kafka 4 KRaft broker and a real nats-server. 100 schedules (one failed,
// one cancelled) and 5 comparisons go through the REST API; an independent kafkajs consumer with its
// own group must see every event of FILLSCHED_EVENTS once per CloudEvent id, in the stream's order
// per key, with the binding's headers, and each schedule's last status event must be what
// GET /schedule/{id} says; the compacted results topic must hold every completed plan equal to
// GET /schedule/{id} (and /compare/{id}). The Kafka outage and the SIGKILLed bridge are
// tests/integration/events-bridge.test.ts.
import { spawn } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import readline from 'node:readline';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  EVENTS_STREAM,
  EVENT_TYPES,
  KAFKA_DEFAULTS,
  KAFKA_RESULTS_DEFAULTS,
  fromKafkaRecord,
  kafkaKeyOf,
  makeEvent,
  userJobsSubject,
  type CloudEvent,
} from '@fillsched/contracts';
import { jetstream, jetstreamManager, publishEvent } from '@fillsched/service-kit';
import { headersOf } from '../peers/kafka-headers';
import { describeIfPeer } from '../peers';
import { ApiClient, waitUntil } from './client';
import { smallLots } from './create-load';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(240_000);

interface KafkaBroker {
  brokers: string[];
  stop(): Promise<void>;
}
const kafkaPeer = require('../peers/kafka') as { start(): Promise<KafkaBroker> };

const ROOT = path.resolve(__dirname, '../..');
const TOPIC = KAFKA_DEFAULTS.lifecycleTopic;
const USERS = 10;
const PER_USER = 10; // = ACTIVE_JOBS_LIMIT: one user's schedules may all be active at once
const COMPARISONS = 5;

/** One record as the independent consumer saw it (partition order per key). */
interface Seen {
  key: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
  value: string;
}
/** One message of FILLSCHED_EVENTS, in stream order: the ground truth of "in order per key". */
interface StreamEvent {
  seq: number;
  key: string;
  event: CloudEvent;
}

const SCHEDULE_STATUS_TYPE = /^com\.fillsched\.schedule\.(running|completed|failed|cancelled)$/;

/**
 * What the results-topic check (kafka-results) reuses: every completed schedule and the body
 * GET /api/v1/schedule/{id} returned for it once every event had arrived.
 */
export const completedPlans = new Map<number, Record<string, unknown>>();

describeIfPeer('kafka', 'the platform with the Kafka mirror (npm start with KAFKA_BROKERS)', () => {
  let kafka: KafkaBroker;
  let platform: any;
  let nc: NatsConnection;
  let consumer: Consumer;
  const platformLog: Array<Record<string, unknown>> = [];
  const seen: Seen[] = [];
  const schedules: { id: number; user: number; expect: 'completed' | 'failed' | 'cancelled' }[] = [];
  const comparisons: number[] = [];
  /** users[0..USERS-1] own the schedules, users[USERS] the comparisons. */
  const users: ApiClient[] = [];
  let stream: StreamEvent[] = [];
  const t0 = Date.now();
  const lap = (what: string) => process.stderr.write(`[kafka-platform] ${what}: ${Date.now() - t0} ms\n`);

  const uniqueIds = () => new Set(seen.map((s) => s.headers.ce_id));
  const seenId = (id: string) => seen.some((s) => s.headers.ce_id === id);

  beforeAll(async () => {
    kafka = await kafkaPeer.start();
    lap('kafka up');
    platform = await startPlatform({
      privateNats: true,
      gatewayPort: 0,
      // no solver yet: the failed and the cancelled schedule are set up while nothing can take a job
      solvers: 0,
      stdio: 'ignore',
      log: (msg: string, extra: Record<string, unknown> = {}) => platformLog.push({ msg, ...extra }),
      env: {
        KAFKA_BROKERS: kafka.brokers.join(','),
        KAFKA_TOPIC_PARTITIONS: '3',
        BRIDGE_PROBE_MS: '500',
        RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    lap('platform ready');
    expect(platform.procs.has('events-bridge')).toBe(true);
    await waitUntil(
      async () => {
        const res = await fetch(`${platform.eventsBridge.opsUrl}/readyz`).catch(() => null);
        return res?.status === 200;
      },
      60_000,
      'the bridge ready (Kafka topic provisioned)',
    );
    nc = await connect({ servers: platform.natsUrl, ...platform.natsAdmin });
    const client = new Kafka({ clientId: 'other-team', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    consumer = client.consumer({ groupId: 'other-team-lifecycle' });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers = headersOf(message);
        seen.push({
          key: String(message.key),
          partition,
          offset: message.offset,
          headers,
          value: String(message.value),
        });
      },
    });
    lap('bridge ready, consumer subscribed');
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    if (platform && !platform.stopping) await platform.stop();
    await kafka?.stop();
  });

  test('100 schedules (one failed, one cancelled) and 5 comparisons reach the lifecycle topic', async () => {
    for (let u = 0; u <= USERS; u++) {
      const api = new ApiClient(platform.gatewayUrl);
      await api.registerAndLogin(`kafka-${u}@example.com`);
      users.push(api);
    }
    const lots = (n: number) => smallLots(n);

    // The failed one: the API validates lots with the engine's own rules, so no request makes a
    // solver fail. A poison job does: published (as a broken upstream would) under the id the next
    // schedule gets, it takes that schedule's place in the work queue (same Nats-Msg-Id, so the
    // schedule service's publish is dropped as a duplicate), and the solver fails it
    // (VALIDATION_ERROR, dead letter) — the real failure path, deterministic.
    const me = (await users[0].request('GET', '/auth/me')).body as { id: number };
    const first = await users[0].request('POST', '/schedule', { name: 's', lots_data: lots(0) });
    expect(first.status).toBe(202);
    schedules.push({ id: first.body.id, user: 0, expect: 'completed' });
    const failedId = first.body.id + 1;
    const jobId = `schedule.${failedId}`;
    await publishEvent(
      jetstream(nc),
      userJobsSubject(me.id),
      makeEvent({
        type: EVENT_TYPES.solveRequested,
        source: '/fillsched/test/poison',
        subject: jobId,
        id: `solve.requested:${jobId}`,
        data: {
          job_id: jobId,
          owner: { kind: 'schedule', id: failedId, user_id: me.id },
          strategy: 'smart-pack',
          input: { lots_data: [{ lot_id: 'P1', product: 'X', quantity: -5 }], config: {}, start_time: null },
        },
      }),
    );
    const failed = await users[0].request('POST', '/schedule', { name: 'poisoned', lots_data: lots(1) });
    expect(failed.body.id).toBe(failedId); // a fresh store hands out ids in order
    schedules.push({ id: failedId, user: 0, expect: 'failed' });

    // The cancelled one: deleted while pending; the solver that takes its job later skips it.
    const cancelled = await users[0].request('POST', '/schedule', { name: 'cancel me', lots_data: lots(2) });
    expect(cancelled.status).toBe(202);
    expect((await users[0].request('DELETE', `/schedule/${cancelled.body.id}`)).status).toBe(200);
    schedules.push({ id: cancelled.body.id, user: 0, expect: 'cancelled' });

    platform.startSolver('solver-1');
    platform.startSolver('solver-2');
    lap('failed and cancelled set up, solvers starting');

    // The rest: ten users creating in parallel (429 at the per-user limit is waited out).
    const create = async (u: number, n: number) => {
      for (let tries = 0; ; tries++) {
        const res = await users[u].request('POST', '/schedule', {
          name: `k${u}-${n}`,
          lots_data: lots(u * 100 + n),
          strategy: n % 2 ? 'lpt-pack' : 'smart-pack',
        });
        if (res.status === 202) return res.body.id as number;
        if (res.status !== 429 || tries > 100)
          throw new Error(`create ${res.status} ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await Promise.all([
      ...Array.from({ length: USERS }, async (_, u) => {
        for (let n = u === 0 ? 3 : 0; n < PER_USER; n++)
          schedules.push({ id: await create(u, n), user: u, expect: 'completed' });
      }),
      (async () => {
        for (let c = 0; c < COMPARISONS; c++) {
          for (let tries = 0; ; tries++) {
            const res = await users[USERS].request('POST', '/compare', {
              name: `c${c}`,
              lots_data: lots(5000 + c),
              strategies: ['lpt-pack', 'spt-pack'],
            });
            if (res.status === 202) {
              comparisons.push(res.body.id);
              break;
            }
            if (res.status !== 429 || tries > 100) throw new Error(`compare ${res.status}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      })(),
    ]);
    expect(schedules).toHaveLength(USERS * PER_USER);
    expect(comparisons).toHaveLength(COMPARISONS);
    lap('100 schedules and 5 comparisons created');

    // Settled = seen on Kafka: each schedule's terminal status event, each comparison's finished,
    // and the solver's `cancelled` of the deleted schedule (published when a solver took its job).
    const terminalId = (s: (typeof schedules)[number]) => `schedule.${s.expect}:${s.id}`;
    await waitUntil(
      async () =>
        schedules.every((s) => seenId(terminalId(s))) &&
        comparisons.every((c) => seenId(`comparison.finished:${c}`)) &&
        seenId(`schedule.${cancelled.body.id}:cancelled`),
      120_000,
      'every terminal event on the topic',
    ).catch((err) => {
      const missing = schedules.filter((s) => !seenId(terminalId(s))).map(terminalId);
      throw new Error(`${(err as Error).message}; missing ${missing.length}: ${missing.slice(0, 5)}`);
    });
    lap('every terminal event seen on Kafka');

    // The stream as the platform wrote it (admin user, ordered consumer): nothing more is coming.
    const jsm = await jetstreamManager(nc);
    const last = (await jsm.streams.info(EVENTS_STREAM)).state.last_seq;
    const oc = await jetstream(nc).consumers.get(EVENTS_STREAM);
    const read: StreamEvent[] = [];
    const iter = await oc.consume();
    for await (const m of iter) {
      read.push({ seq: m.seq, key: kafkaKeyOf(m.subject) ?? m.subject, event: m.json<CloudEvent>() });
      if (m.seq >= last) break;
    }
    await iter.close();
    stream = read;
    await waitUntil(async () => uniqueIds().size >= stream.length, 30_000, 'every stream event on Kafka');
    await new Promise((r) => setTimeout(r, 500)); // room for a wrong extra record
    lap(`${stream.length} stream events, ${seen.length} records`);
  });

  test('every event once per ce_id (no record without a stream event), binding headers, value = data', () => {
    expect(stream.length).toBeGreaterThan(USERS * PER_USER * 3);
    const byId = new Map(stream.map((s) => [s.event.id, s]));
    expect(byId.size).toBe(stream.length);
    expect([...uniqueIds()].sort()).toEqual([...byId.keys()].sort());
    // No fault in this run: not even the duplicates a bridge restart may cause.
    expect(seen.length).toBe(stream.length);
    const types = new Set<string>(Object.values(EVENT_TYPES));
    for (const rec of seen) {
      const original = byId.get(rec.headers.ce_id)!;
      expect(rec.key).toBe(original.key);
      expect(rec.headers).toMatchObject({
        ce_specversion: '1.0',
        ce_id: original.event.id,
        ce_type: original.event.type,
        ce_source: original.event.source,
        'content-type': 'application/json',
      });
      expect(types.has(rec.headers.ce_type)).toBe(true);
      expect(rec.headers.ce_source).toMatch(/^\/fillsched\/(solver|schedule|comparison)\/[\w.-]+$/);
      // ce_subject names the schedule or the comparison's job: it starts with the record key
      expect(rec.headers.ce_subject.startsWith(rec.key)).toBe(true);
      // the record is the stream's CloudEvent, losslessly (binary mode: attributes + data)
      expect(fromKafkaRecord(rec.headers, rec.value)).toEqual({
        datacontenttype: 'application/json',
        ...original.event,
      });
    }
    // every key sits on one partition
    const partitions = new Map<string, Set<number>>();
    for (const r of seen) partitions.set(r.key, (partitions.get(r.key) ?? new Set()).add(r.partition));
    for (const [key, p] of partitions) expect({ key, partitions: p.size }).toEqual({ key, partitions: 1 });
  });

  test("in the stream's order per key, and each schedule's sequence follows the lifecycle", () => {
    const kafkaOrder = new Map<string, string[]>();
    const done = new Set<string>();
    for (const r of seen) {
      if (done.has(r.headers.ce_id)) continue;
      done.add(r.headers.ce_id);
      kafkaOrder.set(r.key, [...(kafkaOrder.get(r.key) ?? []), r.headers.ce_id]);
    }
    const streamOrder = new Map<string, string[]>();
    for (const s of stream) streamOrder.set(s.key, [...(streamOrder.get(s.key) ?? []), s.event.id]);
    expect(kafkaOrder.size).toBe(streamOrder.size);
    for (const [key, ids] of streamOrder) expect({ key, ids: kafkaOrder.get(key) }).toEqual({ key, ids });

    // The lifecycle (packages/contracts/src/lifecycle.ts): per job the solver's `started` come
    // before its one terminal stage; the owner's statuses only move forward and its terminal status
    // follows the solver's terminal stage (it is announced once the store shows it). A deletion is
    // the owner's own cancel, announced before a solver skips the job.
    const typesOf = (key: string) =>
      (kafkaOrder.get(key) ?? []).map((id) => seen.find((r) => r.headers.ce_id === id)!.headers.ce_type);
    for (const s of schedules) {
      const t = typesOf(`schedule.${s.id}`);
      const solverTerminal = t.filter((x) =>
        [EVENT_TYPES.solveCompleted, EVENT_TYPES.solveFailed, EVENT_TYPES.solveCancelled].includes(
          x as never,
        ),
      );
      const statuses = t
        .filter((x) => SCHEDULE_STATUS_TYPE.test(x))
        .map((x) => SCHEDULE_STATUS_TYPE.exec(x)![1]);
      const at = (type: string) => t.indexOf(type);
      const expected =
        s.expect === 'completed'
          ? { solver: [EVENT_TYPES.solveCompleted], statuses: ['running', 'completed'] }
          : s.expect === 'failed'
            ? { solver: [EVENT_TYPES.solveFailed], statuses: ['failed'] }
            : { solver: [EVENT_TYPES.solveCancelled], statuses: ['cancelled'] };
      expect({ id: s.id, solver: solverTerminal, statuses }).toEqual({ id: s.id, ...expected });
      if (s.expect === 'completed') {
        expect(at(EVENT_TYPES.solveStarted)).toBeGreaterThanOrEqual(0);
        expect(at(EVENT_TYPES.solveStarted)).toBeLessThan(at(EVENT_TYPES.solveCompleted));
        expect(at(EVENT_TYPES.solveStarted)).toBeLessThan(at(EVENT_TYPES.scheduleRunning));
        expect(at(EVENT_TYPES.solveCompleted)).toBeLessThan(at(EVENT_TYPES.scheduleCompleted));
      } else if (s.expect === 'failed') {
        // a poison job fails before it starts
        expect(at(EVENT_TYPES.solveStarted)).toBe(-1);
        expect(at(EVENT_TYPES.solveFailed)).toBeLessThan(at(EVENT_TYPES.scheduleFailed));
      } else {
        expect(at(EVENT_TYPES.scheduleCancelled)).toBeLessThan(at(EVENT_TYPES.solveCancelled));
      }
    }
    for (const c of comparisons) {
      const ids = kafkaOrder.get(`comparison.${c}`)!;
      expect(ids[ids.length - 1]).toBe(`comparison.finished:${c}`);
      for (const strategy of ['lpt-pack', 'spt-pack']) {
        const job = `comparison.${c}.${strategy}`;
        expect(ids.indexOf(`${job}:started:1`)).toBeGreaterThanOrEqual(0);
        expect(ids.indexOf(`${job}:started:1`)).toBeLessThan(ids.indexOf(`${job}:completed`));
      }
    }
  });

  test('the events match what the platform reports: last status event = GET /schedule/{id}', async () => {
    const statusData = (key: string) => {
      const records = seen.filter((r) => r.key === key && SCHEDULE_STATUS_TYPE.test(r.headers.ce_type));
      return JSON.parse(records[records.length - 1].value) as Record<string, any>;
    };
    for (const s of schedules) {
      const got = await users[s.user].request('GET', `/schedule/${s.id}`);
      const last = statusData(`schedule.${s.id}`);
      expect({ id: s.id, event: last.status }).toEqual({ id: s.id, event: s.expect });
      if (s.expect === 'cancelled') {
        expect(got.status).toBe(404); // deleted
        continue;
      }
      expect(got.status).toBe(200);
      expect({ id: s.id, status: got.body.status }).toEqual({ id: s.id, status: last.status });
      if (s.expect === 'failed') expect(last.error_code).toBe('VALIDATION_ERROR');
      if (s.expect === 'completed') {
        expect(last.summary.makespan).toBe(got.body.result.makespan);
        completedPlans.set(s.id, got.body);
      }
    }
    expect(completedPlans.size).toBe(USERS * PER_USER - 2);
    for (const c of comparisons) {
      const got = await users[USERS].request('GET', `/compare/${c}`);
      const finished = seen.find((r) => r.headers.ce_id === `comparison.finished:${c}`)!;
      expect(JSON.parse(finished.value).status).toBe(got.body.status);
    }
    // the bridge's own count: every stream event produced once
    const metrics = await (await fetch(`${platform.eventsBridge.opsUrl}/metrics`)).text();
    expect(Number(/^bridge_records_produced_total (\d+)/m.exec(metrics)?.[1])).toBe(stream.length);
  });

  test('the results topic holds every completed plan, equal to GET /schedule/{id} and /compare/{id}', async () => {
    const wanted = new Map<string, Record<string, unknown>>();
    for (const [id, body] of completedPlans) wanted.set(`schedule.${id}`, body);
    for (const c of comparisons) {
      const got = await users[USERS].request('GET', `/compare/${c}`);
      if (got.body.status === 'completed') wanted.set(`comparison.${c}`, got.body);
    }
    const plans = new Map<string, { headers: Record<string, string>; doc: unknown }>();
    const client = new Kafka({
      clientId: 'other-team-mes',
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    });
    const reader = client.consumer({ groupId: 'other-team-results', maxBytesPerPartition: 16 * 1024 * 1024 });
    await reader.connect();
    try {
      await reader.subscribe({ topic: KAFKA_RESULTS_DEFAULTS.topic, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) => {
          const headers = headersOf(message);
          if (message.value === null) return;
          plans.set(String(message.key), {
            headers,
            doc: JSON.parse(gunzipSync(message.value).toString('utf8')),
          });
        },
      });
      await waitUntil(
        async () => [...wanted.keys()].every((k) => plans.has(k)),
        60_000,
        'every plan on the results topic',
      );
    } finally {
      await reader.disconnect().catch(() => undefined);
    }
    expect(wanted.size).toBeGreaterThanOrEqual(USERS * PER_USER - 2);
    for (const [key, body] of wanted) {
      const got = plans.get(key)!;
      expect({ key, doc: got.doc }).toEqual({ key, doc: body });
      expect(got.headers['content-encoding']).toBe('gzip');
      expect(got.headers.ce_subject).toBe(key);
    }
    // nothing but completed plans: the failed schedule has no record
    const failed = schedules.find((s) => s.expect === 'failed')!;
    expect(plans.has(`schedule.${failed.id}`)).toBe(false);
  });

  test('the platform stops the bridge with the other services, cleanly (exit 0)', async () => {
    await platform.stop();
    const stopped = platformLog.filter((l) => l.msg === 'stopped');
    expect(stopped.find((l) => l.process === 'events-bridge')).toMatchObject({ code: 0, signal: null });
    expect(stopped.map((l) => l.process)).toContain('solver-1');
    lap('platform stopped');
  });

  test('npm start (scripts/start-platform.js) with KAFKA_BROKERS: the bridge in the banner, ready, stopped by Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: '0',
      SOLVERS: '1',
      KAFKA_BROKERS: kafka.brokers.join(','),
      LOG_FORMAT: 'json',
    };
    for (const k of ['NATS_URL', 'MONGO_URL', 'SERVICE_INSTANCE']) delete env[k];
    const launcher = spawn(process.execPath, ['scripts/start-platform.js'], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    const err: string[] = [];
    readline.createInterface({ input: launcher.stdout! }).on('line', (l) => out.push(l));
    readline.createInterface({ input: launcher.stderr! }).on('line', (l) => err.push(l));
    const exit = new Promise<number | null>((r) => launcher.once('exit', (code) => r(code)));
    try {
      await waitUntil(
        async () =>
          out.some((l) => l.includes('"events bridge ready"')) &&
          err.some((l) => l.includes('"platform ready"')),
        90_000,
        'the bridge and the platform ready',
      );
      expect(err.join('\n')).toMatch(/^ {2}services +.*events-bridge \(Kafka 127\.0\.0\.1:\d+\)$/m);
      process.kill(-launcher.pid!, 'SIGINT');
      expect(await exit).toBe(0);
      const stopped = err.map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      });
      expect(stopped.find((j) => j?.msg === 'stopped' && j.process === 'events-bridge')).toMatchObject({
        code: 0,
        signal: null,
      });
    } finally {
      if (launcher.exitCode === null) process.kill(-launcher.pid!, 'SIGKILL');
    }
    lap('npm start with the bridge');
  });
});
