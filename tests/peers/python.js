// Python tools peer: a virtualenv in the peers cache holding the pinned packages of versions.json
// `python` (requests for the guide's Python examples, schemathesis for the API fuzz test), so the
// tests never depend on what the machine's own Python happens to have installed.
// Nothing runs as a server, so this peer has prepare/availability but no start.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { VERSIONS, cacheDir, which } = require('./common');

/** `name==version` for every pinned package, in a stable order. */
function pins() {
  return Object.entries(VERSIONS.python)
    .filter(([name]) => !name.startsWith('/'))
    .map(([name, version]) => `${name}==${version}`)
    .sort();
}

const venvDir = () => cacheDir('python-venv');
const binPath = (name) => path.join(venvDir(), 'bin', name);
// Written last by prepare(): the venv is complete and holds exactly these pins.
const stampPath = () => path.join(venvDir(), 'fillsched-pins.txt');

/** The venv's python (valid once availability() is ok). */
function pythonBin() {
  return binPath('python');
}

/** The venv's schemathesis command line entry point. */
function schemathesisBin() {
  return binPath('schemathesis');
}

function availability() {
  const want = pins().join('\n');
  let have = null;
  try {
    have = fs.readFileSync(stampPath(), 'utf8');
  } catch {
    /* not prepared */
  }
  if (have === null) return { ok: false, reason: `no Python venv with ${pins().join(' ')} in ${venvDir()}` };
  if (have !== want)
    return { ok: false, reason: `the Python venv in ${venvDir()} holds other pins than versions.json` };
  if (!fs.existsSync(pythonBin())) return { ok: false, reason: `${pythonBin()} is missing` };
  return { ok: true };
}

function run(bin, args, what) {
  const res = spawnSync(bin, args, { encoding: 'utf8', timeout: 15 * 60 * 1000 });
  if (res.status !== 0)
    throw new Error(
      `${what} failed (${bin} ${args.join(' ')}): ${(res.stderr || String(res.error)).slice(-2000)}`,
    );
}

/** Creates the venv and pip-installs the pins (once; later calls return at once). */
async function prepare({ log = () => {} } = {}) {
  if (availability().ok) return;
  const python = which('python3');
  if (!python) throw new Error('python3 is not on PATH (Debian: apt-get install python3 python3-venv)');
  const dir = venvDir();
  log(`creating a Python venv in ${dir} with ${pins().join(' ')} (once; cached after)`);
  fs.rmSync(stampPath(), { force: true });
  // --clear: a venv left half-built by an interrupted run, or holding other pins, starts over.
  run(python, ['-m', 'venv', '--clear', dir], 'creating the venv (Debian: apt-get install python3-venv)');
  run(
    pythonBin(),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', ...pins()],
    'pip install',
  );
  fs.writeFileSync(stampPath(), pins().join('\n'));
}

module.exports = { prepare, availability, pythonBin, schemathesisBin, pins };
