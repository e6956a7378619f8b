// The NATS peer in two flavours: `floor` = Debian's nats-server 2.9 (the oldest server we support,
// what `apt-get install nats-server` gives) and `current` = the release pinned in versions.json,
// built from the Go module proxy into the peers cache. This module is the ONE place that decides
// which nats-server binary runs: tests (through service-kit's startNatsForTests), `npm start`
// (scripts/platform.js) and the cluster peer all ask it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const common = require('./common');

const NAME = 'nats';
const FLAVORS = ['floor', 'current'];
const PINNED = common.VERSIONS.nats.current;
/** Set by the test runner (scripts/run-tests.js) to run a whole jest pass against one binary. */
const SERVER_ENV = 'FILLSCHED_NATS_SERVER';

/** Where `goInstall` puts the pinned release (it keys the cache dir by binary name and version). */
function currentBinaryPath() {
  return path.join(common.cacheDir('bin', `nats-server-${PINNED.version}`), 'nats-server');
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isDebianLike() {
  try {
    const osRelease = fs.readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(osRelease);
  } catch {
    return false;
  }
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The command a person runs to get the floor server, for "missing" messages. */
function floorInstallHint() {
  const sudo = isRoot() ? '' : 'sudo ';
  return isDebianLike()
    ? `${sudo}apt-get update && ${sudo}apt-get install -y nats-server`
    : `go install ${PINNED.module}@${PINNED.version} (needs Go), or put any nats-server >= 2.9 on PATH`;
}

/**
 * The binary of a flavour; throws with what is missing and how to get it.
 * - `floor`: nats-server on PATH (or /usr/sbin, where Debian puts it).
 * - `current`: the pinned release in the peers cache (built by `prepare`).
 * - no flavour: the binary chosen for this run ($FILLSCHED_NATS_SERVER), else the floor, else the
 *   cached current release.
 */
function natsServerBinary(flavor) {
  if (flavor === 'floor') {
    const bin = common.which('nats-server');
    if (!bin) throw new Error(`nats-server (floor) is not installed: ${floorInstallHint()}`);
    return bin;
  }
  if (flavor === 'current') {
    const bin = currentBinaryPath();
    if (!isExecutable(bin))
      throw new Error(
        `nats-server ${PINNED.version} (current) is not built: node tests/peers/prepare.js nats (needs Go)`,
      );
    return bin;
  }
  if (flavor !== undefined) throw new Error(`unknown NATS flavour ${JSON.stringify(flavor)}: ${FLAVORS}`);
  const chosen = process.env[SERVER_ENV];
  if (chosen) {
    if (!isExecutable(chosen)) throw new Error(`${SERVER_ENV}=${chosen} is not an executable file`);
    return chosen;
  }
  try {
    return natsServerBinary('floor');
  } catch (floorErr) {
    if (isExecutable(currentBinaryPath())) return currentBinaryPath();
    throw floorErr;
  }
}

/** `v2.9.10` etc., from `nats-server --version`; null when it cannot be run. */
function natsServerVersion(bin) {
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /v\d+\.\d+\.\d+\S*/.exec(`${res.stdout || ''}${res.stderr || ''}`);
  return m ? m[0] : null;
}

/** Synchronous, cache-only: with a flavour, that one; without, whether any nats-server can run. */
function availability(flavor) {
  try {
    natsServerBinary(flavor);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err.message };
  }
}

/** apt-get install of Debian's package (root on Debian/Ubuntu only); returns the binary. */
function installFloorWithApt(log) {
  if (!isRoot() || !isDebianLike())
    throw new Error(`nats-server (floor) is not installed: ${floorInstallHint()}`);
  log("nats-server not found: installing Debian's package (apt-get install -y nats-server)");
  // Several checkouts on one machine may run apt at once: wait for the dpkg lock instead of failing.
  const apt = (args) =>
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 10 * 60 * 1000,
    });
  const update = apt(['update', '-qq']);
  if (update.status !== 0) throw new Error(`apt-get update failed: ${(update.stderr || '').slice(-1000)}`);
  const install = apt(['install', '-y', '-qq', 'nats-server']);
  if (install.status !== 0)
    throw new Error(`apt-get install nats-server failed: ${(install.stderr || '').slice(-1000)}`);
  return natsServerBinary('floor');
}

function buildCurrent(log) {
  return common.goInstall(PINNED.module, PINNED.version, 'nats-server', { log });
}

/**
 * Obtains both flavours (CI runs the NATS suites against each): the floor from Debian when it is
 * missing and we may install it, the current release with Go. Tries both, then rejects naming
 * every flavour it could not get.
 */
async function prepare({ log = () => {} } = {}) {
  const problems = [];
  for (const [flavor, obtain] of [
    ['floor', () => installFloorWithApt(log)],
    ['current', () => buildCurrent(log)],
  ]) {
    if (availability(flavor).ok) continue;
    const t0 = Date.now();
    try {
      obtain();
      log(`${flavor} nats-server obtained in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      problems.push(`${flavor}: ${err.message}`);
    }
  }
  if (problems.length) throw new Error(problems.join('; '));
}

/**
 * One nats-server for `npm start` on a machine that may have none: an existing binary (the one
 * chosen for this run, the Debian floor, or the cached current release); else the pinned release
 * built with Go; else Debian's package when root on Debian/Ubuntu; else an error naming the one
 * command to run. Says in one log line when it fetches or builds something.
 */
function obtainNatsServer({ log = () => {} } = {}) {
  try {
    return natsServerBinary();
  } catch {
    /* get one below */
  }
  if (common.which('go')) {
    log(
      `nats-server not found: building the pinned ${PINNED.version} with Go into the cache (about 2 minutes, once)`,
    );
    return buildCurrent(() => {});
  }
  if (isRoot() && isDebianLike()) return installFloorWithApt(log);
  throw new Error(`nats-server is not installed and cannot be obtained here; run: ${floorInstallHint()}`);
}

function writeConfig(file, { port, storeDir, jetstream, extraConfig }) {
  const lines = [`listen: 127.0.0.1:${port}`, 'max_payload: 8MB'];
  if (jetstream)
    lines.push(
      'jetstream {',
      `  store_dir: ${JSON.stringify(storeDir)}`,
      '  max_memory_store: 256MB',
      '  max_file_store: 1GB',
      '}',
    );
  if (extraConfig) lines.push(extraConfig);
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

/**
 * Starts nats-server on a free (or the given) loopback port with a fresh temp dir and resolves
 * once it logged "Server is ready" (JetStream is up by then; a TCP probe alone could be answered
 * by another server already holding the port). Killed and cleaned at process exit if stop() is
 * never called.
 *
 * @param {object} [opts]
 * @param {'floor'|'current'} [opts.flavor] default: the binary chosen for this run (natsServerBinary())
 * @param {string} [opts.bin] an explicit binary (overrides flavor)
 * @param {number} [opts.port] a fixed port (e.g. to restart a stopped server at the same address)
 * @param {boolean} [opts.jetstream] default true
 * @param {string} [opts.storeDir] keep JetStream data here (not removed on stop; restarts of a node)
 * @param {string} [opts.extraConfig] config text appended as is (cluster blocks, server_name…)
 * @param {number} [opts.readyTimeoutMs] default 10 s
 * @param {boolean} [opts.detached] in its own process group (npm start)
 */
async function start(opts = {}) {
  const bin = opts.bin || natsServerBinary(opts.flavor);
  if (opts.port !== undefined) return startOnce(bin, opts.port, opts);
  // A free port can be taken by a parallel test between freePort() and the bind: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(bin, await common.freePort(), opts);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(err.message)) throw err;
    }
  }
}

async function startOnce(bin, port, opts) {
  const tmp = common.tempDir('nats');
  const storeDir = opts.storeDir || path.join(tmp.dir, 'js');
  const confFile = path.join(tmp.dir, 'nats.conf');
  writeConfig(confFile, {
    port,
    storeDir,
    jetstream: opts.jetstream !== false,
    extraConfig: opts.extraConfig,
  });
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  // detached: its own process group, so a terminal's Ctrl-C reaches only npm start's launcher
  const child = common.spawnTracked(bin, ['-c', confFile], { detached: Boolean(opts.detached) });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`nats-server on ${port} not ready in ${readyTimeoutMs} ms: ${child.recentLog()}`)),
        readyTimeoutMs,
      );
      const settle = (fn, arg) => {
        clearTimeout(timer);
        child.stderr.off('data', onData);
        fn(arg);
      };
      const onData = () => {
        const log = child.recentLog();
        const fatal = log.split('\n').find((l) => l.includes('[FTL]'));
        if (fatal) settle(reject, new Error(`nats-server on ${port} failed: ${fatal.trim()}`));
        else if (log.includes('Server is ready')) settle(resolve);
      };
      child.stderr.on('data', onData);
      child.once('error', (err) => settle(reject, new Error(`cannot start ${bin}: ${err.message}`)));
      child.once('exit', (code) =>
        settle(reject, new Error(`nats-server exited with ${code}: ${child.recentLog().slice(-2000)}`)),
      );
    });
  } catch (err) {
    await common.stopChild(child, 'SIGKILL', 2000);
    tmp.remove();
    throw err;
  }

  let stopped = false;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    bin,
    child,
    /** The server's recent log (last 20 kB), for failure messages. */
    log: () => child.recentLog(),
    async stop(signal = 'SIGTERM') {
      if (stopped) return;
      stopped = true;
      await common.stopChild(child, signal, 3000);
      tmp.remove();
    },
  };
}

module.exports = {
  NAME,
  FLAVORS,
  SERVER_ENV,
  prepare,
  availability,
  start,
  natsServerBinary,
  natsServerVersion,
  obtainNatsServer,
};
