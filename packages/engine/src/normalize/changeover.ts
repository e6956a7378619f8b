import type { ChangeoverTable, Instance, Line, ResolvedConfig, ValidationIssue } from '../types';
import type { RawMatrix } from './lines';

/** Bound on the dense changeover tables (types² × distinct tables). */
const MAX_MATRIX_CELLS = 16_000_000;

/**
 * Dense changeover tables (hours by type index) for the lines that need one: one for the global
 * matrix if a line without its own uses it, one per line matrix (layered over the global one).
 * Sets each line's `matrix` (-1: same/different defaults only). Null after an error when the
 * tables would be too large.
 */
export function buildChangeoverTables(
  lines: Line[],
  lineMatrices: (RawMatrix | null)[],
  config: ResolvedConfig,
  typeIndex: Map<string, number>,
  errors: ValidationIssue[],
): ChangeoverTable[] | null {
  const T = typeIndex.size;
  const matrices: ChangeoverTable[] = [];
  const needGlobal = config.changeover_matrix !== null && lineMatrices.some((m) => m === null);
  const distinct = (needGlobal ? 1 : 0) + lineMatrices.filter((m) => m !== null).length;
  if (distinct > 0 && T * T * distinct > MAX_MATRIX_CELLS) {
    errors.push({
      loc: ['config', 'changeover_matrix'],
      msg: `too many product types (${T}) for changeover matrices on ${distinct} line(s); at most ${Math.floor(Math.sqrt(MAX_MATRIX_CELLS / distinct))} types are supported with a matrix`,
      type: 'value_error.limit',
    });
    return null;
  }
  const build = (...layers: (RawMatrix | null)[]): ChangeoverTable => {
    const hours = new Float64Array(T * T);
    for (let a = 0; a < T; a++)
      for (let b = 0; b < T; b++)
        hours[a * T + b] = a === b ? config.changeover_same_hours : config.changeover_diff_hours;
    for (const layer of layers) {
      if (!layer) continue;
      for (const [from, row] of Object.entries(layer)) {
        const a = typeIndex.get(from);
        if (a === undefined) continue;
        for (const [to, h] of Object.entries(row)) {
          const b = typeIndex.get(to);
          if (b !== undefined) hours[a * T + b] = h;
        }
      }
    }
    return { hours };
  };
  let globalIdx = -1;
  if (needGlobal) {
    matrices.push(build(config.changeover_matrix));
    globalIdx = 0;
  }
  for (let i = 0; i < lines.length; i++) {
    if (lineMatrices[i]) {
      matrices.push(build(config.changeover_matrix, lineMatrices[i]));
      lines[i].matrix = matrices.length - 1;
    } else lines[i].matrix = globalIdx;
  }
  return matrices;
}

/** Changeover hours on line k from type a to type b. */
export function changeover(inst: Instance, k: number, a: number, b: number): number {
  const mi = inst.lines[k].matrix;
  if (mi >= 0) return inst.matrices[mi].hours[a * inst.types.length + b];
  return a === b ? inst.config.changeover_same_hours : inst.config.changeover_diff_hours;
}
