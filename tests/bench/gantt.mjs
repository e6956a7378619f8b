#!/usr/bin/env node
// The Gantt renderer shared by the console and `export?format=svg` (packages/contracts/src/gantt.ts):
// time to draw a plan of 2,000 and 20,000 lots as SVG markup, next to JSON.stringify of the same
// activities as the floor of the same run (what sending the plan as JSON costs anyway). Markup
// only: the browser's insertion and layout are measured by the console's e2e test
// (tests/system/console.e2e.test.ts prints them as `[figure] console Gantt, 2,000 lots …`).
// Usage: npm run bench:gantt [-- --repeat 9]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { renderGanttSvg } = require('../../packages/contracts/dist/gantt.js');

const argRepeat = process.argv.indexOf('--repeat');
const REPEAT = argRepeat > 0 ? Number(process.argv[argRepeat + 1]) : 9;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const HOUR = 3_600_000;
const iso = (ms) => new Date(ms).toISOString();

/** A plausible plan: lots round-robin over 8 lines, a cleaning every 8 fills, changeovers between products. */
function plan(lots) {
  const lines = 8;
  const types = ['VialA', 'VialB', 'VialC', 'VialD', 'VialE', 'VialF', 'VialG', 'VialH'];
  const clock = new Array(lines).fill(Date.UTC(2026, 0, 1));
  const last = new Array(lines).fill(null);
  const out = [];
  for (let i = 0; i < lots; i++) {
    const l = i % lines;
    const type = types[(i * 7) % types.length];
    const push = (kind, hours, extra = {}) => {
      out.push({ kind, line: l + 1, ...extra, start: iso(clock[l]), end: iso(clock[l] + hours * HOUR) });
      clock[l] += hours * HOUR;
    };
    if (Math.floor(i / lines) % 8 === 0) push('CLEAN', 24);
    else if (last[l] !== type) push('CHANGEOVER', 4);
    push('FILL', 2 + ((i * 7919) % 40) / 4, { lot_id: `L${String(i + 1).padStart(5, '0')}`, type });
    last[l] = type;
  }
  return out;
}

const time = (fn) => {
  const ms = [];
  let out;
  for (let r = 0; r < REPEAT; r++) {
    const t = performance.now();
    out = fn();
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), out };
};

console.log(`Gantt SVG markup (median of ${REPEAT}), node ${process.version}`);
console.log('lots    activities  floor JSON.stringify     renderGanttSvg (console)   standalone export');
for (const lots of [2_000, 20_000]) {
  const acts = plan(lots);
  const floor = time(() => JSON.stringify(acts));
  const page = time(() => renderGanttSvg(acts, { idPrefix: 's1' }));
  const file = time(() => renderGanttSvg(acts, { standalone: true, focusable: false, fitWidth: 1600 }));
  const kb = (s) => `${Math.round(s.length / 1024)} KB`;
  console.log(
    `${String(lots).padEnd(8)}${String(acts.length).padEnd(12)}` +
      `${floor.ms.toFixed(1).padStart(7)} ms ${kb(floor.out).padStart(8)}     ` +
      `${page.ms.toFixed(1).padStart(7)} ms ${kb(page.out).padStart(8)}     ` +
      `${file.ms.toFixed(1).padStart(7)} ms ${kb(file.out).padStart(8)}`,
  );
}
