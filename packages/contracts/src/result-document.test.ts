import fc from 'fast-check';
import {
  RESULT_CHUNK_MAX_BYTES,
  ResultChunkSchema,
  ResultChunksError,
  ResultDocumentSchema,
  activitiesInRange,
  eventSummaryOf,
  fromChunks,
  orderChunks,
  resultView,
  toChunks,
  utf8Length,
  type ResultActivity,
  type ResultDocument,
} from './result-document';
import { ResultSummarySchema } from './events';
import { ScheduleResultSchema } from './rest/schedules';
import { inputLimitDocument } from './testing';

const bytes = (v: unknown) => utf8Length(JSON.stringify(v));

function summaryOf(activityCount: number, lines = 3): ResultDocument['summary'] {
  return {
    makespan: 12.5,
    utilization: 0.8,
    changeovers: 2,
    lots_scheduled: activityCount,
    window_violations: 0,
    kpis: { total_production_time: 12.5, lower_bound: 10, gap: 0.2 },
    per_line: Array.from({ length: lines }, (_, k) => ({
      line: k + 1,
      line_id: `line-${k + 1}`,
      makespan: 12.5,
      fill_hours: 10,
      utilization: 0.8,
      changeovers: 1,
      cleans: 1,
      lots: 1,
    })),
    lower_bound: 10,
    gap: 0.2,
    execution_time: 0.01,
    activity_count: activityCount,
  };
}

const activityArb: fc.Arbitrary<ResultActivity> = fc.record(
  {
    kind: fc.constantFrom('CLEAN', 'CHANGEOVER', 'FILL', 'IDLE', 'DOWNTIME'),
    line: fc.integer({ min: 1, max: 100 }),
    lot_id: fc.string({ maxLength: 64, unit: 'grapheme' }),
    type: fc.string({ maxLength: 40 }),
    start: fc.constant('2026-01-01T08:00:00'),
    end: fc.constant('2026-01-01T10:30:00'),
    duration: fc.double({ noNaN: true, noDefaultInfinity: true }),
    duration_hours: fc.double({ noNaN: true, noDefaultInfinity: true }),
    reason: fc.string({ maxLength: 30 }),
  },
  { requiredKeys: ['kind', 'line', 'start', 'end', 'duration', 'duration_hours'] },
);
const docArb = fc
  .array(activityArb, { maxLength: 300 })
  .map((activities): ResultDocument => ({ summary: summaryOf(activities.length), activities }));

describe('toChunks / fromChunks', () => {
  test('round trip: any document comes back equal, every chunk within the bound', () => {
    fc.assert(
      fc.property(docArb, fc.integer({ min: 2_000, max: 20_000 }), (doc, maxBytes) => {
        const chunks = toChunks(doc, maxBytes);
        for (const c of chunks) expect(bytes(c)).toBeLessThanOrEqual(maxBytes);
        // Through JSON, as a store or NATS carries them.
        expect(fromChunks(JSON.parse(JSON.stringify(chunks)))).toEqual(JSON.parse(JSON.stringify(doc)));
        expect(chunks[0].summary).toEqual(doc.summary);
        expect(chunks.slice(1).every((c) => c.summary === undefined)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test('chunks come back in any order; pages read from them match the document', () => {
    fc.assert(
      fc.property(docArb, fc.nat(400), fc.integer({ min: 1, max: 400 }), (doc, offset, limit) => {
        const chunks = toChunks(doc, 2_000);
        const shuffled = [...chunks].reverse();
        expect(fromChunks(shuffled)).toEqual(doc);
        expect(activitiesInRange(shuffled, offset, limit)).toEqual(
          doc.activities.slice(offset, offset + limit),
        );
      }),
      { numRuns: 100 },
    );
  });

  test('a small result is one chunk: the head with its summary and every activity', () => {
    const doc = inputLimitDocument(15, 3);
    const chunks = toChunks(doc);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toEqual({
      index: 0,
      count: 1,
      from: 0,
      summary: doc.summary,
      activities: doc.activities,
    });
    const empty = { summary: summaryOf(0), activities: [] };
    expect(fromChunks(toChunks(empty))).toEqual(empty);
  });

  test('at the input limits (20,000 lots, 100 lines with downtime) every chunk is far below 16 MB', () => {
    const doc = inputLimitDocument();
    const total = bytes(doc);
    expect(doc.activities.length).toBeGreaterThan(50_000);
    expect(total).toBeGreaterThan(7 * RESULT_CHUNK_MAX_BYTES);
    const chunks = toChunks(doc);
    const sizes = chunks.map(bytes);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(RESULT_CHUNK_MAX_BYTES);
    expect(RESULT_CHUNK_MAX_BYTES).toBeLessThan((16 * 1024 * 1024) / 8);
    // Filled, not fragmented: every chunk but the last holds nearly the bound.
    for (const s of sizes.slice(0, -1)) expect(s).toBeGreaterThan(RESULT_CHUNK_MAX_BYTES - 1_000);
    expect(chunks.length).toBe(Math.ceil(total / RESULT_CHUNK_MAX_BYTES));
    expect(fromChunks(chunks)).toEqual(doc);
    for (const c of chunks) expect(ResultChunkSchema.safeParse(c).success).toBe(true);
    expect(ResultDocumentSchema.safeParse(doc).success).toBe(true);
  });

  test('a summary or an activity larger than the bound is refused with its size', () => {
    const doc = inputLimitDocument(15, 3);
    expect(() => toChunks(doc, 300)).toThrow(/result summary takes \d+ bytes; a chunk holds at most 300/);
    const huge = { ...doc, activities: [{ ...doc.activities[0], reason: 'x'.repeat(5_000) }] };
    huge.summary = { ...doc.summary, activity_count: 1 };
    expect(() => toChunks(huge, 4_000)).toThrow(/activity 0 takes \d+ bytes/);
  });

  test('an incomplete or inconsistent chunk set is refused, never read as a shorter result', () => {
    const chunks = toChunks(inputLimitDocument(200, 4), 4_000);
    expect(chunks.length).toBeGreaterThan(3);
    expect(() => fromChunks([])).toThrow(ResultChunksError);
    expect(() => fromChunks(chunks.slice(0, -1))).toThrow(/expected \d+ chunks, got \d+/);
    expect(() => fromChunks([chunks[0], chunks[0], ...chunks.slice(2)])).toThrow(ResultChunksError);
    const noHead = chunks.map((c) => ({ ...c, summary: undefined }));
    expect(() => orderChunks(noHead)).toThrow(/only the head chunk carries the summary/);
    const gap = chunks.map((c, i) => (i === 2 ? { ...c, from: c.from + 1 } : c));
    expect(() => fromChunks(gap)).toThrow(/chunk 2 starts at/);
    const short = chunks.map((c, i) => (i === 1 ? { ...c, activities: c.activities.slice(1) } : c));
    expect(() => fromChunks(short)).toThrow(ResultChunksError);
  });

  test('the chunk schema refuses a head without summary and an index past the count', () => {
    const [head] = toChunks(inputLimitDocument(5, 1));
    expect(ResultChunkSchema.safeParse(head).success).toBe(true);
    expect(ResultChunkSchema.safeParse({ ...head, summary: undefined }).success).toBe(false);
    expect(ResultChunkSchema.safeParse({ ...head, index: 1 }).success).toBe(false);
    expect(ResultChunkSchema.safeParse({ ...head, activities: [{ kind: 'NAP' }] }).success).toBe(false);
  });

  test('the event summary is the projection the lifecycle schema accepts', () => {
    const s = inputLimitDocument(5, 1).summary;
    const ev = eventSummaryOf(s);
    expect(ResultSummarySchema.parse(ev)).toEqual(ev);
    expect(ev).not.toHaveProperty('per_line');
  });

  test('GET `result` is the document: the summary with the activities, or with their count', () => {
    const doc = inputLimitDocument(30, 3);
    const full = resultView(doc.summary, doc.activities);
    expect(full).not.toHaveProperty('activity_count');
    expect(full.activities).toEqual(doc.activities);
    expect(ScheduleResultSchema.safeParse(full).success).toBe(true);
    const short = resultView(doc.summary);
    expect(short).toEqual(doc.summary);
    expect(ScheduleResultSchema.safeParse(short).success).toBe(true);
  });

  test('utf8Length counts bytes as UTF-8 does', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀é€\ud800', '\ud800x'])
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
  });
});
