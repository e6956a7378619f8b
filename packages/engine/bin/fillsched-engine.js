#!/usr/bin/env node
// The `fillsched-engine` bin. npm links bins during `npm ci`, before `npm run build` creates
// dist/cli.js, and skips a bin whose target is missing; this committed launcher always exists,
// so the link is made and the CLI works as soon as the engine is built.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(
    `fillsched-engine is not built yet (${cli} is missing): run \`npm run build\` in the repository root\n`,
  );
  process.exit(1);
}
require(cli).run(process.argv.slice(2));
