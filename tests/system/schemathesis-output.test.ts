import { forTheLog, realErrors } from './schemathesis-output';

const report = (errorBlocks: string) =>
  [
    '==================================== ERRORS ====================================',
    errorBlocks,
    '=================================== WARNINGS ===================================',
    'Schema validation mismatch: …',
    '=================================== SUMMARY ====================================',
    '======================== 1 error, 2 warnings in 48.52s =========================',
  ].join('\n');

const generatorCrash = [
  '_____________________________ POST /api/v1/compare _____________________________',
  'Runtime Error',
  'Inconsistent results: A test case failed on the first run but now succeeds (1 sub-exception)',
  '  File "/x/site-packages/schemathesis/generation/hypothesis/examples.py", line 67',
  '  | hypothesis.errors.FlakyFailure: Inconsistent results',
].join('\n');

const lambdaSourceCrash = [
  '____________________________ GET /api/v1/config/{id} ____________________________',
  'Runtime Error',
  '',
  'AST constructor recursion depth mismatch (before=66, after=211)',
  '',
  '    Traceback (most recent call last):',
  '      File "/x/site-packages/hypothesis/internal/lambda_sources.py", line 353, in _lambda_description',
  '      File "/x/site-packages/schemathesis/specs/openapi/coverage/_schema.py", line 4448, in restrict',
].join('\n');

const networkError = [
  '_____________________________ GET /api/v1/schedules _____________________________',
  'Network Error',
  'Connection refused',
].join('\n');

describe('realErrors: which schemathesis errors are about the API', () => {
  it('ignores schemathesis generator crashes (no request was sent)', () => {
    expect(realErrors(report(generatorCrash))).toEqual([]);
  });
  it("ignores hypothesis failing to describe one of schemathesis's own lambdas", () => {
    expect(realErrors(report(lambdaSourceCrash))).toEqual([]);
  });
  it('keeps every other error, e.g. a server that stopped answering', () => {
    const errors = realErrors(report(`${generatorCrash}\n${networkError}`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/GET \/api\/v1\/schedules[\s\S]*Connection refused/);
  });
  it('finds nothing in a clean report', () => {
    expect(realErrors('=== SUMMARY ===\nNo issues found in 1.51s')).toEqual([]);
  });
});

describe('forTheLog: the report as it goes to the test log', () => {
  const run = [
    ' Loaded specification from http://127.0.0.1:1/openapi.json (in 0.36s)',
    ' ✅  Examples (in 5.71s)',
    '',
    '     ✅ 20 passed  ⏭  12 skipped',
    report(`${lambdaSourceCrash}\n    KeyError: ('${'x'.repeat(5000)}')`),
  ].join('\n');
  const clean = [
    ' Loaded spec',
    '=================================== SUMMARY ====',
    'No issues found',
    '=== No issues found in 0.95s ===',
  ].join('\n');

  it('has no line a CI reader could take for a pytest closing line', () => {
    for (const text of [forTheLog(run), forTheLog(clean)])
      for (const line of text.split('\n')) {
        expect(line).toMatch(/^\[schemathesis\] /);
        expect(line).not.toMatch(/^=+ .* =+$/);
        expect(line).not.toMatch(/^\d+ passed, \d+ failed/);
      }
    expect(forTheLog(run)).toContain('[schemathesis] -- 1 error, 2 warnings in 48.52s --');
  });
  it('keeps the phases and counts, and leaves the tracebacks to the full report', () => {
    const text = forTheLog(run);
    expect(text).toContain('✅ 20 passed  ⏭  12 skipped');
    expect(text).not.toContain('KeyError');
    expect(text).toMatch(/ERRORS\/WARNINGS sections, \d+ characters: see the full report/);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(220);
  });
});
