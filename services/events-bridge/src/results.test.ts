import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  EVENT_TYPES,
  makeEvent,
  type KafkaRecordShape,
  type KafkaResultRecord,
  type ResultRecordValue,
} from '@fillsched/contracts';
import { createLogger } from '@fillsched/service-kit';
import { createResultsProducer, encodeResultRecord, ResultsNotProducedError } from './results';
import type { RecordSink, ResultRead, ResultsMetrics } from './ports';

const logger = createLogger('results-test', 'silent');

const doc = (id: number, activities: unknown[] = [{ kind: 'FILL', line: 1, lot_id: 'L1' }]) =>
  ({
    id,
    name: `s${id}`,
    strategy: 'smart-pack',
    status: 'completed',
    created_at: '2026-01-01T00:00:00.000Z',
    started_at: '2026-01-01T00:00:01.000Z',
    completed_at: '2026-01-01T00:00:02.000Z',
    error_message: null,
    warnings: [],
    result: {
      makespan: 1,
      utilization: 0.5,
      changeovers: 0,
      lots_scheduled: 1,
      window_violations: 0,
      kpis: {},
      activities,
    },
  }) as unknown as ResultRecordValue;

const completed = (id: number) =>
  makeEvent({
    type: EVENT_TYPES.scheduleCompleted,
    source: '/fillsched/schedule/s1',
    subject: `schedule.${id}`,
    id: `schedule.completed:${id}`,
    correlationid: 'c-1',
    time: new Date('2026-01-01T00:00:03.000Z'),
    data: { schedule_id: id, status: 'completed' },
  });
const other = (id: number) =>
  makeEvent({ type: EVENT_TYPES.solveCompleted, source: '/x', id: `schedule.${id}:completed`, data: { id } });

function harness(
  reads: Record<string, ResultRead | Error>,
  opts: { maxMessageBytes?: number; failSends?: number } = {},
) {
  const sent: Array<{ topic: string; record: KafkaResultRecord }> = [];
  const asked: string[] = [];
  let sends = 0;
  const sink: RecordSink = {
    async send(topic, records) {
      sends++;
      if (sends <= (opts.failSends ?? 0)) throw new Error('broker down');
      expect(records).toHaveLength(1); // one plan per produce request: one record per batch
      for (const r of records as ReadonlyArray<KafkaRecordShape | KafkaResultRecord>)
        sent.push({ topic, record: r as KafkaResultRecord });
    },
    reachable: () => true,
  };
  const counts = { produced: 0, bytes: 0, tombstone: 0, read: 0, too_large: 0, refused: 0, kafka: 0 };
  const metrics: ResultsMetrics = {
    produced: (n) => {
      counts.produced++;
      counts.bytes += n;
    },
    tombstone: () => counts.tombstone++,
    error: (k) => counts[k]++,
  };
  const producer = createResultsProducer({
    reader: {
      async read(target) {
        const key = `${target.kind}.${target.id}`;
        asked.push(key);
        const r = reads[key];
        if (r instanceof Error) throw r;
        return r ?? { kind: 'gone' };
      },
    },
    sink,
    topic: 'results',
    maxMessageBytes: opts.maxMessageBytes ?? 1024 * 1024,
    logger,
    metrics,
  });
  return { producer, sent, asked, counts };
}

test('one gzip JSON record per completed schedule, keyed and headed from its completed event', async () => {
  const h = harness({
    'schedule.1': { kind: 'ok', document: doc(1) },
    'schedule.2': { kind: 'ok', document: doc(2) },
  });
  const n = await h.producer.produce([other(1), completed(1), completed(2), completed(1)]);
  expect(n).toBe(2);
  expect(h.asked).toEqual(['schedule.1', 'schedule.2']); // a repeated completed in one batch is read and produced once
  expect(h.sent.map((s) => s.record.key)).toEqual(['schedule.1', 'schedule.2']);
  const { record } = h.sent[0];
  expect(record.headers).toEqual({
    ce_specversion: '1.0',
    ce_id: 'schedule.result:1',
    ce_source: '/fillsched/schedule/s1',
    ce_type: 'com.fillsched.schedule.result',
    ce_subject: 'schedule.1',
    ce_time: '2026-01-01T00:00:03.000Z',
    ce_correlationid: 'c-1',
    'content-type': 'application/json',
    'content-encoding': 'gzip',
  });
  expect(JSON.parse(gunzipSync(record.value!).toString('utf8'))).toEqual(doc(1));
  expect(h.counts).toMatchObject({
    produced: 2,
    bytes: h.sent.reduce((a, s) => a + s.record.value!.length, 0),
  });
});

test('the same event and document give the same bytes (a redelivery re-produces the same record)', async () => {
  const a = await encodeResultRecord(completed(3), { kind: 'schedule', id: 3 }, doc(3));
  const b = await encodeResultRecord(completed(3), { kind: 'schedule', id: 3 }, doc(3));
  expect(a.record.value!.equals(b.record.value!)).toBe(true);
  expect(a.record.headers).toEqual(b.record.headers);
});

test('deleted before read → tombstone; refused → logged, counted, not produced, stream not held', async () => {
  const h = harness({
    'schedule.5': { kind: 'gone' },
    'schedule.6': { kind: 'refused', status: 409, reason: 'not completed' },
  });
  expect(await h.producer.produce([completed(5), completed(6)])).toBe(1);
  expect(h.sent).toEqual([
    {
      topic: 'results',
      record: {
        key: 'schedule.5',
        headers: expect.objectContaining({ ce_id: 'schedule.result:5' }),
        value: null,
      },
    },
  ]);
  expect(h.sent[0].record.headers['content-encoding']).toBeUndefined();
  expect(h.counts).toMatchObject({ tombstone: 1, refused: 1, produced: 0 });
});

test('a plan beyond max.message.bytes is refused loudly (metric), never sent, and does not hold the batch', async () => {
  // incompressible activities: ~2 MB of random hex
  const big = doc(
    7,
    Array.from({ length: 2000 }, () => ({ kind: 'FILL', lot_id: randomBytes(500).toString('hex') })),
  );
  const h = harness({
    'schedule.7': { kind: 'ok', document: big },
    'schedule.8': { kind: 'ok', document: doc(8) },
  });
  expect(await h.producer.produce([completed(7), completed(8)])).toBe(1);
  expect(h.sent.map((s) => s.record.key)).toEqual(['schedule.8']);
  expect(h.counts).toMatchObject({ too_large: 1, produced: 1 });
});

test('an owner that cannot answer or Kafka failing → ResultsNotProducedError (the batch is retried)', async () => {
  const h1 = harness({ 'schedule.1': new Error('timeout') });
  await expect(h1.producer.produce([completed(1)])).rejects.toThrow(ResultsNotProducedError);
  expect(h1.counts.read).toBe(1);
  const h2 = harness({ 'schedule.1': { kind: 'ok', document: doc(1) } }, { failSends: 1 });
  await expect(h2.producer.produce([completed(1)])).rejects.toThrow(/Kafka did not take the plan/);
  expect(h2.counts.kafka).toBe(1);
  expect(await h2.producer.produce([completed(1)])).toBe(1);
});

test('a completed comparison → one record keyed comparison.<id>; a failed or cancelled one → none', async () => {
  const finished = (id: number, status: string) =>
    makeEvent({
      type: EVENT_TYPES.comparisonFinished,
      source: '/fillsched/comparison/c1',
      id: `comparison.finished:${id}`,
      data: { comparison_id: id, user_id: 1, status, best_strategy: null, results: [] },
    });
  const comparison = { id: 7, name: 'c', status: 'completed', best_strategy: 'smart-pack', results: [] };
  const h = harness({ 'comparison.7': { kind: 'ok', document: comparison as never } });
  expect(
    await h.producer.produce([finished(7, 'completed'), finished(8, 'failed'), finished(9, 'cancelled')]),
  ).toBe(1);
  expect(h.asked).toEqual(['comparison.7']);
  const { record } = h.sent[0];
  expect(record.key).toBe('comparison.7');
  expect(record.headers).toMatchObject({
    ce_id: 'comparison.result:7',
    ce_type: 'com.fillsched.comparison.result',
    ce_subject: 'comparison.7',
    'content-encoding': 'gzip',
  });
  expect(JSON.parse(gunzipSync(record.value!).toString('utf8'))).toEqual(comparison);
});
