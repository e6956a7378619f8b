/** The engine's strategies: ids (the API's `strategy` values) and what GET /schedule/strategies lists. */
export const STRATEGY_IDS = [
  'smart-pack',
  'lpt-pack',
  'spt-pack',
  'cfs-pack',
  'hybrid-pack',
  'milp-opt',
] as const;
export type StrategyId = (typeof STRATEGY_IDS)[number];

export const STRATEGIES: ReadonlyArray<{ id: StrategyId; name: string; description: string }> = [
  { id: 'smart-pack', name: 'Smart Pack', description: 'Intelligent packing with priority optimization' },
  { id: 'lpt-pack', name: 'Longest Processing Time', description: 'Schedule largest lots first' },
  { id: 'spt-pack', name: 'Shortest Processing Time', description: 'Schedule smallest lots first' },
  { id: 'cfs-pack', name: 'Critical First Strategy', description: 'Priority-based scheduling' },
  { id: 'hybrid-pack', name: 'Hybrid Strategy', description: 'Combination of multiple strategies' },
  { id: 'milp-opt', name: 'MILP Optimization', description: 'Mixed Integer Linear Programming optimization' },
];

export function isStrategyId(s: unknown): s is StrategyId {
  return typeof s === 'string' && (STRATEGY_IDS as readonly string[]).includes(s);
}
