#!/usr/bin/env node
/**
 * fillsched-engine solve <input> [--strategy ID|all] [--lines N] [--time-limit S] [--seed N] [--json] [--pretty] [--no-activities]
 * fillsched-engine validate <input>
 *
 * <input>: a lot CSV (`Lot ID,Type,Vials`) or a JSON file with the body of POST /api/v1/schedule.
 * `solve` prints a summary table on a terminal, else (piped, or --json / --pretty) one JSON document
 * per strategy run. Exit codes: 0 ok, 1 usage / read error, 2 invalid input.
 * Run through bin/fillsched-engine.js (the linked bin) or `node dist/cli.js`.
 */
import { readFileSync } from 'node:fs';
import { parseLotsCsv } from './csv';
import { normalizeInput, validateInput } from './input';
import { solve } from './solve';
import { tableHeader, tableRow } from './summary-table';
import {
  STRATEGY_IDS,
  isStrategyId,
  type RawScheduleInput,
  type StrategyId,
  type ValidationIssue,
} from './types';

const USAGE = `usage:
  fillsched-engine solve <input.csv|input.json> [--strategy ID|all] [--lines N] [--time-limit S] [--seed N] [--json] [--pretty] [--no-activities]
  fillsched-engine validate <input.csv|input.json>
solve prints a summary table on a terminal and JSON (one document per run) when piped or with --json.
strategies: ${STRATEGY_IDS.join(', ')}`;

interface Args {
  cmd: string;
  input: string;
  strategy?: string;
  lines?: number;
  timeLimit?: number;
  seed?: number;
  json: boolean;
  pretty: boolean;
  activities: boolean;
}

function parseArgs(argv: string[]): Args | string {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') return USAGE;
  if (cmd !== 'solve' && cmd !== 'validate') return `unknown command '${cmd}'\n${USAGE}`;
  const a: Args = { cmd, input: '', json: false, pretty: false, activities: true };
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i];
    const [flag, inline] =
      t.startsWith('--') && t.includes('=')
        ? [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]
        : [t, undefined];
    const val = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const num = (name: string, int: boolean): number => {
      const v = Number(val());
      if (!Number.isFinite(v) || (int && !Number.isInteger(v)))
        throw new Error(`${name} must be ${int ? 'an integer' : 'a number'}`);
      return v;
    };
    if (flag === '--strategy' || flag === '-s') a.strategy = val();
    else if (flag === '--lines') a.lines = num('--lines', true);
    else if (flag === '--time-limit') a.timeLimit = num('--time-limit', false);
    else if (flag === '--seed') a.seed = num('--seed', true);
    else if (flag === '--json') a.json = true;
    else if (flag === '--pretty') a.pretty = true;
    else if (flag === '--no-activities') a.activities = false;
    else if (!t.startsWith('-') && !a.input) a.input = t;
    else throw new Error(`unknown option '${t}'`);
  }
  if (!a.input) return `missing <input>\n${USAGE}`;
  return a;
}

function readInput(path: string): {
  body: RawScheduleInput & { strategy?: unknown };
  errors: ValidationIssue[];
} {
  const text = readFileSync(path, 'utf8');
  const trimmed = text.trimStart();
  if (path.toLowerCase().endsWith('.json') || trimmed.startsWith('{')) {
    const body = JSON.parse(text) as RawScheduleInput & { strategy?: unknown };
    return { body, errors: [] };
  }
  const { lots, errors } = parseLotsCsv(text);
  return { body: { lots_data: lots }, errors };
}

const toStdout = (s: string): void => void process.stdout.write(s + '\n');

/**
 * `terminal`: whether a person reads the output (a table instead of JSON); by default true only
 * when writing to stdout and stdout is a TTY, so pipes and scripts keep getting JSON.
 */
export async function main(
  argv: string[],
  out: (s: string) => void = toStdout,
  terminal: boolean = out === toStdout && Boolean(process.stdout.isTTY),
): Promise<number> {
  let args: Args | string;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (typeof args === 'string') {
    (args === USAGE ? process.stdout : process.stderr).write(args + '\n');
    return args === USAGE ? 0 : 1;
  }
  let input: ReturnType<typeof readInput>;
  try {
    input = readInput(args.input);
  } catch (e) {
    process.stderr.write(`cannot read ${args.input}: ${(e as Error).message}\n`);
    return 1;
  }
  const body = input.body;
  if (args.lines !== undefined) {
    const cfg =
      typeof body.config === 'object' && body.config !== null
        ? { ...(body.config as Record<string, unknown>) }
        : {};
    cfg.line_count = args.lines;
    body.config = cfg;
  }
  const dump = (x: unknown): void => out(args.pretty ? JSON.stringify(x, null, 2) : JSON.stringify(x));
  if (input.errors.length > 0) {
    dump({ valid: false, errors: input.errors, warnings: [] });
    return 2;
  }
  if (args.cmd === 'validate') {
    const rep = validateInput(body);
    dump(rep);
    return rep.valid ? 0 : 2;
  }
  const norm = normalizeInput(body);
  if (!norm.ok) {
    dump({ valid: false, errors: norm.errors, warnings: norm.warnings });
    return 2;
  }
  const requested = args.strategy ?? (typeof body.strategy === 'string' ? body.strategy : 'smart-pack');
  let strategies: StrategyId[];
  if (requested === 'all') strategies = [...STRATEGY_IDS];
  else if (isStrategyId(requested)) strategies = [requested];
  else {
    process.stderr.write(`unknown strategy '${requested}'; one of ${STRATEGY_IDS.join(', ')} or all\n`);
    return 1;
  }
  const table = terminal && !args.json && !args.pretty;
  if (table) {
    // A CSV without priorities warns once per lot; a few lines say enough on a terminal.
    for (const w of norm.warnings.slice(0, 3)) out(`warning: ${w}`);
    if (norm.warnings.length > 3) out(`warning: … and ${norm.warnings.length - 3} more (--json lists all)`);
    out(tableHeader());
  }
  for (const s of strategies) {
    const r = await solve(norm.instance, { strategy: s, timeLimitS: args.timeLimit, seed: args.seed });
    if (table) {
      out(tableRow(r));
      continue;
    }
    const doc = { ...r, warnings: norm.warnings };
    if (!args.activities) doc.result = { ...r.result, activities: [] };
    dump(doc);
  }
  return 0;
}

/** Runs the CLI with `argv` and sets the process exit code (used by bin/fillsched-engine.js). */
export function run(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) void run(process.argv.slice(2));
