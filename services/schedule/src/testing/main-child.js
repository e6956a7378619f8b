// Runs src/main.ts as its own process from the TypeScript sources (no build), mapping the
// workspace packages to their sources the way jest's moduleNameMapper does.
const path = require('node:path');
const Module = require('node:module');
const root = path.resolve(__dirname, '..', '..', '..', '..');
require(path.join(root, 'packages', 'service-kit', 'src', 'test-support', 'swc-register.js'));

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = /^@fillsched\/(contracts|engine|service-kit)$/.exec(request);
  if (m) return path.join(root, 'packages', m[1], 'src', 'index.ts');
  return resolve.call(this, request, ...rest);
};
require('../main.ts');
