/** Why a running job was aborted: a client's cancel, this worker's shutdown, or the watchdog. */
export type AbortReason = 'cancel' | 'shutdown' | 'watchdog';

export interface Run {
  readonly jobId: string;
  readonly controller: AbortController;
  /** The first reason it was aborted for; null while it runs undisturbed. */
  reason: AbortReason | null;
  readonly done: Promise<void>;
}

/**
 * The jobs running in this worker: cancel broadcasts and shutdown reach them here. A job is
 * registered before anything is awaited for it, so a cancel arriving meanwhile is not lost.
 */
export class RunRegistry {
  private readonly runs = new Set<Run>();

  register(jobId: string): { run: Run; finish: () => void } {
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const run: Run = { jobId, controller: new AbortController(), reason: null, done };
    this.runs.add(run);
    return {
      run,
      finish: () => {
        this.runs.delete(run);
        finish();
      },
    };
  }

  abort(run: Run, reason: AbortReason): void {
    if (run.reason === null) run.reason = reason;
    run.controller.abort(new Error(`job ${reason}`));
  }

  /** Aborts every run of the job; returns how many. */
  cancel(jobId: string): number {
    let n = 0;
    for (const run of this.runs) {
      if (run.jobId !== jobId) continue;
      this.abort(run, 'cancel');
      n++;
    }
    return n;
  }

  jobIds(): string[] {
    return [...this.runs].map((r) => r.jobId);
  }

  /** Waits up to graceMs for the running jobs, then aborts the rest (reason `shutdown`) and waits for them. */
  async drain(graceMs: number, onWait?: (jobIds: string[]) => void): Promise<void> {
    const pending = [...this.runs];
    if (pending.length === 0) return;
    onWait?.(pending.map((r) => r.jobId));
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all(pending.map((r) => r.done)).then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (finished) return;
    for (const run of this.runs) this.abort(run, 'shutdown');
    await Promise.all(pending.map((r) => r.done));
  }
}
