import { encodeJson } from '@fillsched/service-kit';
import { userOfNotice } from './adapters/take';
import { Doorbell } from './doorbell';

describe('Doorbell', () => {
  it('wakes a waiting slot and keeps whose job was queued until taken', async () => {
    const bell = new Doorbell();
    const woken = bell.wait(10_000);
    expect(bell.ring(7)).toBe(true);
    expect(await woken).toBe(true);
    bell.ring(8);
    bell.ring(7);
    bell.ring(); // a notice without a readable user still rings
    expect(bell.takeUsers().sort()).toEqual([7, 8]);
    expect(bell.takeUsers()).toEqual([]);
  });

  it('keeps at most 64 users and no non-integers', () => {
    const bell = new Doorbell();
    bell.ring(1.5);
    bell.ring(Number.NaN);
    for (let u = 1; u <= 100; u++) bell.ring(u);
    const users = bell.takeUsers();
    expect(users).toHaveLength(64);
    expect(users.every(Number.isSafeInteger)).toBe(true);
  });
});

describe('userOfNotice', () => {
  it('reads the user of a queued-job notice, nothing from anything else', () => {
    expect(userOfNotice(encodeJson({ job_id: 'schedule.1', user_id: 42 }))).toBe(42);
    expect(userOfNotice(encodeJson({ job_id: 'schedule.1' }))).toBeUndefined();
    expect(userOfNotice(new TextEncoder().encode('not json'))).toBeUndefined();
  });
});
