export * from './types';
export { CONFIG_KEYS, INPUT_LIMITS, validateConfig, type ConfigKeySpec, type ConfigKeyType } from './config';
export { normalizeInput, validateInput, changeover, type NormalizeOutcome } from './input';
export { detectDelimiter, parseLotsCsv, type CsvDelimiter } from './csv';
export { closestMatch, didYouMean, editDistance } from './suggest';
export { lowerBound } from './lowerBound';
export { checkSchedule } from './checker';
export { solve, budgets } from './solve';
export { decode, BREAK, type Plan, type Decoded, type Placement } from './packer';
export { buildResult } from './result';
export { DEFAULT_START_TIME, parseIso } from './time';
export {
  OBJECTIVE_TERMS,
  changeoverHours,
  compareTerms,
  objectiveOf,
  scoreTerms,
  type Objective,
  type ObjectiveConfig,
  type ObjectiveTerm,
  type Score,
  type ScoreTerms,
  type StabilityCost,
} from './objective';
