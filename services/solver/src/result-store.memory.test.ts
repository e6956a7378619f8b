import { DuplicateKeyError } from '@fillsched/service-kit';
import { MemoryResultStore } from './adapters/memory';
import { makeStoredResult, resultStoreContract } from './result-store.contract';

resultStoreContract('memory', async () => ({ store: new MemoryResultStore() }));

test('the memory store enforces the unique job_id like the index does', () => {
  const store = new MemoryResultStore();
  store.insert(makeStoredResult('schedule.1'));
  expect(() => store.insert(makeStoredResult('schedule.1'))).toThrow(DuplicateKeyError);
});

test('pages are copies: mutating one does not change the stored result', async () => {
  const store = new MemoryResultStore();
  await store.save(makeStoredResult('schedule.2', 2));
  const page = await store.findPage('schedule.2', 0, 2);
  page!.activities[0].lot_id = 'changed';
  expect((await store.findPage('schedule.2', 0, 2))!.activities[0].lot_id).toBe('L0');
});
