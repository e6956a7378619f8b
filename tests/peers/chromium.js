// The Chromium peer: Debian's chromium, driven by playwright-core (executablePath set, so nothing
// is downloaded) for the console's end-to-end test. `chromium` on PATH or /usr/bin/chromium, else
// as root on Debian/Ubuntu `apt-get install -y chromium`.
'use strict';
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const common = require('./common');

const NAME = 'chromium';
/** An explicit binary (another Chromium build, Chrome) instead of the one on PATH. */
const BIN_ENV = 'FILLSCHED_CHROMIUM';

function isDebianLike() {
  try {
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(fs.readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function installHint() {
  const sudo = isRoot() ? '' : 'sudo ';
  return isDebianLike()
    ? `${sudo}apt-get update && ${sudo}apt-get install -y chromium`
    : `install Chromium and set ${BIN_ENV} to its binary`;
}

/** The Chromium binary, or null. */
function chromiumBinary() {
  const given = process.env[BIN_ENV];
  if (given) return fs.existsSync(given) ? given : null;
  return (
    common.which('chromium') ||
    common.which('chromium-browser') ||
    (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null)
  );
}

function availability() {
  if (process.env[BIN_ENV] && !chromiumBinary())
    return { ok: false, reason: `${BIN_ENV}=${process.env[BIN_ENV]} does not exist` };
  if (!chromiumBinary()) return { ok: false, reason: `chromium is not installed: ${installHint()}` };
  try {
    require.resolve('playwright-core');
  } catch {
    return { ok: false, reason: 'playwright-core is not installed (npm install)' };
  }
  return { ok: true };
}

async function prepare({ log = () => {} } = {}) {
  if (chromiumBinary()) return;
  if (!isRoot() || !isDebianLike()) throw new Error(`chromium is not installed: ${installHint()}`);
  log("chromium not found: installing Debian's package (apt-get install -y chromium)");
  // Several checkouts on one machine may run apt at once: wait for the dpkg lock instead of failing.
  const apt = (args) =>
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 15 * 60 * 1000,
    });
  const update = apt(['update', '-qq']);
  if (update.status !== 0) throw new Error(`apt-get update failed: ${(update.stderr || '').slice(-1000)}`);
  const install = apt(['install', '-y', '-qq', 'chromium']);
  if (install.status !== 0)
    throw new Error(`apt-get install chromium failed: ${(install.stderr || '').slice(-1000)}`);
  if (!chromiumBinary()) throw new Error('apt-get installed chromium but no binary was found');
}

/**
 * A headless browser (playwright-core over Debian's Chromium). Handle: `{ browser, bin, stop() }`.
 */
async function start({ headless = true, args = [] } = {}) {
  const bin = chromiumBinary();
  if (!bin) throw new Error(`chromium is not installed: ${installHint()}`);
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: bin,
    headless,
    // --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', ...args],
  });
  // playwright-core kills the browsers it launched when this process exits.
  return {
    browser,
    bin,
    async stop() {
      await browser.close().catch(() => {});
    },
  };
}

module.exports = { NAME, BIN_ENV, prepare, availability, start, chromiumBinary };
