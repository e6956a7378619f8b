// The README's commands work in a fresh clone (issue 15, item 1). The commands are extracted from
// the README at test time, like guide-examples.test.ts does for the API guide, and run against a
// `git clone` of HEAD (committed state only: a bin that exists only in a working tree fails here).
//
// What broke was npm's bin linking: `npm ci` links bins before `npm run build` creates dist/, and
// skips a bin whose file is missing. So the clone gets a real `npm ci`, limited to the engine
// workspace to stay fast (about 30 s instead of minutes); the engine is then compiled with this
// checkout's TypeScript instead of installing every workspace's tool chain for `npm run build`.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedPath } from './client';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The shell commands of the first fenced bash block of the section `## <title>`. */
function commandsOf(title: string): string[] {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "${title}"`);
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start + 1, end < 0 ? undefined : end);
  const block = /```bash\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error(`README section "${title}" has no bash block`);
  return block[1]
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}

function run(cmd: string, cwd: string) {
  // offline: a bin that is not linked must fail here, not be looked up on the registry
  const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  return spawnSync('bash', ['-c', cmd], { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, any>);

describe('README commands in a fresh clone', () => {
  // The README's paths assume the clone sits beside `shared/`, as ours does.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fillsched-readme-'));
  const clone = path.join(tmp, 'main');
  const engineCommands = commandsOf('Engine CLI');

  beforeAll(() => {
    fs.symlinkSync(sharedPath(), path.join(tmp, 'shared'));
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
    execFileSync(
      'npm',
      ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--workspace', '@fillsched/engine'],
      { cwd: clone, stdio: 'pipe', timeout: 240_000 },
    );
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the README has engine commands, all of them `npx fillsched-engine …`', () => {
    expect(engineCommands.length).toBeGreaterThanOrEqual(2);
    for (const c of engineCommands) expect(c).toMatch(/^npx fillsched-engine (solve|validate) /);
  });

  test('npm ci links the fillsched-engine bin; before the build it says to build', () => {
    const bin = path.join(clone, 'node_modules/.bin/fillsched-engine');
    expect(fs.existsSync(bin)).toBe(true);
    const r = run(engineCommands[0], clone);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npm run build');
  });

  test('after the build every README engine command runs and prints JSON when piped', () => {
    const tsc = require.resolve('typescript/bin/tsc');
    // this checkout's @types, as the clone installed only the engine's own dependencies
    // the engine reads the strategy and config-key catalogue from contracts: built first
    for (const pkg of ['packages/contracts', 'packages/engine'])
      execFileSync(
        process.execPath,
        [tsc, '-p', pkg, '--typeRoots', path.join(ROOT, 'node_modules/@types')],
        { cwd: clone, stdio: 'pipe', timeout: 180_000 },
      );
    for (const cmd of engineCommands) {
      const r = run(cmd, clone);
      const docs = jsonLines(r.stdout);
      if (cmd.includes(' validate ')) {
        // the README validates an invalid file on purpose: exit 2 with the report
        expect({ cmd, status: r.status }).toEqual({ cmd, status: cmd.includes('invalid') ? 2 : 0 });
        expect(docs[0]).toHaveProperty('valid');
      } else {
        if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
        const strategies = docs.map((d) => d.strategy);
        if (cmd.includes('--strategy all')) expect(strategies).toHaveLength(6);
        for (const d of docs) expect(d.result).toHaveProperty('makespan');
      }
    }
  });

  test('every `npm run` script and `node` script the README names exists', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(clone, 'package.json'), 'utf8'));
    const scripts = [...README.matchAll(/\bnpm run ([\w:-]+)|\bnpm (start|test)\b/g)].map(
      (m) => m[1] ?? m[2],
    );
    expect(scripts).toEqual(expect.arrayContaining(['start', 'test', 'bench:e2e']));
    for (const s of new Set(scripts))
      expect({ script: s, defined: s in pkg.scripts }).toEqual({ script: s, defined: true });
    for (const m of README.matchAll(/`node ((?:scripts|packages)\/[\w./-]+\.m?js)/g))
      expect(fs.existsSync(path.join(clone, m[1]))).toBe(true);
  });
});
