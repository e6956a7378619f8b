// Lets a test run a service's src/main.ts as a real process without a build: compiles .ts with the
// same @swc/core the jest transform uses and maps @fillsched/<package> to the workspace sources
// under packages/ (as jest's moduleNameMapper does).
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
require('./swc-register.js');

const root = path.resolve(__dirname, '..', '..', '..', '..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  // `@fillsched/<package>` → src/index.ts; an `exports` subpath `@fillsched/<package>/<sub>` →
  // src/<sub>.ts or src/<sub>/index.ts.
  const m = /^@fillsched\/([a-z0-9-]+)(?:\/([a-z0-9-]+))?$/.exec(request);
  if (m) {
    const base = path.join(root, 'packages', m[1], 'src', m[2] ?? 'index');
    for (const src of m[2] ? [`${base}.ts`, path.join(base, 'index.ts')] : [`${base}.ts`])
      if (fs.existsSync(src)) return src;
  }
  return resolve.call(this, request, ...rest);
};
