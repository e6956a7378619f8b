// The NATS users of compose (deploy/nats/nats.conf) and of the NATS chart
// (deploy/helm/nats-auth-values.yaml) are generated from the permission matrix: the committed files
// must equal the generator's output (else `node scripts/nats-auth.js conf|helm` was not re-run),
// and nats-server (Debian's 2.9 floor and the pinned current release, where available) accepts the
// config with the passwords from the environment and refuses it when one is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NATS_IDENTITIES, natsPasswordVariable } from '@fillsched/contracts';

const ROOT = path.resolve(__dirname, '..', '..');
const natsAuth = require('../../scripts/nats-auth.js');
const natsPeer = require('../peers/nats.js');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');

it('deploy/nats/nats.conf and deploy/helm/nats-auth-values.yaml are the generated ones', () => {
  expect(read('deploy/nats/nats.conf')).toBe(natsAuth.conf());
  expect(read('deploy/helm/nats-auth-values.yaml')).toBe(natsAuth.helm());
});

it('the compose file gives every service its own NATS user and publishes no NATS or MongoDB port', () => {
  const compose = read('docker-compose.yml');
  for (const id of NATS_IDENTITIES) {
    expect(compose).toMatch(
      new RegExp(`NATS_USER: ${id}\\n\\s+NATS_PASSWORD: \\$\\{${natsPasswordVariable(id)}:\\?\\}`),
    );
    expect(compose).toContain(`${natsPasswordVariable(id)}: \${${natsPasswordVariable(id)}:?}`);
  }
  expect(compose).toContain('./deploy/nats/nats.conf:/etc/nats/nats.conf:ro');
  expect(compose).toContain('MONGO_INITDB_ROOT_PASSWORD: ${MONGO_PASSWORD:?}');
  expect(compose).toContain('AUTH_KEY_ENCRYPTION_KEY: ${AUTH_KEY_ENCRYPTION_KEY:?}');
  expect(compose.match(/^\s+ports:.*$/gm)).toEqual(["    ports: ['8000:8000']"]);
});

it('`env` writes every secret compose asks for, fresh each time', () => {
  const a = natsAuth.env();
  for (const v of [...NATS_IDENTITIES, 'admin'].map(natsPasswordVariable).concat(['MONGO_PASSWORD']))
    expect(a).toMatch(new RegExp(`^${v}=[A-Za-z0-9_-]{32}$`, 'm'));
  expect(a).toMatch(/^AUTH_KEY_ENCRYPTION_KEY=[A-Za-z0-9+/]{43}=$/m);
  expect(natsAuth.env()).not.toBe(a);
});

describe.each(natsPeer.FLAVORS as string[])('nats-server %s', (flavor) => {
  const avail = natsPeer.availability(flavor);
  const maybe = avail.ok ? it : it.skip;
  const test = (env: Record<string, string>) =>
    spawnSync(natsPeer.natsServerBinary(flavor), ['-t', '-c', path.join(ROOT, 'deploy/nats/nats.conf')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });
  const passwords = Object.fromEntries(
    [...NATS_IDENTITIES, 'admin'].map((id) => [natsPasswordVariable(id), `pw-${id}`]),
  );

  maybe('accepts deploy/nats/nats.conf with the passwords in its environment', () => {
    const res = test(passwords);
    expect(`${res.stdout}${res.stderr}`).toMatch(/is valid/);
    expect(res.status).toBe(0);
  });

  maybe('refuses it when a password is missing, naming the variable', () => {
    const { NATS_PASSWORD_SOLVER: _, ...missing } = passwords;
    const res = test(missing);
    expect(res.status).not.toBe(0);
    expect(`${res.stdout}${res.stderr}`).toContain('NATS_PASSWORD_SOLVER');
  });
});
