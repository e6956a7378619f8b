// FerretDB 1.24 (a MongoDB wire-protocol server over SQLite) as the real MongoDB peer: no mongod
// installs on our machines, and unlike the embedded wire server FerretDB enforces unique indexes.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const {
  VERSIONS,
  cacheDir,
  goEnv,
  freePort,
  canConnect,
  waitFor,
  which,
  tempDir,
  spawnTracked,
  stopChild,
} = require('./common');

const { module: MODULE_PATH, version: VERSION } = VERSIONS.ferretdb;
const REPO_MODULE = MODULE_PATH.replace(/\/cmd\/ferretdb$/, '');
const NAME = 'ferretdb';

function binDir() {
  return cacheDir('bin', `${NAME}-${VERSION}`);
}
function binPath() {
  return path.join(binDir(), NAME);
}
// Written only after the built binary answered --version: a binary from a plain `go install`
// (which panics at start, see build()) at the same path is never taken as ready.
function okMarker() {
  return path.join(binDir(), '.verified');
}

// A cold build compiles modernc.org/sqlite (a C-to-Go translation, the bulk of the time): about
// 3 minutes on an idle 2-core machine, more than 15 on one shared with several builds.
const BUILD_TIMEOUT_MS = 30 * 60 * 1000;

function run(cmd, args, opts) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: BUILD_TIMEOUT_MS, ...opts });
  if (res.status !== 0) {
    const why = res.signal ? `killed by ${res.signal} (timeout ${BUILD_TIMEOUT_MS / 60000} min?)` : 'failed';
    throw new Error(`${[cmd, ...args].join(' ')} ${why}: ${(res.stderr || String(res.error)).slice(-2000)}`);
  }
  return res.stdout;
}

/**
 * Builds FerretDB from its module source. `go install …/cmd/ferretdb@v1.24.2` (common.goInstall)
 * builds a binary that panics at start ("Invalid build/version/version.txt"): FerretDB embeds a
 * generated build/version/version.txt that the module zip does not contain (FerretDB issue #2982).
 * So: download the module, copy it out of the read-only module cache, write version.txt, and
 * build ./cmd/ferretdb inside it with FerretDB's own go.mod/go.sum (as its `task gen-version` does).
 */
function build(log) {
  const go = which('go');
  if (!go) throw new Error(`${NAME} ${VERSION} needs Go to build it (not found on PATH)`);
  // SQLite is modernc.org/sqlite (pure Go): no C toolchain needed.
  const env = goEnv({ GOFLAGS: '-mod=mod', CGO_ENABLED: '0' });
  log(`building ${NAME} ${VERSION} from the Go module proxy into ${binDir()} (once; cached after)`);
  const info = JSON.parse(
    run(go, ['mod', 'download', '-json', `${REPO_MODULE}@${VERSION}`], { env, cwd: binDir() }),
  );
  const src = cacheDir('src', `${NAME}-${VERSION}`);
  fs.rmSync(src, { recursive: true, force: true });
  fs.cpSync(info.Dir, src, { recursive: true });
  makeWritable(src);
  fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${VERSION}\n`);
  fs.writeFileSync(path.join(src, 'build', 'version', 'package.txt'), 'fillsched-peers\n');
  fs.rmSync(binPath(), { force: true });
  run(go, ['build', '-o', binPath(), './cmd/ferretdb'], { env, cwd: src });
  fs.rmSync(src, { recursive: true, force: true });
}

function makeWritable(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    fs.chmodSync(p, entry.isDirectory() ? 0o755 : 0o644);
    if (entry.isDirectory()) makeWritable(p);
  }
}

function verify() {
  const res = spawnSync(binPath(), ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const ok = res.status === 0 && res.stdout.includes(`version: ${VERSION}`);
  return { ok, output: (res.stdout + res.stderr).slice(0, 500) };
}

async function prepare({ log = () => {} } = {}) {
  if (availability().ok) return;
  fs.rmSync(okMarker(), { force: true });
  // A binary already there may be a broken `go install` build: keep it only if it runs.
  if (!fs.existsSync(binPath()) || !verify().ok) build(log);
  const check = verify();
  if (!check.ok) throw new Error(`${NAME} ${VERSION} was built but does not run: ${check.output}`);
  fs.writeFileSync(okMarker(), `${VERSION}\n`);
}

function availability() {
  if (fs.existsSync(binPath()) && fs.existsSync(okMarker())) return { ok: true };
  return {
    ok: false,
    reason: `${NAME} ${VERSION} is not built (run: node tests/peers/prepare.js ${NAME}; needs Go and the Go module proxy)`,
  };
}

/**
 * A fresh FerretDB on a free loopback port with the SQLite backend in a temp dir (one SQLite
 * file per database). Resolves once it answers on the port; `url` has no database name.
 */
async function start({ readyTimeoutMs = 20_000 } = {}) {
  const avail = availability();
  if (!avail.ok) throw new Error(avail.reason);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(await freePort(), readyTimeoutMs);
    } catch (err) {
      // the free port may be taken by a parallel test between freePort() and the bind
      if (attempt >= 3 || !/address already in use/.test(err.message)) throw err;
    }
  }
}

async function startOnce(port, readyTimeoutMs) {
  const tmp = tempDir(NAME);
  const dataDir = path.join(tmp.dir, 'data');
  fs.mkdirSync(dataDir); // FerretDB refuses a SQLite directory that does not exist
  const child = spawnTracked(binPath(), [
    `--listen-addr=127.0.0.1:${port}`,
    '--handler=sqlite',
    `--sqlite-url=file:${dataDir}/`,
    `--state-dir=${tmp.dir}`,
    '--debug-addr=-', // its default 127.0.0.1:8088 would clash between parallel instances
    '--telemetry=disable',
    '--log-level=warn',
  ]);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    await stopChild(child, 'SIGTERM', 5000);
    tmp.remove();
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`${NAME} exited at start: ${child.recentLog().slice(-2000)}`);
        // our own child answering (not another server on a reused port): it is alive and connectable
        return canConnect('127.0.0.1', port);
      },
      readyTimeoutMs,
      `${NAME} on 127.0.0.1:${port}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: NAME,
    version: VERSION,
    port,
    url: `mongodb://127.0.0.1:${port}/`,
    dataDir,
    stop,
    recentLog: child.recentLog,
  };
}

module.exports = { name: NAME, version: VERSION, prepare, availability, start };
