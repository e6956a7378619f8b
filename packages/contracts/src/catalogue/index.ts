// Plain data and functions, no zod: the engine imports this subpath (`@fillsched/contracts/catalogue`)
// without pulling in the REST schemas.
export { STRATEGY_IDS, STRATEGIES, isStrategyId, type StrategyId } from './strategies';
export { CONFIG_KEYS, INPUT_LIMITS, type ConfigKeySpec, type ConfigKeyType } from './config-keys';
export { closestMatch, didYouMean, editDistance } from './suggest';
