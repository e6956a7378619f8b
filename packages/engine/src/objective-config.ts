/** Validation and resolution of the config key `objective` (see objective.ts). */
import { OBJECTIVE_TERMS, isObjectiveTerm, type ObjectiveConfig, type ObjectiveTerm } from './objective';
import type { ValidationIssue } from './types';

const LOC = ['config', 'objective'];
const ALLOWED = OBJECTIVE_TERMS.map((t) => `'${t}'`).join(', ');

export function checkObjective(v: unknown, errors: ValidationIssue[]): void {
  if (v === null) return;
  if (Array.isArray(v)) {
    if (v.length === 0)
      errors.push({
        loc: LOC,
        msg: `objective levels must name at least one of ${ALLOWED}`,
        type: 'value_error.list.min_items',
      });
    const seen = new Set<string>();
    v.forEach((t, i) => {
      if (!isObjectiveTerm(t))
        errors.push({
          loc: [...LOC, i],
          msg: `objective level must be one of ${ALLOWED}`,
          type: 'value_error.const',
        });
      else if (seen.has(t))
        errors.push({
          loc: [...LOC, i],
          msg: `objective level '${t}' is listed twice`,
          type: 'value_error.duplicate',
        });
      else seen.add(t);
    });
    return;
  }
  if (typeof v !== 'object') {
    errors.push({
      loc: LOC,
      msg: `objective must be an object of weights {${OBJECTIVE_TERMS.join(', ')}} or an array of levels`,
      type: 'type_error.objective',
    });
    return;
  }
  let positive = false;
  for (const [k, w] of Object.entries(v as Record<string, unknown>)) {
    if (!isObjectiveTerm(k)) {
      errors.push({
        loc: [...LOC, k],
        msg: `unknown objective term '${k}'; allowed: ${ALLOWED}`,
        type: 'value_error.const',
      });
      continue;
    }
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 1e6) {
      errors.push({
        loc: [...LOC, k],
        msg: `objective weight ${k} must be a number in [0, 1000000]`,
        type: 'value_error.number',
      });
      continue;
    }
    if (w > 0) positive = true;
  }
  if (!positive && !errors.some((e) => e.loc[1] === 'objective'))
    errors.push({
      loc: LOC,
      msg: 'objective needs at least one weight greater than 0',
      type: 'value_error.objective',
    });
}

/** The validated value as the engine uses it (null when absent). */
export function resolveObjectiveConfig(v: unknown): ObjectiveConfig | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.filter(isObjectiveTerm) as ObjectiveTerm[];
  const out: Partial<Record<ObjectiveTerm, number>> = {};
  for (const [k, w] of Object.entries(v as Record<string, unknown>))
    if (isObjectiveTerm(k) && typeof w === 'number') out[k] = w;
  return out;
}
