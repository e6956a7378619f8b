import {
  connectNats,
  natsAuth,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  openStores,
  serveUntilShutdown,
  startTracing,
} from '@fillsched/service-kit';
import { KvRevocationPublisher, openRevocationsBucket } from './adapters/kv';
import {
  MemoryApiKeyRepository,
  MemoryRefreshTokenRepository,
  MemorySigningKeyRepository,
  MemoryUserRepository,
  systemClock,
} from './adapters/memory';
import { createMongooseRepositories } from './adapters/mongoose';
import { createAuthApp, type AuthAppDeps } from './app';
import { loadAuthConfig, loginThrottleOptions } from './config';
import {
  createLoginThrottle,
  memoryLoginLimiters,
  mongoLoginLimiters,
  type LoginLimiters,
} from './login-throttle';
import { startAuthResponders } from './responders';

const SERVICE = 'auth';

async function main(): Promise<void> {
  const env = loadAuthConfig();
  const logger = createLogger(SERVICE, env.LOG_LEVEL);
  startTracing(SERVICE, { logger });
  installProcessErrorHandlers(logger);

  const throttle = loginThrottleOptions(env);
  const {
    mongo,
    ids,
    stores: { loginLimiters, ...stores },
  } = await openStores<
    Pick<AuthAppDeps, 'users' | 'refreshTokens' | 'signingKeys' | 'apiKeys'> & {
      loginLimiters: LoginLimiters;
    }
  >({
    service: SERVICE,
    env,
    logger,
    mongo: async (conn) => ({
      ...(await createMongooseRepositories(conn)),
      loginLimiters: mongoLoginLimiters(conn, throttle),
    }),
    memory: () => ({
      users: new MemoryUserRepository(),
      refreshTokens: new MemoryRefreshTokenRepository(),
      signingKeys: new MemorySigningKeyRepository(),
      apiKeys: new MemoryApiKeyRepository(),
      loginLimiters: memoryLoginLimiters(throttle),
    }),
    memoryWarning:
      'MONGO_URL is not set: users, refresh tokens, API keys and the signing key live in memory (NOT durable; ' +
      'a restart logs everyone out, and replicas do not share keys unless AUTH_PRIVATE_KEY_PEM is set)',
  });

  const nats = await connectNats({
    servers: env.NATS_URL,
    name: `${SERVICE}-${env.SERVICE_INSTANCE ?? process.pid}`,
    logger,
    streamReplicas: env.NATS_STREAM_REPLICAS,
    auth: natsAuth(env, SERVICE),
  });
  const revocations = new KvRevocationPublisher(await openRevocationsBucket(nats.nc, nats.streamReplicas));

  const app = await createAuthApp(
    {
      ...stores,
      ids,
      revocations,
      clock: systemClock,
      logger,
      loginThrottle: createLoginThrottle(loginLimiters, throttle),
    },
    {
      accessTokenMinutes: env.ACCESS_TOKEN_EXPIRE_MINUTES,
      refreshTokenDays: env.REFRESH_TOKEN_EXPIRE_DAYS,
      privateKeyPem: env.AUTH_PRIVATE_KEY_PEM,
      previousKeyPems: env.AUTH_PREVIOUS_KEYS_PEM,
      keyEncryptionKey: env.AUTH_KEY_ENCRYPTION_KEY,
      bootstrapAdmin:
        env.AUTH_BOOTSTRAP_ADMIN_EMAIL && env.AUTH_BOOTSTRAP_ADMIN_PASSWORD
          ? { email: env.AUTH_BOOTSTRAP_ADMIN_EMAIL, password: env.AUTH_BOOTSTRAP_ADMIN_PASSWORD }
          : undefined,
    },
  );
  const responders = await startAuthResponders(nats, logger, app);

  await serveUntilShutdown({
    service: SERVICE,
    logger,
    env,
    nats,
    mongo,
    // Stop taking requests and let the running ones reply before the connection goes.
    stop: responders,
    ready: { msg: 'auth service ready', fields: { kid: app.signingKey.kid } },
  });
}

void exitOnConfigError(() => main(), SERVICE);
