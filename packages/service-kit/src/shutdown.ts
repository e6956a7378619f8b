import type { Logger } from './logging';

export interface ShutdownStep {
  name: string;
  run(): Promise<void>;
}

export interface ShutdownOptions {
  logger: Logger;
  steps: ShutdownStep[];
  timeoutMs: number;
  /** Called first, synchronously: typically `ops.setDraining()` so /readyz turns 503. */
  onBegin?: () => void;
  signals?: NodeJS.Signals[];
  /** Injected in tests; defaults to process.exit. */
  exit?: (code: number) => void;
}

export interface ShutdownHandle {
  /** Starts the shutdown sequence (also used by main.ts on fatal errors); idempotent. */
  shutdown(reason: string): Promise<void>;
  uninstall(): void;
}

/**
 * SIGTERM/SIGINT → onBegin → steps in order → exit 0. A failing step is logged and the rest
 * still run (exit 1 at the end); the whole sequence is bounded by timeoutMs (then exit 1).
 * Repeated signals do not restart the sequence.
 */
export function installShutdown(opts: ShutdownOptions): ShutdownHandle {
  const { logger, steps, timeoutMs } = opts;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let running: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    if (running) {
      logger.warn({ reason }, 'shutdown already in progress');
      return running;
    }
    running = (async () => {
      const started = Date.now();
      logger.info({ reason, timeoutMs }, 'shutdown started');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown timed out; exiting');
        exit(1);
      }, timeoutMs);
      let failed = false;
      try {
        opts.onBegin?.();
      } catch (err) {
        failed = true;
        logger.error({ err }, 'shutdown onBegin failed');
      }
      for (const step of steps) {
        const t0 = Date.now();
        try {
          await step.run();
          logger.info({ step: step.name, ms: Date.now() - t0 }, 'shutdown step done');
        } catch (err) {
          failed = true;
          logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      logger.info({ ms: Date.now() - started, failed }, 'shutdown complete');
      exit(failed ? 1 : 0);
    })();
    return running;
  };

  const handlers = signals.map((sig) => {
    const h = () => void shutdown(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });

  return {
    shutdown,
    uninstall() {
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}

/**
 * Process-wide error policy: an unhandled rejection is logged (a bug, but the process state is
 * intact); an uncaught exception is logged as fatal and the process exits 1, because state may
 * be corrupt and the orchestrator restarts it. `onFatal` can run a bounded shutdown instead.
 */
export function installProcessErrorHandlers(
  logger: Logger,
  opts: { onFatal?: (err: unknown) => void; exit?: (code: number) => void } = {},
): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const onRejection = (reason: unknown) => logger.error({ err: reason }, 'unhandled promise rejection');
  const onException = (err: unknown) => {
    logger.fatal({ err }, 'uncaught exception');
    if (opts.onFatal) opts.onFatal(err);
    else exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
