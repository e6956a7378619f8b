import { toChunks, utf8Length } from './result-document';
import { RESULT_INLINE_MAX_BYTES, inlineResultOf, readInlineResult } from './result-handover';
import { inputLimitDocument } from './testing';

describe('inline result hand-over', () => {
  test('a one-chunk result within the bound rides inline and reads back as sent', () => {
    const doc = inputLimitDocument(40, 2);
    const chunks = toChunks(doc);
    expect(chunks).toHaveLength(1);
    const value = inlineResultOf(chunks);
    expect(value).not.toBeNull();
    expect(utf8Length(value!)).toBeLessThanOrEqual(RESULT_INLINE_MAX_BYTES);
    const read = readInlineResult(value);
    expect(read).toEqual({ kind: 'ok', chunks: JSON.parse(JSON.stringify(chunks)) });
  });

  test('a result over the bound, or of several chunks, goes by RPC (null)', () => {
    const doc = inputLimitDocument(400, 4);
    const one = toChunks(doc);
    expect(one).toHaveLength(1);
    const size = utf8Length(JSON.stringify(one[0]));
    expect(inlineResultOf(one, size)).not.toBeNull();
    expect(inlineResultOf(one, size - 1)).toBeNull();
    const several = toChunks(doc, 4_000);
    expect(several.length).toBeGreaterThan(1);
    expect(inlineResultOf(several)).toBeNull();
  });

  test('absent → none; garbage, a non-chunk or a partial document → invalid with a reason', () => {
    expect(readInlineResult(undefined)).toEqual({ kind: 'none' });
    expect(readInlineResult('')).toEqual({ kind: 'none' });
    expect(readInlineResult('{not json')).toMatchObject({ kind: 'invalid', reason: /not JSON/ });
    expect(readInlineResult('{"index":0}')).toMatchObject({ kind: 'invalid', reason: /not a result chunk/ });
    const [head] = toChunks(inputLimitDocument(40, 2), 2_000);
    expect(head.count).toBeGreaterThan(1);
    expect(readInlineResult(JSON.stringify(head))).toMatchObject({
      kind: 'invalid',
      reason: /expected \d+ chunks, got 1/,
    });
  });
});
