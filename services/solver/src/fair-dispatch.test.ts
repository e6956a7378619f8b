import { userJobsSubject, userSolverConsumer } from '@fillsched/contracts';
import type { JetStreamManager } from '@nats-io/jetstream';
import { chooseSweep, chooseUser, readQueueLoads, type UserLoad } from './fair-dispatch';

const load = (user: number, queued: number, running: number): UserLoad => ({
  user,
  queued,
  running,
  inStream: queued + running,
});

describe('chooseUser (fair pull between users)', () => {
  it('serves the user with the fewest jobs running, whatever the size of the backlogs', () => {
    expect(chooseUser([load(1, 88, 2), load(2, 1, 0)], new Map())).toBe(2);
    expect(chooseUser([load(1, 88, 1), load(2, 1, 2)], new Map())).toBe(1);
  });

  it('skips users with nothing queued; null when nobody has queued work', () => {
    expect(chooseUser([load(1, 0, 0), load(2, 3, 5)], new Map())).toBe(2);
    expect(chooseUser([load(1, 0, 2)], new Map())).toBeNull();
    expect(chooseUser([], new Map())).toBeNull();
  });

  it('equal running counts: round robin by who was served longest ago, then the lower id', () => {
    const loads = [load(3, 5, 1), load(1, 5, 1), load(2, 5, 1)];
    expect(chooseUser(loads, new Map())).toBe(1);
    expect(chooseUser(loads, new Map([[1, 1]]))).toBe(2);
    expect(
      chooseUser(
        loads,
        new Map([
          [1, 1],
          [2, 2],
        ]),
      ),
    ).toBe(3);
    expect(
      chooseUser(
        loads,
        new Map([
          [1, 4],
          [2, 2],
          [3, 3],
        ]),
      ),
    ).toBe(2);
  });
});

describe('chooseSweep (redeliveries that no num_pending shows)', () => {
  it('takes users with messages in the stream in turn, least recently swept first', () => {
    const loads = [load(1, 0, 1), load(2, 0, 0), load(3, 0, 2)];
    expect(chooseSweep(loads, new Map())).toBe(1);
    expect(chooseSweep(loads, new Map([[1, 5]]))).toBe(3);
    expect(chooseSweep([load(2, 0, 0)], new Map())).toBeNull();
  });
});

describe('readQueueLoads', () => {
  /** A JetStreamManager stand-in that records the order of requests and answers the stream's counts on demand. */
  function fakeJsm(counts: Record<string, number>, pending: Record<number, [number, number]>) {
    const asked: string[] = [];
    let answerStream: () => void = () => undefined;
    const jsm = {
      streams: {
        info: () => {
          asked.push('stream');
          return new Promise((resolve) => {
            answerStream = () => resolve({ state: { subjects: counts } });
          });
        },
      },
      consumers: {
        info: async (_stream: string, name: string) => {
          asked.push(name);
          const user = Number(name.split('-u').pop());
          const [num_pending, num_ack_pending] = pending[user] ?? [0, 0];
          return { num_pending, num_ack_pending };
        },
        add: async () => ({}),
      },
    };
    return { jsm: jsm as unknown as JetStreamManager, asked, answer: () => answerStream() };
  }

  it("asks a rung, known user's consumer beside the stream, not after it; same loads", async () => {
    const f = fakeJsm({ [userJobsSubject(7)]: 1, [userJobsSubject(8)]: 2 }, { 7: [1, 0], 8: [1, 1] });
    const reading = readQueueLoads(f.jsm, new Set([7, 8]), [7, 99]);
    await Promise.resolve();
    // Before the stream answered: the rung user 7 only (99 is not known: its consumer may not exist).
    expect(f.asked).toEqual([userSolverConsumer(7), 'stream']);
    f.answer();
    const loads = await reading;
    expect(f.asked).toEqual([userSolverConsumer(7), 'stream', userSolverConsumer(8)]);
    expect(loads.users).toEqual([
      { user: 7, queued: 1, running: 0, inStream: 1 },
      { user: 8, queued: 1, running: 1, inStream: 2 },
    ]);
  });

  it('without rung users it asks the stream first, as before', async () => {
    const f = fakeJsm({ [userJobsSubject(7)]: 1 }, { 7: [1, 0] });
    const reading = readQueueLoads(f.jsm, new Set([7]));
    await Promise.resolve();
    expect(f.asked).toEqual(['stream']);
    f.answer();
    expect((await reading).users).toEqual([{ user: 7, queued: 1, running: 0, inStream: 1 }]);
  });
});
