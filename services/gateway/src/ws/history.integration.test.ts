// The channel history over a real nats-server: offsets, the prev chain, dedup across replicas,
// recovery within and beyond the per-channel bound, and epochs.
import { jetstreamManager } from '@nats-io/jetstream';
import { WS_HISTORY_STREAM, wsHistorySubject } from '@fillsched/contracts';
import {
  connectNats,
  createLogger,
  ensureStreams,
  type NatsHandle,
  type StreamSpec,
} from '@fillsched/service-kit';
import { startNatsForTests, type TestNats } from '@fillsched/service-kit/testing';
import { wsHistoryStreamSpec } from '@fillsched/contracts';
import { HistoryAppender, NatsChannelHistory, type StoredPublication } from './history';
import type { ChannelPublication } from './channels';

const logger = createLogger('ws-history-test', 'silent');
let nats: TestNats;
let a: NatsHandle;
let b: NatsHandle;
const SIZE = 3;

const pub = (n: number, channel = 'schedule:1', final = false): ChannelPublication => ({
  channel,
  data: { type: 'progress', step: 's', progress: n, message: `m${n}`, timestamp: 't' },
  final,
  eventId: `ev-${n}`,
});

beforeAll(async () => {
  nats = await startNatsForTests();
  a = await connectNats({ servers: nats.url, name: 'gw-a', logger });
  b = await connectNats({ servers: nats.url, name: 'gw-b', logger });
  await ensureStreams(a.nc, { streams: [wsHistoryStreamSpec(SIZE) as unknown as StreamSpec] });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await nats?.stop();
});

test('two replicas appending the same events store each once, chained, in order', async () => {
  const ra = new HistoryAppender(a.nc);
  const rb = new HistoryAppender(b.nc);
  await Promise.all([ra.append(pub(1)), rb.append(pub(1))]);
  await Promise.all([ra.append(pub(2)), rb.append(pub(2))]);
  const history = new NatsChannelHistory(a.nc, SIZE);
  const subject = wsHistorySubject('schedule:1');
  const all = await history.since(subject, 0);
  expect(all.recovered).toBe(true);
  expect(all.publications.map((p) => p.data.progress)).toEqual([1, 2]);
  expect(all.offset).toBe(all.publications[1].offset);
  const after1 = await history.since(subject, all.publications[0].offset);
  expect(after1).toMatchObject({ recovered: true });
  expect(after1.publications.map((p) => p.data.progress)).toEqual([2]);
  const upToDate = await history.since(subject, all.offset);
  expect(upToDate).toEqual({ recovered: true, publications: [], offset: all.offset });
});

test('beyond the per-channel bound: recovered false; a finished channel takes no late progress', async () => {
  const ra = new HistoryAppender(a.nc);
  const history = new NatsChannelHistory(a.nc, SIZE);
  const subject = wsHistorySubject('schedule:2');
  await ra.append(pub(1, 'schedule:2'));
  const first = (await history.current(subject)).offset;
  for (let n = 2; n <= 5; n++) await ra.append(pub(n, 'schedule:2'));
  const lost = await history.since(subject, first);
  expect(lost.recovered).toBe(false);
  const kept = await history.since(subject, (await history.since(subject, 0)).publications[0].offset);
  expect(kept.recovered).toBe(true);
  await ra.append(pub(6, 'schedule:2', true));
  await ra.append(pub(7, 'schedule:2'));
  const cur = await history.current(subject);
  expect(cur.last?.data.progress).toBe(6);
  expect(cur.last?.final).toBe(true);
});

test('an empty channel subscribed at the stream position recovers its first publications', async () => {
  const history = new NatsChannelHistory(a.nc, SIZE);
  const subject = wsHistorySubject('user', 9);
  const empty = await history.current(subject);
  expect(empty.last).toBeNull();
  await new HistoryAppender(b.nc).append({ ...pub(1, 'user'), userId: 9 });
  const r = await history.since(subject, empty.offset);
  expect(r.recovered).toBe(true);
  expect(r.publications).toHaveLength(1);
  // A position the history never reached is not recovered.
  expect((await history.since(subject, r.offset + 1000)).recovered).toBe(false);
});

test('the follower sees every stored publication; the epoch changes when the stream is recreated', async () => {
  const history = new NatsChannelHistory(a.nc, SIZE);
  const seen: Array<[string, StoredPublication]> = [];
  const stop = await history.follow((s, p) => seen.push([s, p]));
  await new HistoryAppender(b.nc).append(pub(1, 'compare:3'));
  for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  stop();
  expect(seen[0][0]).toBe(wsHistorySubject('compare:3'));
  const before = await history.epoch();
  const jsm = await jetstreamManager(a.nc);
  await jsm.streams.delete(WS_HISTORY_STREAM);
  await new Promise((r) => setTimeout(r, 5));
  await ensureStreams(a.nc, { streams: [wsHistoryStreamSpec(SIZE) as unknown as StreamSpec] });
  expect(await new NatsChannelHistory(a.nc, SIZE).epoch()).not.toBe(before);
});
