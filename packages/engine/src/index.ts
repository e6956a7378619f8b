export * from './types';
export { validateConfig } from './config';
// The catalogue lives in contracts; re-exported so the engine's API (and CLI users) keep one import.
export {
  CONFIG_KEYS,
  INPUT_LIMITS,
  closestMatch,
  didYouMean,
  editDistance,
  type ConfigKeySpec,
  type ConfigKeyType,
} from '@fillsched/contracts/catalogue';
export { normalizeInput, validateInput, changeover, type NormalizeOutcome } from './input';
export { detectDelimiter, parseLotsCsv, type CsvDelimiter } from './csv';
export { lowerBound } from './lowerBound';
export { checkSchedule } from './checker';
export { solve, budgets } from './solve';
export { warmUp } from './warmup';
export { decode, BREAK, type Plan, type Decoded, type Placement } from './packer';
export { buildResult } from './result';
export { DEFAULT_START_TIME, parseIso } from './time';
export * from './replan-types';
export { prepareReplan, parentLots, REPLAN_CONFIG_KEYS, DISRUPTION_TYPES } from './replan-prepare';
export type {
  ReplanRequest,
  ParentPlan,
  ParentActivity,
  ReplanInput,
  PrepareOutcome,
} from './replan-prepare';
export { attachReplan, diffAgainstParent, stabilityCost, MOVED_LIST_MAX } from './replan';
export { checkReplan } from './checker-replan';
export { explain, LATE_LIST_MAX } from './explain';
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
