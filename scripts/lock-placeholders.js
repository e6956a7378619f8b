#!/usr/bin/env node
// The npm mirror we reach lacks other platforms' optional binaries (@swc/core-darwin-*, @turbo/windows-*,
// …), so `npm install` leaves them out of package-lock.json and `npm ci` then refuses the lock as out of
// sync. This adds a platform-tagged placeholder for each missing optional package; npm ci skips them on
// our linux-x64 machines (wrong os/cpu) without fetching. Run after any `npm install` that changes the lock.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const file = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const pkgs = lock.packages;

function platformOf(name) {
  const os = /darwin/.test(name)
    ? 'darwin'
    : /win32|windows/.test(name)
      ? 'win32'
      : /android/.test(name)
        ? 'android'
        : /freebsd/.test(name)
          ? 'freebsd'
          : /openharmony/.test(name)
            ? 'openharmony'
            : /wasm|wasi/.test(name)
              ? null
              : 'linux';
  const cpu = /arm64|aarch64/.test(name)
    ? 'arm64'
    : /arm/.test(name)
      ? 'arm'
      : /ia32/.test(name)
        ? 'ia32'
        : /ppc64/.test(name)
          ? 'ppc64'
          : /s390x/.test(name)
            ? 's390x'
            : /riscv64/.test(name)
              ? 'riscv64'
              : /loong64/.test(name)
                ? 'loong64'
                : /x64|64/.test(name)
                  ? 'x64'
                  : null;
  return { os, cpu };
}

let added = 0;
for (const [key, meta] of Object.entries(pkgs)) {
  for (const [dep, range] of Object.entries(meta.optionalDependencies || {})) {
    const base = key ? `${key}/node_modules/${dep}` : `node_modules/${dep}`;
    const candidates = [base, `node_modules/${dep}`];
    if (candidates.some((c) => pkgs[c])) continue;
    const { os, cpu } = platformOf(dep);
    if (!os || (os === 'linux' && cpu === 'x64')) continue; // ours: must be really installable
    pkgs[`node_modules/${dep}`] = {
      version: String(range).replace(/^[\^~=]/, ''),
      optional: true,
      os: [os],
      ...(cpu ? { cpu: [cpu] } : {}),
    };
    added++;
  }
}
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-placeholders: added ${added} placeholder(s)`);
