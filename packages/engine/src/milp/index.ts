/**
 * MILP and sequencing tools for unrelated parallel lines with sequence- and line-dependent changeovers
 * (the `milp-opt` strategy's core). See README.md in this folder for the formulation.
 */
export type { SequencingProblem } from './core';
export { combinatorialLowerBound, lineSpan, makespan, validateProblem, validateSequences } from './core';
export {
  prewarmMilpWorker,
  shutdownMilpWorkers,
  solveSequencingMilp,
  type MilpOptions,
  type MilpResult,
} from './solve';
export {
  constructSequences,
  optimalLineOrder,
  sequencingLocalSearch,
  type LocalSearchOptions,
} from './local-search';
export {
  loadBestKnown,
  parseValladaInstance,
  valladaInstanceName,
  valladaToScheduleInput,
  type BestKnown,
  type ScheduleRequestBody,
} from './vallada';
export { runValladaBenchmark, type ValladaBenchOptions, type ValladaBenchRow } from './bench';
