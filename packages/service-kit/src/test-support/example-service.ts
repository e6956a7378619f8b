/**
 * The recommended main.ts wiring, runnable: config → logger → NATS → streams → responders →
 * ops server → shutdown. service-kit.test runs it as a child process; README points here.
 */
import { z } from 'zod';
import {
  baseEnvSchema,
  connectNats,
  createLogger,
  ensureStreams,
  exitOnConfigError,
  installProcessErrorHandlers,
  installShutdown,
  loadConfig,
  natsReadiness,
  serveRequests,
  startOpsServer,
} from '../index';

const envSchema = baseEnvSchema.extend({ GREETING: z.string().min(1) });

async function main() {
  const config = exitOnConfigError(() => loadConfig(envSchema), 'example');
  const logger = createLogger('example', config.LOG_LEVEL);
  installProcessErrorHandlers(logger);

  const nats = await connectNats({ servers: config.NATS_URL, name: 'example', logger });
  await ensureStreams(nats, { streams: [{ name: 'EXAMPLE', subjects: ['example.events.>'] }] }, logger);

  const responder = serveRequests(nats, logger, {
    subject: 'example.rpc.greet',
    queue: 'example',
    handler: async (req) => {
      // Slow enough that the test can SIGTERM while a request is in flight.
      await new Promise((r) => setTimeout(r, Number((req.query?.delayMs as string | undefined) ?? 0)));
      return { status: 200, body: { greeting: `${config.GREETING}, ${req.params?.name ?? 'world'}` } };
    },
  });

  const ops = await startOpsServer({ port: config.OPS_PORT, logger, readiness: [natsReadiness(nats)] });
  installShutdown({
    logger,
    timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    onBegin: () => ops.setDraining(),
    steps: [
      { name: 'stop responders', run: () => responder.stop() },
      { name: 'drain nats', run: () => nats.drain() },
      { name: 'close ops server', run: () => ops.close() },
    ],
  });
  process.stdout.write(JSON.stringify({ ready: true, opsPort: ops.port }) + '\n');
}

void main();
