import { createLogger, type Logger } from '../logging';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string; correlation_id?: string };

/** A real pino logger whose JSON lines are collected in memory for assertions. */
export function captureLogger(
  service = 'test',
  level: 'debug' | 'info' = 'debug',
): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger(service, level, {
    write(s: string) {
      for (const part of s.split('\n')) if (part.trim()) lines.push(JSON.parse(part) as LogLine);
    },
  });
  return { logger, lines };
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
