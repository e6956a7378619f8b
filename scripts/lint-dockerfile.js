#!/usr/bin/env node
// A structural Dockerfile lint for this repo's production image (hadolint is a Haskell binary no
// registry we can reach ships). `node scripts/lint-dockerfile.js [Dockerfile]` prints one line per
// problem and exits 1 if there is any. Rules (each explained where it is checked):
//   base images pinned (version tag with a number, or digest; never latest/untagged), the npm of
//   package.json's packageManager installed, production dependencies only in the runtime stage
//   (npm ci --omit=dev, nothing copied from a stage that installed dev dependencies), a numeric
//   non-root USER in the final stage, EXPOSE, HEALTHCHECK, exec-form CMD, no ADD of URLs, no
//   secrets in ENV/ARG, no `npm install` of packages other than npm itself, and a .dockerignore
//   that keeps node_modules, dist, .git and .env out of the context.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Instructions with continuation lines joined: [{ line, op, args }]. */
function parse(text) {
  const out = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      const next = lines[i];
      if (/^\s*#/.test(next)) continue;
      line = line.replace(/\\\s*$/, ' ') + next.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m) out.push({ line: start + 1, op: m[1].toUpperCase(), args: m[2].trim() });
  }
  return out;
}

const SENSITIVE = /(PASSWORD|SECRET|TOKEN|PRIVATE_KEY|_PEM|CREDENTIALS|MONGO_URL|NATS_URL)/i;

function lintDockerfile(text, { packageManager, dockerignore } = {}) {
  const problems = [];
  const add = (line, msg) => problems.push(`line ${line}: ${msg}`);
  const ins = parse(text);
  const args = {};
  const stages = []; // { name, from, instructions }
  for (const i of ins) {
    if (i.op === 'ARG' && stages.length === 0) {
      const [k, v] = i.args.split('=');
      args[k.trim()] = v === undefined ? undefined : v.trim();
    }
    if (i.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args);
      const ref = (m ? m[1] : i.args).replace(/\$\{?(\w+)\}?/g, (_, k) => args[k] ?? `$${k}`);
      stages.push({
        name: m && m[2] ? m[2] : String(stages.length),
        from: ref,
        line: i.line,
        instructions: [],
      });
      continue;
    }
    if (stages.length) stages[stages.length - 1].instructions.push(i);
    if (i.op === 'ADD' && /https?:\/\//.test(i.args))
      add(i.line, 'ADD of a URL: download in a RUN with a checksum, or COPY');
    if ((i.op === 'ENV' || i.op === 'ARG') && SENSITIVE.test(i.args.split(/[=\s]/)[0]))
      add(
        i.line,
        `${i.op} ${i.args.split(/[=\s]/)[0]} looks like a credential; pass it at run time from a Secret`,
      );
  }
  if (stages.length === 0) return ['no FROM instruction'];
  const stageNames = new Set(stages.map((s) => s.name));

  // Base images: pinned, never latest.
  for (const s of stages) {
    if (stageNames.has(s.from)) continue; // FROM an earlier stage
    const digest = /@sha256:[0-9a-f]{64}$/.test(s.from);
    const tag = /:([^/@]+)(@|$)/.exec(s.from.replace(/^[^/]+\.[^/]+(:\d+)?\//, ''))?.[1];
    if (s.from.includes('$')) add(s.line, `FROM ${s.from}: a build argument without a default`);
    else if (!digest && (!tag || !/^\d+\.\d+/.test(tag)))
      add(s.line, `FROM ${s.from}: pin the base image by a major.minor(.patch) version tag or a digest`);
  }

  // The npm of package.json's packageManager.
  const wantNpm = /^npm@(.+)$/.exec(packageManager || '')?.[1];
  const npmInstalls = ins.filter((i) => i.op === 'RUN' && /\bnpm\s+(install|i)\b/.test(i.args));
  if (
    wantNpm &&
    !npmInstalls.some((i) =>
      new RegExp(`npm\\s+(install|i)\\s+(--global|-g)\\s+npm@${wantNpm.replace(/\./g, '\\.')}\\b`).test(
        i.args,
      ),
    )
  )
    problems.push(`the image does not install npm@${wantNpm} (package.json packageManager)`);
  for (const i of npmInstalls) {
    const pkgs = i.args
      .replace(/.*\bnpm\s+(install|i)\b/, '')
      .split(/&&|;/)[0]
      .split(/\s+/)
      .filter((a) => a && !a.startsWith('-'));
    if (pkgs.some((p) => !/^npm@/.test(p)))
      add(
        i.line,
        `npm install ${pkgs.join(' ')}: install from the lockfile with npm ci (only npm itself may be installed globally)`,
      );
  }

  // Production dependencies only in the final stage.
  const final = stages[stages.length - 1];
  // Each command of a RUN separately: "npm ci && … && npm prune --omit=dev" still installed dev deps.
  const npmCis = (s) =>
    s.instructions
      .filter((i) => i.op === 'RUN')
      .flatMap((i) => i.args.split(/&&|;/))
      .filter((c) => /\bnpm\s+ci\b/.test(c));
  const devStages = new Set(
    stages.filter((s) => npmCis(s).some((c) => !/--omit[= ]dev/.test(c))).map((s) => s.name),
  );
  const prodStages = new Set(
    stages.filter((s) => npmCis(s).some((c) => /--omit[= ]dev/.test(c))).map((s) => s.name),
  );
  if (prodStages.size === 0)
    problems.push('no stage installs production dependencies with npm ci --omit=dev');
  for (const i of final.instructions) {
    if (
      i.op === 'RUN' &&
      i.args.split(/&&|;/).some((c) => /\bnpm\s+(ci|install)\b/.test(c) && !/--omit[= ]dev/.test(c))
    )
      add(i.line, 'the final stage installs dev dependencies');
    if (i.op !== 'COPY') continue;
    const from = /--from=(\S+)/.exec(i.args)?.[1];
    const srcs = i.args.replace(/--\S+/g, '').trim().split(/\s+/).slice(0, -1);
    // From a stage that installed dev dependencies only build outputs (dist) may be copied.
    if (from && devStages.has(from) && srcs.some((p) => !/\/dist\/?$/.test(p)))
      add(i.line, `copies ${srcs.join(' ')} from "${from}", a stage with dev dependencies (copy only dist/)`);
  }

  // Runtime user, ports, health, command.
  const user = [...final.instructions].reverse().find((i) => i.op === 'USER');
  if (!user) problems.push('the final stage runs as root (no USER)');
  else {
    const [uid, gid] = user.args.split(':');
    if (!/^\d+$/.test(uid) || uid === '0')
      add(
        user.line,
        `USER ${user.args}: use a numeric non-root uid (Kubernetes runAsNonRoot cannot verify a name)`,
      );
    if (gid !== undefined && gid === '0') add(user.line, 'USER with group 0 (root)');
  }
  const has = (op) => final.instructions.find((i) => i.op === op);
  if (!has('EXPOSE')) problems.push('the final stage has no EXPOSE');
  if (!has('HEALTHCHECK')) problems.push('the final stage has no HEALTHCHECK');
  const cmd = has('CMD') || has('ENTRYPOINT');
  if (!cmd) problems.push('the final stage has no CMD');
  else if (!cmd.args.startsWith('['))
    add(cmd.line, `${cmd.op} in shell form: use the exec form so signals reach node`);
  const env = final.instructions
    .filter((i) => i.op === 'ENV')
    .map((i) => i.args)
    .join(' ');
  if (!/NODE_ENV=production/.test(env)) problems.push('the final stage does not set NODE_ENV=production');

  // The build context.
  if (dockerignore === undefined) problems.push('no .dockerignore');
  else {
    const entries = dockerignore.split('\n').map((l) => l.trim());
    for (const need of [['node_modules', '**/node_modules'], ['dist', '**/dist'], ['.git'], ['.env']])
      if (!need.some((n) => entries.includes(n))) problems.push(`.dockerignore does not exclude ${need[0]}`);
  }
  return problems;
}

if (require.main === module) {
  const file = path.resolve(process.argv[2] || 'Dockerfile');
  const dir = path.dirname(file);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const ignore = path.join(dir, '.dockerignore');
  const problems = lintDockerfile(fs.readFileSync(file, 'utf8'), {
    packageManager: pkg.packageManager,
    dockerignore: fs.existsSync(ignore) ? fs.readFileSync(ignore, 'utf8') : undefined,
  });
  for (const p of problems) process.stdout.write(`${path.relative(process.cwd(), file)}: ${p}\n`);
  process.exit(problems.length ? 1 : 0);
}

module.exports = { lintDockerfile, parse };
