import { chooseSweep, chooseUser, type UserLoad } from './fair-dispatch';

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
