// Fakes of the job-owner ports for unit tests of the owning services (`@fillsched/job-owner/testing`).
import type { RpcUser } from '@fillsched/contracts';
import type { Canceller, ConfigResolver, ResolveOutcome } from './ports';

/** Records the job ids it was asked to cancel; throws `failWith` when set. */
export class FakeCanceller implements Canceller {
  cancelled: string[] = [];
  failWith: Error | null = null;
  async cancel(jobId: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.cancelled.push(jobId);
  }
}

/**
 * Mimics the config service: templates by id (owned by anyone), an optional default template,
 * merge = template keys overridden key by key by the request's keys; `mode: 'unavailable'` answers
 * as when the config service does not respond.
 */
export class FakeConfigResolver implements ConfigResolver {
  templates = new Map<number, Record<string, unknown>>();
  defaultTemplate: { id: number; config: Record<string, unknown> } | null = null;
  mode: 'normal' | 'unavailable' = 'normal';
  calls: Array<{ user: RpcUser; config_id: number | null; config: Record<string, unknown> | null }> = [];

  async resolve(
    user: RpcUser,
    req: { config_id: number | null; config: Record<string, unknown> | null },
  ): Promise<ResolveOutcome> {
    this.calls.push({ user, ...req });
    if (this.mode === 'unavailable') return { kind: 'unavailable', reason: 'no responders' };
    let base: Record<string, unknown> = {};
    let templateId: number | null = null;
    if (req.config_id != null) {
      const t = this.templates.get(req.config_id);
      if (!t) return { kind: 'rejected', status: 404, body: { detail: 'Configuration template not found' } };
      base = t;
      templateId = req.config_id;
    } else if (this.defaultTemplate) {
      base = this.defaultTemplate.config;
      templateId = this.defaultTemplate.id;
    }
    return { kind: 'resolved', config: { ...base, ...(req.config ?? {}) }, template_id: templateId };
  }
}
