// Gating for system tests that run Python tools from the python peer's venv (tests/peers/python.js):
// with CI=true a venv that cannot be set up fails the run with the reason; elsewhere the tests skip
// after one line saying what is missing. Works standalone: prepares the venv itself when needed.
const python = require('../peers/python.js');
const { peerUnavailable, which } = require('../peers/common.js');

/**
 * Decided at load time: without python3 (and no venv yet) nothing can be prepared, so the tests
 * skip after one line (or, with CI=true, this throws with the reason).
 */
export function pythonCanRun(): boolean {
  if (python.availability().ok || which('python3')) return true;
  return !peerUnavailable('python', 'python3 is not on PATH and no venv is cached');
}
export const describeIfPython = (): jest.Describe => (pythonCanRun() ? describe : describe.skip);
export const testIfPython = (): jest.It => (pythonCanRun() ? test : test.skip);

/**
 * Makes the venv ready (pip-installs the pinned packages on a first run, minutes; once cached, at
 * once). Returns null when ready, else the reason after the one skip line; throws with CI=true.
 */
export async function ensurePythonVenv(): Promise<string | null> {
  if (python.availability().ok) return null;
  try {
    await python.prepare({ log: (m: string) => process.stderr.write(`[peers] python: ${m}\n`) });
    return null;
  } catch (err) {
    const reason = (err as Error).message;
    peerUnavailable('python', reason);
    return reason;
  }
}

/** The venv's python and schemathesis (valid once ensurePythonVenv() returned null). */
export const pythonBin = (): string => python.pythonBin();
export const schemathesisBin = (): string => python.schemathesisBin();

/** Budget for a first-run venv set-up (venv + pip install on a busy 2-core machine). */
export const PREPARE_TIMEOUT_MS = 15 * 60 * 1000;
