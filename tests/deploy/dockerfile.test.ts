// The production Dockerfile passes the repo's structural lint (scripts/lint-dockerfile.js), and
// the lint rejects what the old image did (dev dependencies, npm 10, a named user, no health
// check) — there is no Docker engine here to build it; README "Production image" has the command.
import fs from 'node:fs';
import path from 'node:path';

const { lintDockerfile } = require('../../scripts/lint-dockerfile.js');

const ROOT = path.resolve(__dirname, '..', '..');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const pkg = JSON.parse(read('package.json'));
const opts = { packageManager: pkg.packageManager, dockerignore: read('.dockerignore') };
const dockerfile = read('Dockerfile');

it('the Dockerfile passes the lint', () => {
  expect(lintDockerfile(dockerfile, opts)).toEqual([]);
  expect(pkg.packageManager).toBe('npm@11.19.1');
});

it('every service the chart starts is built into the image, and COPY sources are not ignored', () => {
  for (const svc of ['gateway', 'auth', 'schedule', 'comparison', 'config', 'solver'])
    expect(dockerfile).toContain(`/app/services/${svc}/dist ./services/${svc}/dist`);
  const ignored = opts.dockerignore.split('\n').map((l: string) => l.trim());
  for (const p of [
    'scripts',
    'scripts/dead-letters.js',
    'tsconfig.base.json',
    'tsconfig.json',
    'turbo.json',
    'packages',
    'services',
  ])
    expect(ignored).not.toContain(p);
});

it('rejects what an image must not do', () => {
  const bad = (from: string, to: string) => {
    expect(dockerfile).toContain(from);
    return lintDockerfile(dockerfile.replace(from, to), opts).join('\n');
  };
  expect(bad('ARG NODE_IMAGE=node:20.19.5-bookworm-slim', 'ARG NODE_IMAGE=node:latest')).toMatch(
    /pin the base image/,
  );
  expect(bad('npm install --global npm@11.19.1', 'npm install --global npm@10.9.0')).toMatch(
    /does not install npm@11\.19\.1/,
  );
  expect(bad('npm ci --omit=dev --no-audit', 'npm ci --no-audit')).toMatch(
    /no stage installs production dependencies/,
  );
  expect(bad('USER 1000:1000', 'USER node')).toMatch(/numeric non-root uid/);
  expect(bad('USER 1000:1000', 'USER 0')).toMatch(/numeric non-root uid/);
  expect(bad('HEALTHCHECK', 'LABEL')).toMatch(/no HEALTHCHECK/);
  expect(
    bad('CMD ["node", "services/gateway/dist/main.js"]', 'CMD node services/gateway/dist/main.js'),
  ).toMatch(/shell form/);
  expect(
    bad(
      'COPY --from=build --chown=root:root /app/services/solver/dist ./services/solver/dist',
      'COPY --from=build /app/node_modules ./node_modules',
    ),
  ).toMatch(/a stage with dev dependencies/);
  expect(bad('ENV NODE_ENV=production', 'ENV AUTH_PRIVATE_KEY_PEM=x NODE_ENV=production')).toMatch(
    /looks like a credential/,
  );
  expect(lintDockerfile(dockerfile, { ...opts, dockerignore: 'dist\n' }).join('\n')).toMatch(
    /does not exclude node_modules/,
  );
});
