import { EVENT_TYPES, LIFECYCLE, makeEvent, readScheduleStatusEvent } from '@fillsched/contracts';
import { RESULT_NOT_FOUND_ATTEMPTS } from './app';
import { PrefetchedResult } from './lifecycle';
import { toChunks } from '@fillsched/contracts';
import { makeRecord, makeResult } from './repos.contract';
import { makeHarness, type TestHarness } from './testing/fakes';

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };
let h: TestHarness;

const owner = (id: number) => ({ kind: 'schedule' as const, id, user_id: 1 });
const summary = {
  makespan: 497.16,
  utilization: 0.81,
  changeovers: 4,
  lots_scheduled: 10,
  window_violations: 0,
  kpis: {},
  lower_bound: 480,
  gap: 0.0357,
  execution_time: 0.12,
  activity_count: 4,
};

function event(
  stage: 'started' | 'completed' | 'failed' | 'cancelled',
  id = 1,
  time = '2026-01-01T00:10:00.000Z',
  extra: Record<string, unknown> = {},
) {
  const { type } = LIFECYCLE[stage];
  const data: Record<string, unknown> = {
    job_id: `schedule.${id}`,
    owner: owner(id),
    strategy: 'smart-pack',
    ...extra,
  };
  if (stage === 'completed') data.summary = summary;
  if (stage === 'failed') data.error = { code: 'ENGINE_ERROR', message: 'no feasible schedule' };
  // A JSON round trip, as the consumer sees it.
  return JSON.parse(
    JSON.stringify(
      makeEvent({
        type,
        source: 'fillsched/solver',
        id: `solve.${stage}:schedule.${id}`,
        time: new Date(time),
        data,
      }),
    ),
  ) as unknown;
}

beforeEach(async () => {
  h = makeHarness();
  await h.schedules.create(makeRecord(1));
  h.fetcher.results.set('schedule.1', makeResult(4));
});

const status = async (id = 1) => (await h.schedules.get(id))!;

describe('lifecycle transitions', () => {
  test('started → running with started_at from the event', async () => {
    expect(await h.app.handleEvent(event('started'))).toMatchObject({ action: 'ack' });
    expect(await status()).toMatchObject({
      status: 'running',
      started_at: new Date('2026-01-01T00:10:00.000Z'),
    });
  });

  test('completed → result fetched and stored, then completed with completed_at', async () => {
    await h.app.handleEvent(event('started'));
    const d = await h.app.handleEvent(event('completed', 1, '2026-01-01T00:12:00.000Z'));
    expect(d).toEqual({ action: 'ack', note: 'completed' });
    expect(h.fetcher.calls).toEqual(['schedule.1']);
    expect(await status()).toMatchObject({
      status: 'completed',
      started_at: new Date('2026-01-01T00:10:00.000Z'),
      completed_at: new Date('2026-01-01T00:12:00.000Z'),
    });
    const got = await h.app.handlers.get({ user: alice, params: { id: '1' } });
    const result = (got.body as { result: Record<string, unknown> }).result;
    expect(result.activities).toHaveLength(4);
    expect(result).toMatchObject({ makespan: 497.16, lower_bound: 480, gap: 0.0357, execution_time: 0.12 });
    expect(result.per_line).toEqual(makeResult(4).summary.per_line);
    // Stored as handed over: the solver's chunks, not a reshaped copy.
    expect(h.results.chunks(1)).toEqual(toChunks(makeResult(4)));
  });

  test('a duplicate completed is acked without fetching or storing again', async () => {
    await h.app.handleEvent(event('completed'));
    const d = await h.app.handleEvent(event('completed'));
    expect(d).toMatchObject({ action: 'ack', note: 'already completed' });
    expect(h.fetcher.calls).toHaveLength(1);
    expect(h.results.size()).toBe(1);
  });

  test('a late started never undoes completed', async () => {
    await h.app.handleEvent(event('completed', 1, '2026-01-01T00:12:00.000Z'));
    await h.app.handleEvent(event('started', 1, '2026-01-01T00:10:00.000Z'));
    expect(await status()).toMatchObject({ status: 'completed' });
  });

  test('completed without a started sets started_at too', async () => {
    await h.app.handleEvent(event('completed', 1, '2026-01-01T00:12:00.000Z'));
    expect(await status()).toMatchObject({ started_at: new Date('2026-01-01T00:12:00.000Z') });
  });

  test('a duplicated started keeps the first started_at', async () => {
    await h.app.handleEvent(event('started', 1, '2026-01-01T00:10:00.000Z'));
    await h.app.handleEvent(event('started', 1, '2026-01-01T00:11:00.000Z'));
    expect((await status()).started_at).toEqual(new Date('2026-01-01T00:10:00.000Z'));
  });

  test('failed → failed with the error message; a later completed is ignored', async () => {
    await h.app.handleEvent(event('started'));
    await h.app.handleEvent(event('failed'));
    expect(await status()).toMatchObject({ status: 'failed', error_message: 'no feasible schedule' });
    expect(await h.app.handleEvent(event('completed'))).toMatchObject({
      action: 'ack',
      note: 'already failed',
    });
    expect(h.fetcher.calls).toHaveLength(0);
    expect(await status()).toMatchObject({ status: 'failed' });
  });

  test('cancelled → cancelled; nothing moves it afterwards', async () => {
    await h.app.handleEvent(event('cancelled'));
    await h.app.handleEvent(event('started'));
    await h.app.handleEvent(event('failed'));
    expect(await status()).toMatchObject({ status: 'cancelled', error_message: null });
  });

  test('an event time before created_at (clock skew) is clamped to created_at', async () => {
    await h.app.handleEvent(event('started', 1, '2025-12-31T00:00:00.000Z'));
    expect((await status()).started_at).toEqual((await status()).created_at);
  });

  test('started of a pending schedule is one conditional write, with no read before it', async () => {
    const get = jest.spyOn(h.schedules, 'get');
    expect(await h.app.handleEvent(event('started'))).toEqual({ action: 'ack', note: 'running' });
    expect(get).not.toHaveBeenCalled();
    get.mockRestore();
    expect(await status()).toMatchObject({ status: 'running' });
    expect(h.publisher.announced.map((a) => a.event.data.status)).toEqual(['running']);
  });

  test("a started whose job id is not its schedule's moves nothing", async () => {
    const ev = event('started', 1, '2026-01-01T00:10:00.000Z') as { data: { job_id: string } };
    ev.data.job_id = 'schedule.99';
    expect(await h.app.handleEvent(ev)).toMatchObject({
      action: 'ack',
      note: 'job id does not match the schedule',
    });
    expect(await status()).toMatchObject({ status: 'pending' });
  });
});

describe('lifecycle robustness', () => {
  test('an event for a deleted schedule is acked and leaves nothing behind', async () => {
    const d = await h.app.handleEvent(event('completed', 5));
    expect(d).toMatchObject({ action: 'ack', note: 'schedule deleted' });
    expect(h.fetcher.calls).toHaveLength(0);
    expect(await h.results.get(5)).toBeNull();
  });

  test('deleted while its result was being fetched → no orphan result', async () => {
    h.fetcher.during = async () => {
      await h.app.handlers.delete({ user: alice, params: { id: '1' } });
    };
    const d = await h.app.handleEvent(event('completed'));
    expect(d).toMatchObject({ action: 'ack', note: 'schedule deleted' });
    expect(await h.results.get(1)).toBeNull();
    expect(h.results.size()).toBe(0);
  });

  test.each([['not json at all'], [{ hello: 'world' }], [null], [42]])(
    'a non-CloudEvent %j is terminated',
    async (raw) => {
      expect(await h.app.handleEvent(raw)).toMatchObject({ action: 'term' });
    },
  );

  test('a CloudEvent with malformed data is terminated', async () => {
    const bad = event('started') as { data: Record<string, unknown> };
    bad.data = { job_id: 'schedule.1' };
    expect(await h.app.handleEvent(bad)).toMatchObject({ action: 'term' });
    expect(await status()).toMatchObject({ status: 'pending' });
  });

  test("an owner's own event on the same subjects is acked and ignored", async () => {
    const ev = event('started') as { type: string };
    ev.type = EVENT_TYPES.scheduleCompleted;
    expect(await h.app.handleEvent(ev)).toMatchObject({ action: 'ack' });
    expect(await status()).toMatchObject({ status: 'pending' });
  });

  test('an unknown event type is acked as unknown (logged), never taken for another stage', async () => {
    // comparison's old final `else` took any unknown type for `cancelled`; the table reader cannot.
    const ev = event('cancelled') as { type: string };
    ev.type = 'com.fillsched.solve.paused';
    expect(await h.app.handleEvent(ev)).toMatchObject({ action: 'ack', unknown: true });
    expect(await status()).toMatchObject({ status: 'pending' });
    expect(h.publisher.announced).toEqual([]);
  });

  test('a job id that does not belong to the schedule is ignored', async () => {
    const ev = event('started') as { data: { job_id: string } };
    ev.data.job_id = 'schedule.999';
    expect(await h.app.handleEvent(ev)).toMatchObject({ action: 'ack' });
    expect(await status()).toMatchObject({ status: 'pending' });
  });

  test('solver pool unavailable → nak with a growing delay; the status stays', async () => {
    h.fetcher.override = { kind: 'unavailable', reason: 'no responders' };
    const first = await h.app.handleEvent(event('completed'), { deliveryCount: 1 });
    const third = await h.app.handleEvent(event('completed'), { deliveryCount: 3 });
    expect(first).toMatchObject({ action: 'nak', delayMs: 1000 });
    expect(third).toMatchObject({ action: 'nak', delayMs: 4000 });
    const late = await h.app.handleEvent(event('completed'), { deliveryCount: 50 });
    expect(late).toMatchObject({ action: 'nak', delayMs: 30_000 });
    expect(await status()).toMatchObject({ status: 'pending' });
  });

  test(`result not found: retried, then after ${RESULT_NOT_FOUND_ATTEMPTS} deliveries the schedule fails`, async () => {
    h.fetcher.results.clear();
    expect(await h.app.handleEvent(event('completed'), { deliveryCount: 1 })).toMatchObject({
      action: 'nak',
    });
    expect(await status()).toMatchObject({ status: 'pending' });
    const d = await h.app.handleEvent(event('completed'), { deliveryCount: RESULT_NOT_FOUND_ATTEMPTS });
    expect(d).toMatchObject({ action: 'ack' });
    expect(await status()).toMatchObject({ status: 'failed' });
    expect((await status()).error_message).toMatch(/result could not be found/);
  });

  test('a store failure → nak (retried later), never an exception', async () => {
    h.results.upsert = async () => {
      throw new Error('db down');
    };
    const d = await h.app.handleEvent(event('completed'));
    expect(d).toMatchObject({ action: 'nak', reason: 'db down' });
    expect(await status()).toMatchObject({ status: 'pending' });
  });
});

describe('the schedule announces what its store shows', () => {
  const announced = () =>
    h.publisher.announced.map(({ subject, event: ev }) => {
      const read = readScheduleStatusEvent(JSON.parse(JSON.stringify(ev)));
      if (!read.ok) throw new Error(read.reason);
      return { subject, id: ev.id, type: ev.type, data: read.data };
    });

  test('started → `schedule.running` after the store shows running', async () => {
    await h.app.handleEvent(event('started'));
    expect(announced()).toEqual([
      expect.objectContaining({
        subject: 'fillsched.events.schedule.1.status.running',
        type: EVENT_TYPES.scheduleRunning,
        id: 'schedule.running:1',
        data: expect.objectContaining({ schedule_id: 1, status: 'running', summary: null }),
      }),
    ]);
  });

  test('completed → `schedule.completed` with the summary, only once the full result is readable', async () => {
    let readableWhenAnnounced: unknown = null;
    const announce = h.publisher.announce.bind(h.publisher);
    h.publisher.announce = async (subject, ev) => {
      const got = await h.app.handlers.get({ user: alice, params: { id: '1' } });
      readableWhenAnnounced = got.body;
      await announce(subject, ev);
    };
    await h.app.handleEvent(event('completed'));
    expect(readableWhenAnnounced).toMatchObject({ status: 'completed', result: { makespan: 497.16 } });
    expect((readableWhenAnnounced as { result: { activities: unknown[] } }).result.activities).toHaveLength(
      4,
    );
    expect(announced().map((a) => a.data)).toEqual([
      expect.objectContaining({ status: 'completed', summary: summary, error_message: null }),
    ]);
  });

  test('failed → `schedule.failed` with the solver error code and message', async () => {
    await h.app.handleEvent(event('failed'));
    expect(announced().map((a) => a.data)).toEqual([
      expect.objectContaining({
        status: 'failed',
        error_code: 'ENGINE_ERROR',
        error_message: 'no feasible schedule',
      }),
    ]);
  });

  test('a redelivered event whose status is stored announces again (same id: the stream drops the copy)', async () => {
    await h.app.handleEvent(event('completed'));
    await h.app.handleEvent(event('completed'));
    const ids = announced().map((a) => a.id);
    expect(ids).toEqual(['schedule.completed:1', 'schedule.completed:1']);
    expect(h.fetcher.calls).toHaveLength(1);
  });

  test('a later stage that does not move the schedule announces nothing', async () => {
    await h.app.handleEvent(event('failed'));
    await h.app.handleEvent(event('completed'));
    expect(announced().map((a) => a.data.status)).toEqual(['failed']);
  });

  test('an announce that fails leaves the event to be retried', async () => {
    h.publisher.announce = async () => {
      throw new Error('nats down');
    };
    expect(await h.app.handleEvent(event('started'))).toMatchObject({ action: 'nak' });
    expect(await status()).toMatchObject({ status: 'running' });
  });

  test('deleting a running schedule announces `schedule.cancelled` to its clients', async () => {
    await h.app.handleEvent(event('started'));
    await h.app.handlers.delete({ user: alice, params: { id: '1' } });
    expect(announced().map((a) => a.data.status)).toEqual(['running', 'cancelled']);
  });
});

describe('a completed result is fetched on arrival (prepareEvent), applied in its turn', () => {
  test('only a completed schedule event starts a fetch', () => {
    expect(h.app.prepareEvent(event('started'))).toBeNull();
    expect(h.app.prepareEvent(event('failed'))).toBeNull();
    expect(h.app.prepareEvent({ not: 'an event' })).toBeNull();
    expect(h.fetcher.calls).toEqual([]);
    expect(h.app.prepareEvent(event('completed'))).not.toBeNull();
    expect(h.fetcher.calls).toEqual(['schedule.1']);
  });

  test('the prefetched result is stored on arrival, but shown only once completed in its turn', async () => {
    const prepared = h.app.prepareEvent(event('completed', 1, '2026-01-01T00:12:00.000Z'));
    await (prepared as PrefetchedResult).staged;
    // The chunks are stored ahead; nobody sees them while the status is not completed.
    expect(await status()).toMatchObject({ status: 'pending' });
    expect(await h.results.get(1)).not.toBeNull();
    const early = await h.app.handlers.get({ user: alice, params: { id: '1' } });
    expect(early.body).toMatchObject({ status: 'pending', result: null });
    await h.app.handleEvent(event('started'));
    const d = await h.app.handleEvent(event('completed', 1, '2026-01-01T00:12:00.000Z'), { prepared });
    expect(d).toEqual({ action: 'ack', note: 'completed' });
    expect(h.fetcher.calls).toEqual(['schedule.1']);
    expect(await status()).toMatchObject({ status: 'completed' });
    expect(await h.results.get(1)).not.toBeNull();
    expect(h.publisher.announced.map((a) => a.event.data.status)).toEqual(['running', 'completed']);
    expect(await status()).toMatchObject({
      started_at: new Date('2026-01-01T00:10:00.000Z'),
      completed_at: new Date('2026-01-01T00:12:00.000Z'),
    });
  });

  test('stored ahead, no started applied: completed with started_at = completed_at', async () => {
    const prepared = h.app.prepareEvent(event('completed', 1, '2026-01-01T00:12:00.000Z'));
    const d = await h.app.handleEvent(event('completed', 1, '2026-01-01T00:12:00.000Z'), { prepared });
    expect(d).toEqual({ action: 'ack', note: 'completed' });
    const at = new Date('2026-01-01T00:12:00.000Z');
    expect(await status()).toMatchObject({ status: 'completed', started_at: at, completed_at: at });
  });

  test('stored ahead, then the schedule is deleted before its turn: no result is left behind', async () => {
    const prepared = h.app.prepareEvent(event('completed'));
    await (prepared as PrefetchedResult).staged;
    expect(await h.results.get(1)).not.toBeNull();
    await h.schedules.delete(1);
    const d = await h.app.handleEvent(event('completed'), { prepared });
    expect(d).toEqual({ action: 'ack', note: 'schedule deleted' });
    expect(await h.results.get(1)).toBeNull();
    expect(h.publisher.announced).toEqual([]);
  });

  test('a completed for a schedule that already finished stores nothing ahead (it keeps its result)', async () => {
    await h.app.handleEvent(event('completed'));
    const kept = await h.results.get(1);
    h.fetcher.results.set('schedule.1', makeResult(9));
    const prepared = h.app.prepareEvent(event('completed'));
    expect(await (prepared as PrefetchedResult).staged).toBeNull();
    expect(await h.results.get(1)).toEqual(kept);
    const d = await h.app.handleEvent(event('completed'), { prepared });
    expect(d).toMatchObject({ action: 'ack' });
    expect(await h.results.get(1)).toEqual(kept);
    // Announced again with the same id (the stream drops the copy): a crash before it loses nothing.
    expect(h.publisher.announced.map((a) => a.event.id)).toEqual([
      h.publisher.announced[0].event.id,
      h.publisher.announced[0].event.id,
    ]);
  });

  test('a completed right after this process applied its started is stored ahead without reading the schedule', async () => {
    await h.app.handleEvent(event('started'));
    const get = jest.spyOn(h.schedules, 'get');
    const prepared = h.app.prepareEvent(event('completed', 1, '2026-01-01T00:12:00.000Z'));
    expect(await (prepared as PrefetchedResult).staged).toMatchObject({ id: 1, status: 'running' });
    expect(get).not.toHaveBeenCalled();
    expect(await h.results.get(1)).not.toBeNull();
    const d = await h.app.handleEvent(event('completed', 1, '2026-01-01T00:12:00.000Z'), { prepared });
    expect(d).toEqual({ action: 'ack', note: 'completed' });
    expect(await status()).toMatchObject({
      status: 'completed',
      started_at: new Date('2026-01-01T00:10:00.000Z'),
      completed_at: new Date('2026-01-01T00:12:00.000Z'),
    });
    expect(h.publisher.announced.map((a) => a.event.data.status)).toEqual(['running', 'completed']);
  });

  test('read-free staging, then the schedule is deleted before the turn: no result is left behind', async () => {
    await h.app.handleEvent(event('started'));
    await h.schedules.delete(1);
    const prepared = h.app.prepareEvent(event('completed'));
    await (prepared as PrefetchedResult).staged;
    const d = await h.app.handleEvent(event('completed'), { prepared });
    expect(d).toEqual({ action: 'ack', note: 'schedule deleted' });
    expect(await h.results.get(1)).toBeNull();
    expect(h.publisher.announced.map((a) => a.event.data.status)).toEqual(['running']);
  });

  test('once a schedule left running, its next completed reads it again (and keeps the result it has)', async () => {
    await h.app.handleEvent(event('started'));
    await h.app.handleEvent(event('completed'));
    const kept = await h.results.get(1);
    h.fetcher.results.set('schedule.1', makeResult(9));
    const get = jest.spyOn(h.schedules, 'get');
    const prepared = h.app.prepareEvent(event('completed'));
    expect(await (prepared as PrefetchedResult).staged).toBeNull();
    expect(get).toHaveBeenCalled();
    expect(await h.results.get(1)).toEqual(kept);
  });

  test('a prefetch for another job (the schedule was re-planned meanwhile) is not used', async () => {
    const prepared = h.app.prepareEvent(event('completed', 2));
    await h.app.handleEvent(event('completed'), { prepared });
    expect(h.fetcher.calls).toEqual(['schedule.2', 'schedule.1']);
    expect(await status()).toMatchObject({ status: 'completed' });
  });

  test('a prefetch that throws becomes a retry (nak), like a fetch that throws in turn', async () => {
    jest.spyOn(h.fetcher, 'fetch').mockRejectedValueOnce(new Error('connection closed'));
    const prepared = h.app.prepareEvent(event('completed'));
    const d = await h.app.handleEvent(event('completed'), { prepared, deliveryCount: 1 });
    expect(d).toMatchObject({ action: 'nak', reason: 'result fetch: connection closed' });
    expect(await status()).toMatchObject({ status: 'pending' });
  });
});
