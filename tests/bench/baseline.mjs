// `--baseline <git-ref>` for the benchmarks: the same load against another commit (e.g. HEAD~1)
// in the same run. The commit's files are exported with `git archive` into a temp directory (no
// worktree is registered in the repository), its node_modules are links to this checkout's
// (except the workspace packages, which point at the commit's own), and it is built once;
// a later run of the same commit reuses the build. Returns that checkout's startPlatform.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The value after `--baseline`, or null. */
export function baselineArg(argv = process.argv) {
  const i = argv.indexOf('--baseline');
  if (i < 0) return null;
  const ref = argv[i + 1];
  if (!ref || ref.startsWith('--')) throw new Error('--baseline needs a git ref, e.g. --baseline HEAD~1');
  return ref;
}

function linkNodeModules(dir) {
  const own = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(own, '@fillsched'), { recursive: true });
  for (const name of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (name === '@fillsched') continue;
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules', name)), path.join(own, name));
  }
  // The workspace packages of the commit itself, found by their package.json names.
  for (const group of ['packages', 'services']) {
    for (const ws of fs.readdirSync(path.join(dir, group))) {
      const pkg = path.join(dir, group, ws, 'package.json');
      if (!fs.existsSync(pkg)) continue;
      const { name } = JSON.parse(fs.readFileSync(pkg, 'utf8'));
      if (name?.startsWith('@fillsched/'))
        fs.symlinkSync(path.join(dir, group, ws), path.join(own, '@fillsched', name.slice(11)));
      const nested = path.join(ROOT, group, ws, 'node_modules');
      if (fs.existsSync(nested) && !fs.existsSync(path.join(dir, group, ws, 'node_modules')))
        fs.symlinkSync(fs.realpathSync(nested), path.join(dir, group, ws, 'node_modules'));
    }
  }
}

/** Exports and builds `ref` (once per commit); returns `{ sha, dir, startPlatform }`. */
export function baselinePlatform(ref, log = (m) => process.stderr.write(`${m}\n`)) {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  const dir = path.join(os.tmpdir(), `fillsched-baseline-${sha.slice(0, 12)}`);
  const stamp = path.join(dir, '.fillsched-baseline-built');
  if (!fs.existsSync(stamp)) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    log(`baseline ${ref} (${sha.slice(0, 12)}): exporting into ${dir} and building (once)`);
    const archive = execFileSync('git', ['archive', '--format=tar', sha], {
      cwd: ROOT,
      maxBuffer: 1 << 30,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    linkNodeModules(dir);
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/turbo/bin/turbo'), 'run', 'build'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    });
    fs.writeFileSync(stamp, `${sha}\n`);
  }
  const { startPlatform } = createRequire(path.join(dir, 'package.json'))('./scripts/platform.js');
  return { sha, dir, startPlatform };
}

/** Short name of a ref's commit, for the table. */
export function describeCommit(ref) {
  return execFileSync('git', ['log', '-1', '--format=%h %s', ref], { cwd: ROOT, encoding: 'utf8' })
    .trim()
    .slice(0, 60);
}
