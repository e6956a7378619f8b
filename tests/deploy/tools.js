// The deploy checks' tools, built once with Go into the peers cache: helm (pinned) and
// deploy/validate (keyed by a hash of its sources, so an edit rebuilds it). See deploy/README.md.
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { VERSIONS, cacheDir, goEnv, goInstall, which } = require('../peers/common');

const ROOT = path.resolve(__dirname, '..', '..');
const HELM = VERSIONS.helm; // pinned with the other tools in tests/peers/versions.json
const KUBE_VERSION = '1.37.0'; // the Kubernetes API deploy/validate is built against (k8s.io/api v0.37.0)
const VALIDATE_DIR = path.join(ROOT, 'deploy', 'validate');

function validatorSourcesHash() {
  const h = crypto.createHash('sha256');
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (/\.(go|mod|sum|yaml)$/.test(name))
        h.update(path.relative(VALIDATE_DIR, p)).update(fs.readFileSync(p));
    }
  };
  walk(VALIDATE_DIR);
  return h.digest('hex').slice(0, 16);
}

function buildValidator(log) {
  const dir = cacheDir('bin', `fillsched-validate-${validatorSourcesHash()}`);
  const bin = path.join(dir, 'fillsched-validate');
  if (fs.existsSync(bin)) return bin;
  const go = which('go');
  if (!go) throw new Error('deploy/validate needs Go to build it (not found on PATH)');
  log(`building deploy/validate with Go into ${dir} (once per source change)`);
  const res = spawnSync(go, ['build', '-trimpath', '-mod=readonly', '-o', bin, '.'], {
    cwd: VALIDATE_DIR,
    env: goEnv(),
    encoding: 'utf8',
    timeout: 15 * 60 * 1000,
  });
  if (res.status !== 0 || !fs.existsSync(bin))
    throw new Error(`go build deploy/validate failed: ${(res.stderr || String(res.error)).slice(-2000)}`);
  return bin;
}

/** Builds (or finds cached) helm and the validator; returns their paths and how long it took. */
function deployTools(log = (m) => process.stderr.write(`[deploy] ${m}\n`)) {
  const t0 = Date.now();
  const helm = goInstall(HELM.module, HELM.version, 'helm', { log });
  const t1 = Date.now();
  const validate = buildValidator(log);
  const t2 = Date.now();
  return { helm, validate, timings: { helmMs: t1 - t0, validateMs: t2 - t1 } };
}

/** Runs a tool; returns { status, stdout, stderr }. */
function run(bin, args, opts = {}) {
  const res = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000, ...opts });
  return {
    status: res.status,
    stdout: res.stdout ?? '',
    stderr: (res.stderr ?? '') + (res.error ? String(res.error) : ''),
  };
}

module.exports = { ROOT, HELM, KUBE_VERSION, deployTools, run };
