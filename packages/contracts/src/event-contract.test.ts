import { EVENT_CONTRACTS, eventId, eventSource } from './event-contract';
import { EVENT_TYPES } from './events';

describe('event contracts', () => {
  it('cover every event type once', () => {
    expect(EVENT_CONTRACTS.map((c) => c.type).sort()).toEqual(Object.values(EVENT_TYPES).sort());
  });

  it('build ids and sources from the patterns', () => {
    expect(eventId(EVENT_TYPES.solveRequested, { job_id: 'schedule.4' })).toBe('solve.requested:schedule.4');
    expect(eventId(EVENT_TYPES.solveStarted, { job_id: 'schedule.4', attempt: 2 })).toBe(
      'schedule.4:started:2',
    );
    expect(eventId(EVENT_TYPES.solveCompleted, { job_id: 'schedule.4', attempt: 2 })).toBe(
      'schedule.4:completed',
    );
    expect(eventId(EVENT_TYPES.comparisonFinished, { comparison_id: 9 })).toBe('comparison.finished:9');
    expect(eventSource('solver', 'solver-1')).toBe('/fillsched/solver/solver-1');
  });

  it('refuse a missing placeholder value instead of publishing a malformed id', () => {
    expect(() => eventId(EVENT_TYPES.solveProgress, { job_id: 'schedule.4', attempt: 1 })).toThrow(/<seq>/);
  });
});
