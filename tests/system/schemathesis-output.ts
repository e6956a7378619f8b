// Reading schemathesis's console report: which of its errors are about our API.

/**
 * The error blocks of a run's ERRORS section that are not schemathesis's own generator crashing.
 * Hypothesis inside schemathesis 4.32 sometimes fails while *generating* a case with 2 workers
 * (`FlakyFailure`, a KeyError in its lambda-source cache, or "AST constructor recursion depth
 * mismatch" while it describes a lambda of schemathesis's own coverage module): no request was
 * sent, so it says nothing about the API. Everything else there (connection refused, timeouts, a server that
 * went away) is ours and fails the test.
 */
export function realErrors(output: string): string[] {
  const start = output.indexOf('= ERRORS =');
  if (start < 0) return [];
  const end =
    output.indexOf('= WARNINGS =', start) > 0
      ? output.indexOf('= WARNINGS =', start)
      : output.indexOf('= SUMMARY =', start);
  const section = output.slice(start, end > 0 ? end : undefined);
  const blocks = section.split(/\n_{5,} /).slice(1);
  const generatorCrash = (b: string) =>
    (/hypothesis\.errors\.(FlakyFailure|Flaky)|Inconsistent results: A test case failed on the first run/.test(
      b,
    ) ||
      /AST constructor recursion depth mismatch[\s\S]*hypothesis\/internal\/lambda_sources\.py/.test(b)) &&
    /site-packages\/(schemathesis|hypothesis)\//.test(b);
  return blocks.filter((b) => !generatorCrash(b)).map((b) => b.slice(0, 2000));
}
