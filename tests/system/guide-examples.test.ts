// The API guide's own client examples, run unchanged against http://localhost:8000 (issue 4):
// the Python client "With Error Handling", the JavaScript fetch example and the curl examples.
// The code is extracted from the guide at test time, so a drift between the guide and the
// platform fails here. The examples hard-code port 8000, so the platform must get that port.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sharedPath } from './client';
import { ensurePythonVenv, PREPARE_TIMEOUT_MS, pythonBin, testIfPython } from './python-venv';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(180_000);

const guide = fs.readFileSync(sharedPath('seeds/filling-scheduler-api.md'), 'utf8');

/** The fenced `lang` block that directly follows the heading line `heading`. */
function codeAfter(heading: string, lang: string): string {
  const fence = `${heading}\n\`\`\`${lang}\n`;
  const open = guide.indexOf(fence);
  if (open < 0) throw new Error(`guide has no ${lang} block under ${heading}`);
  const start = open + fence.length;
  return guide.slice(start, guide.indexOf('\n```', start) + 1);
}

function portFree(port: number) {
  return new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

// The Python example runs with the pinned `requests` of the python peer's venv, not the system's.
const pythonTest = testIfPython();

describe('the guide examples run unchanged', () => {
  let platform: any;
  let pythonUnavailable: string | null = null;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fillsched-guide-'));

  beforeAll(async () => {
    pythonUnavailable = await ensurePythonVenv();
    if (!(await portFree(8000)))
      throw new Error('port 8000 is busy: the guide examples need it (stop npm start)');
    platform = await startPlatform({ privateNats: true, gatewayPort: 8000, solvers: 1, stdio: 'ignore' });
    // the examples log in as this user; registration is not part of them
    const res = await fetch('http://localhost:8000/api/v1/auth/register', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'user@example.com', password: 'SecurePass123!' }),
    });
    expect(res.status).toBe(201);
  }, PREPARE_TIMEOUT_MS + 120_000);
  afterAll(async () => {
    await platform?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  pythonTest('Python client with error handling (python + requests from the peer venv)', () => {
    if (pythonUnavailable) return; // said once by ensurePythonVenv
    const file = path.join(tmp, 'client.py');
    fs.writeFileSync(file, codeAfter('#### With Error Handling', 'python'));
    const out = execFileSync(pythonBin(), [file], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toMatch(/Created schedule \d+/);
    expect(out).toMatch(/Makespan: [\d.]+/);
  });

  test('JavaScript fetch example', () => {
    const file = path.join(tmp, 'fetch.mjs');
    // the example ends with `const schedule = await createSchedule(...)`; print what it got
    fs.writeFileSync(
      file,
      codeAfter('#### Using Fetch API', 'javascript') + '\nconsole.log(JSON.stringify(schedule));\n',
    );
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    const schedule = JSON.parse(out.trim().split('\n').pop() as string);
    expect(schedule).toMatchObject({ name: 'Test Schedule', strategy: 'smart-pack', status: 'pending' });
  });

  test('curl examples', () => {
    const run = (script: string) =>
      execFileSync('bash', ['-c', script], {
        encoding: 'utf8',
        timeout: 30_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const login = JSON.parse(run(codeAfter('#### Login', 'bash')));
    expect(login.token_type).toBe('bearer');
    const create = codeAfter('#### Create Schedule', 'bash').replace('YOUR_ACCESS_TOKEN', login.access_token);
    const created = JSON.parse(run(create));
    expect(created.status).toBe('pending');
    const get = codeAfter('#### Get Schedule', 'bash')
      .replace('YOUR_ACCESS_TOKEN', login.access_token)
      .replace('/schedule/1', `/schedule/${created.id}`);
    expect(JSON.parse(run(get)).id).toBe(created.id);
  });
});
