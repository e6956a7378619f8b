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

/**
 * A run's report as it goes to the test log: every line tagged `[schemathesis] ` and cut to
 * `width`, pytest-style banners (`==== 1 error in 54.98s ====`, `==== No issues found ====`)
 * turned into `-- … --`, and the ERRORS section (whose tracebacks can run to 200 KB) left to
 * the full report on disk. CI judges a run by the closing line of a test runner it recognises
 * anywhere in the output; schemathesis's pytest-like banners read as a pytest run that executed
 * no test, so they must never reach the log bare.
 */
export function forTheLog(output: string, width = 200): string {
  const from = Math.max(0, output.indexOf(' Loaded'));
  const errors = output.indexOf('= ERRORS =', from);
  const warnings = output.indexOf('= WARNINGS =', from);
  const cut = [errors, warnings].filter((i) => i >= 0);
  const head = output.slice(from, cut.length ? Math.min(...cut) : undefined);
  const summary = output.lastIndexOf('= SUMMARY =');
  const tail = summary > from ? output.slice(output.lastIndexOf('\n', summary) + 1) : '';
  const lineStart = (i: number) => output.lastIndexOf('\n', i) + 1;
  const dropped =
    cut.length && summary > from
      ? `(ERRORS/WARNINGS sections, ${lineStart(summary) - lineStart(Math.min(...cut))} characters: see the full report)`
      : '';
  return [head, dropped, tail]
    .join('\n')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) =>
      line.replace(/^=+ (.*?) =+$/, '-- $1 --').replace(/^[=_]{5,}/, (m) => '-'.repeat(m.length)),
    )
    .map((line) => `[schemathesis] ${line.length > width ? line.slice(0, width) + '…' : line}`)
    .join('\n');
}
