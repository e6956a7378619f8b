import { ProgressThrottle } from './progress-throttle';

const ticks = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('ProgressThrottle', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function make(intervalMs = 250) {
    const sent: number[] = [];
    const throttle = new ProgressThrottle<number>(
      intervalMs,
      async (v) => void sent.push(v),
      () => Date.now(),
    );
    return { sent, throttle };
  }

  test('the first update goes out at once, the rest at most once per interval, newest wins', async () => {
    const { sent, throttle } = make();
    for (let i = 1; i <= 10; i++) {
      throttle.push(i);
      jest.advanceTimersByTime(50); // 10 updates over 500 ms
    }
    await ticks();
    expect(sent[0]).toBe(1);
    expect(sent.length).toBeLessThanOrEqual(3);
    await throttle.flush();
    expect(sent[sent.length - 1]).toBe(10); // the last one is never lost
    expect([...sent].sort((a, b) => a - b)).toEqual(sent);
  });

  test('a held-back update is sent when the interval passes', async () => {
    const { sent, throttle } = make();
    throttle.push(1);
    throttle.push(2);
    await ticks();
    expect(sent).toEqual([1]);
    jest.advanceTimersByTime(250);
    await ticks();
    expect(sent).toEqual([1, 2]);
  });

  test('discard drops a held-back update and ignores later ones', async () => {
    const { sent, throttle } = make();
    throttle.push(1);
    throttle.push(2);
    await throttle.discard();
    throttle.push(3);
    jest.advanceTimersByTime(1000);
    expect(sent).toEqual([1]);
  });

  test('a failing send does not break the chain', async () => {
    const sent: number[] = [];
    const throttle = new ProgressThrottle<number>(0, async (v) => {
      if (v === 1) throw new Error('publish failed');
      sent.push(v);
    });
    throttle.push(1);
    throttle.push(2);
    await throttle.flush();
    expect(sent).toEqual([2]);
  });

  test('handOff: `issued` once the last send is called, `done` once it is confirmed; nothing after it', async () => {
    const calls: number[] = [];
    const confirm: Array<() => void> = [];
    const throttle = new ProgressThrottle<number>(
      250,
      (v) => {
        calls.push(v);
        return new Promise<void>((resolve) => confirm.push(resolve));
      },
      () => Date.now(),
    );
    throttle.push(1); // sent at once
    throttle.push(2); // held back
    await ticks();
    expect(calls).toEqual([1]);
    confirm[0]();
    const { issued, done } = throttle.handOff();
    let isDone = false;
    void done.then(() => (isDone = true));
    await issued;
    expect(calls).toEqual([1, 2]); // the held-back update was handed over...
    await ticks();
    expect(isDone).toBe(false); // ...and is not confirmed yet
    confirm[1]();
    await done;
    throttle.push(3);
    await ticks();
    expect(calls).toEqual([1, 2]);
  });

  test('handOff with nothing held back resolves at once', async () => {
    const { sent, throttle } = make();
    const { issued, done } = throttle.handOff();
    await issued;
    await done;
    expect(sent).toEqual([]);
  });
});
