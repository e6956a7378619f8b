import { PerUserQueue } from './admissions';

const tick = () => new Promise((r) => setImmediate(r));

test("one user's admissions run one after the other, other users' beside them; a failure does not stop the queue", async () => {
  const q = new PerUserQueue();
  const log: string[] = [];
  let release!: () => void;
  const first = q.run(1, async () => {
    log.push('1a start');
    await new Promise<void>((r) => (release = r));
    log.push('1a end');
    throw new Error('store down');
  });
  const second = q.run(1, async () => {
    log.push('1b');
    return 'b';
  });
  const other = q.run(2, async () => {
    log.push('2');
    return 'other';
  });
  await tick();
  expect(await other).toBe('other');
  expect(log).toEqual(['1a start', '2']);
  release();
  await expect(first).rejects.toThrow('store down');
  expect(await second).toBe('b');
  expect(log).toEqual(['1a start', '2', '1a end', '1b']);
  await tick();
  expect(q.busy).toBe(0);
});
