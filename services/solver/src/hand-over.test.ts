import { RESULT_INLINE_HEADER, fromChunks, readInlineResult, toChunks } from '@fillsched/contracts';
import { MemoryResultStore, RecordingPublisher, systemClock } from './adapters/memory';
import { announceStored, handOver } from './hand-over';
import { createLifecyclePublisher } from './lifecycle-publisher';
import { makeMeta, makeResultDocument } from './result-store.contract';

const ident = {
  job_id: 'schedule.7',
  owner: { kind: 'schedule' as const, id: 7, user_id: 3 },
  strategy: 'smart-pack' as const,
};
const job = { ident, attempt: 1, correlationId: 'c-1', meta: makeMeta('schedule.7') };

function setup() {
  const store = new MemoryResultStore();
  const publisher = new RecordingPublisher();
  const lifecycle = createLifecyclePublisher({ publisher, worker: 'w', clock: systemClock });
  return { store, publisher, lifecycle };
}

describe('handOver', () => {
  test('a small result: stored and announced with the result inline, the event itself only the summary', async () => {
    const { store, publisher, lifecycle } = setup();
    const chunks = toChunks(makeResultDocument(20));
    expect(await handOver({ store, lifecycle }, job, chunks)).toEqual({ created: true, inline: true });
    expect(store.count()).toBe(1);
    const [completed] = publisher.events;
    expect(completed.subject).toBe('fillsched.events.schedule.7.completed');
    expect(readInlineResult(completed.headers?.[RESULT_INLINE_HEADER])).toEqual({
      kind: 'ok',
      chunks: JSON.parse(JSON.stringify(chunks)),
    });
    expect(JSON.stringify(completed.event)).not.toContain('activities');
  });

  test('a result of several chunks: stored BEFORE completed, which carries no result (taken over by RPC)', async () => {
    const { store, publisher, lifecycle } = setup();
    const chunks = toChunks(makeResultDocument(400), 4_000);
    expect(chunks.length).toBeGreaterThan(1);
    const order: string[] = [];
    const save = store.save.bind(store);
    jest.spyOn(store, 'save').mockImplementation(async (...args) => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('saved');
      return save(...args);
    });
    const publish = publisher.publish.bind(publisher);
    jest.spyOn(publisher, 'publish').mockImplementation(async (...args) => {
      order.push('published');
      return publish(...args);
    });
    expect(await handOver({ store, lifecycle }, job, chunks)).toEqual({ created: true, inline: false });
    expect(order).toEqual(['saved', 'published']);
    expect(publisher.events[0].headers).toBeUndefined();
  });

  test('a large result whose store write fails announces nothing (the owner could not fetch it)', async () => {
    const { store, publisher, lifecycle } = setup();
    jest.spyOn(store, 'save').mockRejectedValueOnce(new Error('store down'));
    const chunks = toChunks(makeResultDocument(400), 4_000);
    await expect(handOver({ store, lifecycle }, job, chunks)).rejects.toThrow('store down');
    expect(publisher.events).toEqual([]);
  });

  test('a small result: a failed publish fails the hand-over only after the store write settled', async () => {
    const { store, publisher, lifecycle } = setup();
    let saved = false;
    const save = store.save.bind(store);
    jest.spyOn(store, 'save').mockImplementation(async (...args) => {
      await new Promise((r) => setTimeout(r, 30));
      saved = true;
      return save(...args);
    });
    publisher.failWith = new Error('nats down');
    await expect(handOver({ store, lifecycle }, job, toChunks(makeResultDocument(5)))).rejects.toThrow(
      'nats down',
    );
    expect(saved).toBe(true);
  });

  test('announceStored re-publishes a stored one-chunk result inline, a multi-chunk one without it', async () => {
    const { publisher, lifecycle } = setup();
    const [one] = toChunks(makeResultDocument(5));
    await announceStored(lifecycle, job, { ...one, summary: one.summary! });
    const [head] = toChunks(makeResultDocument(400), 4_000);
    await announceStored(lifecycle, job, { ...head, summary: head.summary! });
    const [a, b] = publisher.events;
    const read = readInlineResult(a.headers?.[RESULT_INLINE_HEADER]);
    expect(read.kind === 'ok' && fromChunks(read.chunks).activities).toHaveLength(5);
    expect(b.headers).toBeUndefined();
    expect(a.event.id).toBe(b.event.id);
  });
});
