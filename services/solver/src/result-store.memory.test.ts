import { toChunks } from '@fillsched/contracts';
import { DuplicateKeyError } from '@fillsched/service-kit';
import { MemoryResultStore } from './adapters/memory';
import { makeMeta, makeResultDocument, resultStoreContract } from './result-store.contract';

resultStoreContract('memory', async () => ({ store: new MemoryResultStore() }));

test('the memory store enforces the unique job_id like the index does', () => {
  const store = new MemoryResultStore();
  const chunks = toChunks(makeResultDocument(2));
  store.insert(makeMeta('schedule.1'), chunks);
  expect(() => store.insert(makeMeta('schedule.1'), chunks)).toThrow(DuplicateKeyError);
});

test('the memory store keeps the chunks it was given, not a copy of the caller’s arrays', () => {
  const store = new MemoryResultStore();
  const chunks = toChunks(makeResultDocument(2));
  store.insert(makeMeta('schedule.2'), chunks);
  chunks[0].activities.length = 0;
  expect(store.stored('schedule.2')!.chunks[0].activities).toHaveLength(2);
});
