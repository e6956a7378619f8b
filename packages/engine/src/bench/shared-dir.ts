import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The `shared/` folder beside the repository (its lot files and benchmark), or FILLSCHED_SHARED. */
export function sharedDir(): string {
  const cands = [
    process.env.FILLSCHED_SHARED,
    resolve(process.cwd(), '../shared'),
    resolve(__dirname, '../../../../../shared'),
  ];
  for (const c of cands) if (c && existsSync(join(c, 'data'))) return c;
  throw new Error('cannot find the shared data folder (set FILLSCHED_SHARED)');
}
