// What every peer (a real server started for tests or `npm start`) shares: a cache for what is
// built or downloaded once, free loopback ports, readiness waits, cleanup at process exit, and
// the rule for a peer that cannot be set up (CI fails with the reason; elsewhere tests skip).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const VERSIONS = require('./versions.json');

/** Where built binaries, the Go module/build cache and the Maven repository live between runs. */
function cacheDir(...parts) {
  const base = process.env.FILLSCHED_PEERS_CACHE || path.join(os.homedir(), '.cache', 'fillsched-peers');
  const dir = path.join(base, ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function which(cmd) {
  const dirs = (process.env.PATH || '')
    .split(path.delimiter)
    .concat(['/usr/sbin', '/usr/local/sbin', '/usr/local/go/bin']);
  for (const dir of dirs) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return null;
}

// Last-resort cleanup when the process exits without stop() (a crash, process.exit, an aborted run).
const exitCleanups = new Set();
let exitHookInstalled = false;
function onExit(fn) {
  exitCleanups.add(fn);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const f of exitCleanups) {
        try {
          f();
        } catch {
          /* best effort */
        }
      }
    });
  }
  return () => exitCleanups.delete(fn);
}

/** A temp dir removed at stop() or, failing that, at process exit. */
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fillsched-${prefix}-`));
  const untrack = onExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
      untrack();
    },
  };
}

/** Spawns a server process that is SIGKILLed if this process exits first. */
function spawnTracked(bin, args, opts = {}) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  const untrack = onExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.once('exit', untrack);
  let log = '';
  const keep = (d) => {
    log = (log + d).slice(-20000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.recentLog = () => log;
  return child;
}

function stopChild(child, signal = 'SIGTERM', graceMs = 8000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * The environment of every Go build of ours: module and build caches inside the peers cache (so a
 * kept cache makes a rebuild take seconds), no C toolchain unless CGO_ENABLED says otherwise.
 */
function goEnv(extra = {}) {
  return {
    ...process.env,
    GOPATH: cacheDir('go'),
    GOMODCACHE: cacheDir('go', 'pkg', 'mod'),
    GOCACHE: cacheDir('go-build'),
    CGO_ENABLED: process.env.CGO_ENABLED ?? '0',
    ...extra,
  };
}

/**
 * Builds a Go main package at a pinned version into the peers cache (once; later calls return the
 * cached binary at once). The Go module and build caches live in the peers cache too, so a second
 * machine run that kept the cache starts in seconds. Returns the binary path, or throws with why.
 */
function goInstall(modulePath, version, binName, { log = () => {} } = {}) {
  const binDir = cacheDir('bin', `${binName}-${version}`);
  const bin = path.join(binDir, binName);
  if (fs.existsSync(bin)) return bin;
  const go = which('go');
  if (!go) throw new Error(`${binName} ${version} needs Go to build it (not found on PATH)`);
  log(`building ${binName} ${version} with Go into ${binDir} (once; cached after)`);
  const res = spawnSync(go, ['install', `${modulePath}@${version}`], {
    env: goEnv({ GOBIN: binDir, GOFLAGS: '-mod=mod' }),
    encoding: 'utf8',
    timeout: 15 * 60 * 1000,
  });
  if (res.status !== 0 || !fs.existsSync(bin))
    throw new Error(
      `go install ${modulePath}@${version} failed: ${(res.stderr || String(res.error)).slice(-2000)}`,
    );
  return bin;
}

/**
 * The rule for a peer that cannot be set up: with CI=true the run fails with the reason;
 * elsewhere the caller skips its tests after one clear line saying what is missing.
 * Returns true when the caller should skip.
 */
function peerUnavailable(peer, reason) {
  const line = `[peers] ${peer} unavailable: ${reason}`;
  if (process.env.CI === 'true')
    throw new Error(`${line} (CI=true: a peer that cannot be set up fails the run)`);
  process.stderr.write(`${line} — skipping its tests\n`);
  return true;
}

module.exports = {
  VERSIONS,
  cacheDir,
  freePort,
  canConnect,
  waitFor,
  which,
  onExit,
  tempDir,
  spawnTracked,
  stopChild,
  goEnv,
  goInstall,
  peerUnavailable,
};
