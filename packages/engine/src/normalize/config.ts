import { CONFIG_KEYS } from '@fillsched/contracts/catalogue';
import { isPlainObject } from '../config';
import { resolveObjectiveConfig } from '../objective-config';
import type { ResolvedConfig } from '../types';

/** The config's value of `key`, else the catalogue's default. */
export function configValue<T>(cfg: Record<string, unknown>, key: string): T {
  const v = cfg[key];
  if (v !== undefined) return v as T;
  return CONFIG_KEYS.find((k) => k.key === key)!.default as T;
}

/**
 * Every config key the strategies read, with defaults filled in (`changeover_time` in minutes is
 * the API guide's shorthand for the different-product changeover) and a warning when a same-type
 * changeover is longer than a different-type one.
 */
export function resolveConfig(
  cfg: Record<string, unknown>,
  lineCount: number,
  warnings: string[],
): ResolvedConfig {
  const config: ResolvedConfig = {
    line_count: lineCount,
    fill_rate_vph: configValue<number>(cfg, 'fill_rate_vph'),
    clean_hours: configValue<number>(cfg, 'clean_hours'),
    window_hours: configValue<number | null>(cfg, 'window_hours'),
    initial_clean: configValue<boolean>(cfg, 'initial_clean'),
    changeover_same_hours: configValue<number>(cfg, 'changeover_same_hours'),
    changeover_diff_hours:
      cfg.changeover_diff_hours !== undefined
        ? (cfg.changeover_diff_hours as number)
        : typeof cfg.changeover_time === 'number'
          ? cfg.changeover_time / 60
          : configValue<number>(cfg, 'changeover_diff_hours'),
    changeover_matrix: isPlainObject(cfg.changeover_matrix)
      ? (cfg.changeover_matrix as Record<string, Record<string, number>>)
      : null,
    min_batch_size: minBatchSize(cfg),
    max_makespan: configValue<number | null>(cfg, 'max_makespan'),
    priority_weight: configValue<number>(cfg, 'priority_weight'),
    time_limit_s: configValue<number>(cfg, 'time_limit_s'),
    seed: configValue<number>(cfg, 'seed'),
    objective: resolveObjectiveConfig(cfg.objective),
  };
  if (config.changeover_same_hours > config.changeover_diff_hours) {
    warnings.push(
      `changeover_same_hours (${config.changeover_same_hours} h) exceeds the different-product changeover (${config.changeover_diff_hours} h)`,
    );
  }
  return config;
}

export const minBatchSize = (cfg: Record<string, unknown>): number | null =>
  typeof cfg.min_batch_size === 'number' ? cfg.min_batch_size : null;
