// Launches the whole platform on one machine as separate processes (SPEC §5):
// NATS (found at NATS_URL or started with JetStream in a temp dir), MongoDB (MONGO_URL or the
// embedded, non-durable wire server), every service from its built dist/main.js, gateway last.
// Used by `npm start` (scripts/start-platform.js) and by the system tests and benchmarks.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..');
const natsPeer = require('../tests/peers/nats');
// Ports, reachability and readiness waits are the peers' own helpers: one copy for every launcher.
const { freePort, canConnect, waitFor } = require('../tests/peers/common');

function log(msg, extra = {}) {
  process.stderr.write(JSON.stringify({ level: 'info', service: 'platform', msg, ...extra }) + '\n');
}

/**
 * Starts a private nats-server with JetStream on a free (or the given) port in a fresh temp dir.
 * The binary comes from the NATS peer (tests/peers/nats.js), the one place that decides it: the
 * one chosen for a test run, else Debian's floor on PATH, else the cached current release; when
 * there is none it builds or installs one, saying so in one log line.
 * `detached`: in its own process group, so a terminal's Ctrl-C does not reach it (see ownProcessGroups).
 */
async function startNatsServer({ port, detached = false, credentials } = {}) {
  const bin = natsPeer.obtainNatsServer({ log: (msg) => log(msg) });
  const extraConfig = credentials && natsAuthorization(credentials);
  const server = await natsPeer.start({ bin, port, detached, extraConfig });
  return {
    url: server.url,
    port: server.port,
    child: server.child,
    log: () => server.log(),
    /** Writes `user:password` of the operator user next to the server's data (0600); returns where. */
    writeAdminCredentials(admin) {
      const file = path.join(path.dirname(server.storeDir), 'admin.credentials');
      fs.writeFileSync(file, `${admin.user}:${admin.pass}\n`, { mode: 0o600 });
      return `user ${admin.user}, password in ${file}`;
    },
    stop: () => server.stop(),
  };
}

/** The permission matrix lives in contracts (docs/security.md); the launcher runs after a build. */
function natsPermissions() {
  const file = path.join(ROOT, 'packages/contracts/dist/nats-permissions.js');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return require(file);
}

/**
 * Fresh random passwords for one run of a private nats-server: one NATS user per service (with
 * the permissions of the matrix) and `admin`, unrestricted, for operators and test monitors.
 */
function generateNatsCredentials() {
  const { NATS_IDENTITIES } = natsPermissions();
  const pw = () => crypto.randomBytes(24).toString('base64url');
  const users = Object.fromEntries(NATS_IDENTITIES.map((id) => [id, { user: id, pass: pw() }]));
  return { users, admin: { user: 'admin', pass: pw() } };
}

function natsAuthorization(credentials) {
  const { natsAuthorizationConfig } = natsPermissions();
  const byUser = { ...credentials.users, [credentials.admin.user]: credentials.admin };
  return natsAuthorizationConfig((id) => JSON.stringify(byUser[id].pass), { admin: credentials.admin.user });
}

/**
 * NATS env of one service: the generated credentials of a NATS started here; for a NATS found at
 * NATS_URL, NATS_PASSWORD_<SERVICE> (user = the service name, the names of deploy/nats/nats.conf)
 * when set, else whatever NATS_USER / NATS_PASSWORD / NATS_CREDS the caller's env holds.
 */
function natsEnvFor(service, credentials, env) {
  if (credentials) {
    const c = credentials.users[service];
    return { NATS_USER: c.user, NATS_PASSWORD: c.pass, NATS_CREDS: '' };
  }
  const { natsPasswordVariable } = natsPermissions();
  const pass = env[natsPasswordVariable(service)];
  return pass ? { NATS_USER: service, NATS_PASSWORD: pass, NATS_CREDS: '' } : {};
}

/** Starts the embedded MongoDB wire-protocol server; resolves with its URL. `detached` as for NATS. */
async function startMongoWire({ detached = false } = {}) {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/mongo-wire-server.mjs')], {
    // stdin stays a pipe: the server exits when it closes, even if this process is killed hard
    stdio: ['pipe', 'pipe', 'inherit'],
    detached,
    env: { ...process.env, MONGO_WIRE_EXIT_ON_STDIN_CLOSE: '1' },
  });
  const url = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('embedded Mongo did not start within 15 s')), 15000);
    rl.on('line', (line) => {
      if (line.startsWith('{"url"')) {
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
      }
    });
    child.once('exit', (code) => reject(new Error(`embedded Mongo exited with ${code}`)));
  });
  child.stdout.resume();
  return { url, child, stop: () => stopChild(child, 'mongo-wire') };
}

function stopChild(child, name, signal = 'SIGTERM', graceMs = 8000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      log(`${name} did not exit after ${graceMs} ms, killing`);
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

const SERVICES = ['auth', 'config', 'schedule', 'comparison'];

/**
 * @param {object} opts
 * @param {string} [opts.natsUrl] use this NATS (one URL or a comma list of cluster nodes); otherwise NATS_URL / default, starting one if nothing listens
 * @param {boolean} [opts.privateNats] always start a private nats-server (tests)
 * @param {string} [opts.mongoUrl] MongoDB URL; otherwise MONGO_URL or the embedded wire server
 * @param {number} [opts.gatewayPort] default 8000 (0 = free port)
 * @param {number} [opts.solvers] solver worker processes (default SOLVERS or 2)
 * @param {object} [opts.env] extra env for every service
 * @param {boolean} [opts.eventsBridge] also start services/events-bridge (the Kafka mirror) with its
 *   own NATS user; default: when KAFKA_BROKERS is set (opts.env or the environment). The bridge reads
 *   every KAFKA_* / BRIDGE_* variable of that env (docs/events.md); its ops port is a free port
 *   (`platform.eventsBridge.opsUrl`). Kafka need not be up: the bridge waits for it, and the
 *   platform's readiness does not (the bridge's own /readyz says whether Kafka answers).
 * @param {'inherit'|'pipe'|'ignore'} [opts.stdio] service output (default inherit)
 * @param {boolean} [opts.ownProcessGroups] every child in its own process group, so a terminal's
 *   Ctrl-C reaches only the launcher, which then stops services first and NATS and the store last
 *   (`npm start`); by default children share the caller's group and die with it (tests)
 * @param {(info: object) => void} [opts.onInfrastructure] called with the NATS and store in use and
 *   the API URLs once NATS and the store are up, before any service starts (the `npm start` banner);
 *   it replaces the platform's own log lines about them
 * @param {(msg: string, extra?: object) => void} [opts.log] the platform's own lines; when given,
 *   each step of stop() is reported too
 */
async function startPlatform(opts = {}) {
  const started = [];
  const procs = new Map();
  const env = { ...process.env, ...(opts.env || {}) };
  const detached = Boolean(opts.ownProcessGroups);
  const say = opts.log || log;
  if (detached) {
    // Children in their own groups outlive a launcher that dies without stopping them: the last
    // thing it does is kill whatever still runs.
    process.once('exit', () => {
      for (const c of [...procs.values(), ...started.map((s) => s.child)])
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }
  const bridge = opts.eventsBridge ?? Boolean(env.KAFKA_BROKERS);
  if (bridge && !env.KAFKA_BROKERS)
    throw new Error(
      'the events bridge needs KAFKA_BROKERS (host:port,…): set it, or start without the bridge',
    );
  try {
    // NATS
    let natsUrl = opts.natsUrl;
    let nats = null;
    // Generated only for a nats-server started here; an existing one has its own users.
    let natsCredentials = null;
    // Ids restart at 1 in a fresh embedded store; a durable NATS kept from an earlier run would then
    // hold jobs, dedup ids and events of *other* schedules with the same ids. So a non-durable store
    // gets a private NATS too, unless NATS_URL is set explicitly.
    const privateNats = opts.privateNats || (!natsUrl && !env.NATS_URL && !(opts.mongoUrl || env.MONGO_URL));
    if (!natsUrl && !privateNats) {
      natsUrl = env.NATS_URL || 'nats://127.0.0.1:4222';
      // A list (a cluster) is used as given: the services connect to whichever member answers.
      const single = !natsUrl.includes(',');
      const u = single && new URL(natsUrl.replace(/^(nats:)?(\/\/)?/, 'http://'));
      if (single && !(await canConnect(u.hostname, Number(u.port || 4222)))) {
        say('nothing listens at NATS_URL; starting nats-server with JetStream in a temp dir', { natsUrl });
        natsCredentials = generateNatsCredentials();
        nats = await startNatsServer({
          port: Number(u.port || 4222),
          detached,
          credentials: natsCredentials,
        });
      }
    } else if (!natsUrl) {
      natsCredentials = generateNatsCredentials();
      nats = await startNatsServer({ detached, credentials: natsCredentials });
      natsUrl = nats.url;
    }
    if (nats) started.push(nats);
    const natsWhy = !nats
      ? 'already running'
      : privateNats
        ? 'private nats-server with JetStream, started for this run' +
          (opts.privateNats ? '' : ' to match the non-durable store (NATS_URL and MONGO_URL not set)')
        : 'nats-server with JetStream, started here because nothing listened at NATS_URL';

    // MongoDB
    let mongoUrl = opts.mongoUrl || env.MONGO_URL;
    let mongo = null;
    if (!mongoUrl) {
      mongo = await startMongoWire({ detached });
      started.push(mongo);
      mongoUrl = mongo.url;
    }

    // PORT=0 (or gatewayPort 0) means any free port, as for the ops servers
    const wantedPort = opts.gatewayPort ?? Number(env.PORT || 8000);
    const gatewayPort = wantedPort === 0 ? await freePort() : wantedPort;
    const solvers = opts.solvers ?? Number(env.SOLVERS || 2);
    const bridgeOpsPort = bridge ? await freePort() : 0;
    const info = {
      api: `http://localhost:${gatewayPort}/api/v1`,
      docs: `http://localhost:${gatewayPort}/docs`,
      console: `http://localhost:${gatewayPort}/console/`,
      nats: {
        url: natsUrl,
        started_here: Boolean(nats),
        why: natsWhy,
        // user `admin` (unrestricted), password in a 0600 file beside the server's data
        adminCredentials: natsCredentials && nats.writeAdminCredentials(natsCredentials.admin),
      },
      store: mongo
        ? {
            url: mongoUrl,
            durable: false,
            what: 'embedded in-memory MongoDB wire server (MONGO_URL not set)',
          }
        : { url: mongoUrl, durable: true, what: 'MongoDB at MONGO_URL' },
      services: [
        ...SERVICES,
        `${solvers} solver(s)`,
        'gateway',
        ...(bridge ? [`events-bridge (Kafka ${env.KAFKA_BROKERS})`] : []),
      ],
    };
    if (opts.onInfrastructure) opts.onInfrastructure(info);
    else {
      log('NATS', { url: natsUrl, started_here: Boolean(nats) });
      if (mongo)
        log('MONGO_URL not set: using the embedded in-memory MongoDB wire server; data is NOT durable', {
          url: mongoUrl,
        });
    }
    const base = { ...env, NATS_URL: natsUrl, MONGO_URL: mongoUrl, OPS_PORT: '0' };
    // The auth service stores its signing key sealed under a key-encryption key (docs/security.md).
    // The embedded store lives as long as this run, so a fresh one does; a real MongoDB needs the
    // caller's (AUTH_KEY_ENCRYPTION_KEY or AUTH_PRIVATE_KEY_PEM), or auth says what is missing.
    if (mongo && !env.AUTH_KEY_ENCRYPTION_KEY && !env.AUTH_KEY_ENCRYPTION_KEY_FILE)
      base.AUTH_KEY_ENCRYPTION_KEY = crypto.randomBytes(32).toString('base64');
    const stdio = opts.stdio || 'inherit';

    const launch = (name, service, extra = {}) => {
      const main = path.join(ROOT, 'services', service, 'dist', 'main.js');
      if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
      const child = spawn(process.execPath, [main], {
        env: { ...base, ...natsEnvFor(service, natsCredentials, env), SERVICE_INSTANCE: name, ...extra },
        stdio: ['ignore', stdio, stdio],
        detached,
      });
      child.once('exit', (code, signal) => {
        if (!platform.stopping) say(`${name} exited`, { code, signal });
      });
      procs.set(name, child);
      return child;
    };

    const platform = {
      natsUrl,
      /** The nats-server started here (null when an existing one is used). */
      nats,
      /**
       * Connection options of the unrestricted `admin` NATS user of a nats-server started here
       * (`{ user, pass }`), for operators' tools and test monitors; `{}` for an existing server.
       */
      natsAdmin: natsCredentials ? { ...natsCredentials.admin } : {},
      /** Per-service credentials of a nats-server started here (`{ gateway: { user, pass }, … }`); null otherwise. */
      natsUsers: natsCredentials ? natsCredentials.users : null,
      mongoUrl,
      gatewayPort,
      gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
      procs,
      stopping: false,
      /** The Kafka mirror when it runs (opts.eventsBridge / KAFKA_BROKERS), else null. */
      eventsBridge: bridge ? { opsUrl: `http://127.0.0.1:${bridgeOpsPort}` } : null,
      /**
       * Starts the events bridge again (after the previous one exited, e.g. a test killed it), on the
       * same ops port; only when the platform runs one.
       */
      startEventsBridge(name = 'events-bridge') {
        if (!bridge)
          throw new Error('this platform runs no events bridge (KAFKA_BROKERS / opts.eventsBridge)');
        return launch(name, 'events-bridge', { OPS_PORT: String(bridgeOpsPort) });
      },
      /** Starts another solver worker process (scaling, or replacing a killed one). */
      startSolver(name = `solver-${procs.size}`) {
        return launch(name, 'solver');
      },
      async stop() {
        platform.stopping = true;
        // When services and infrastructure are stopped together, services fail to drain NATS and
        // to flush to the store: gateway first (no new work), then the other services in
        // parallel, and only when all have exited NATS and the store.
        const report = (name, child) =>
          opts.log && opts.log('stopped', { process: name, code: child.exitCode, signal: child.signalCode });
        const stopService = async ([name, child]) => {
          await stopChild(child, name);
          report(name, child);
        };
        const gw = procs.get('gateway');
        if (gw) await stopService(['gateway', gw]);
        await Promise.all([...procs].filter(([n]) => n !== 'gateway').map(stopService));
        for (const s of started.reverse()) {
          await s.stop();
          report(s === nats ? 'nats-server' : 'store', s.child);
        }
      },
    };

    for (const s of SERVICES) launch(s, s);
    for (let i = 1; i <= solvers; i++) launch(`solver-${i}`, 'solver');
    launch('gateway', 'gateway', { PORT: String(gatewayPort) });
    if (bridge) launch('events-bridge', 'events-bridge', { OPS_PORT: String(bridgeOpsPort) });

    await waitFor(
      async () => {
        for (const [name, c] of procs)
          if (c.exitCode !== null) throw new Error(`${name} exited during start`);
        try {
          const res = await fetch(`${platform.gatewayUrl}/readyz`);
          return res.status === 200;
        } catch {
          return false;
        }
      },
      opts.readyTimeoutMs || 60000,
      'gateway /readyz',
    );
    return platform;
  } catch (err) {
    for (const c of procs.values()) c.kill('SIGKILL');
    for (const s of started.reverse()) await s.stop().catch(() => {});
    throw err;
  }
}

module.exports = {
  startPlatform,
  generateNatsCredentials,
  natsAuthorization,
  startNatsServer,
  startMongoWire,
  freePort,
  stopChild,
  waitFor,
};
