// A 3-node nats-server cluster (current release, JetStream on every node) for failover tests:
// each node has its own client, route and monitoring port on loopback and its own store dir, so a
// node can be SIGKILLed and restarted with the same identity and data, as after a crash.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const {
  VERSIONS,
  cacheDir,
  canConnect,
  freePort,
  goInstall,
  spawnTracked,
  stopChild,
  tempDir,
  waitFor,
} = require('./common');

const NODES = 3;
const CLUSTER_NAME = 'fillsched';
const { module: MODULE, version: VERSION } = VERSIONS.nats.current;

/** Builds (once, with Go) or finds the current nats-server; throws with the reason when it cannot. */
function natsServerBinary({ log } = {}) {
  return goInstall(MODULE, VERSION, 'nats-server', { log });
}

function prepare({ log } = {}) {
  return Promise.resolve().then(() => natsServerBinary({ log }));
}

/** Looks only at the cache: is the current nats-server already built? */
function availability() {
  const bin = path.join(cacheDir('bin', `nats-server-${VERSION}`), 'nats-server');
  if (fs.existsSync(bin)) return { ok: true };
  return { ok: false, reason: `nats-server ${VERSION} is not built (needs Go; node tests/peers/prepare.js)` };
}

function nodeConfig(node, all) {
  const routes = all.map((n) => `nats-route://127.0.0.1:${n.routePort}`).join(', ');
  return [
    `server_name: ${node.name}`,
    `listen: 127.0.0.1:${node.port}`,
    `http: 127.0.0.1:${node.monitorPort}`,
    // The services page solve results to stay under this; same as the single-server peers.
    'max_payload: 8MB',
    `jetstream { store_dir: "${node.storeDir}" }`,
    `cluster { name: ${CLUSTER_NAME}, listen: 127.0.0.1:${node.routePort}, routes: [${routes}] }`,
    '',
  ].join('\n');
}

async function getJson(port, urlPath) {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(1000) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/**
 * Starts 3 nodes and resolves once every node answers /healthz and the JetStream meta group has a
 * leader (before that, creating a stream fails with "JetStream system temporarily unavailable").
 */
async function start({ log = () => {}, readyTimeoutMs = 30_000 } = {}) {
  const bin = natsServerBinary({ log });
  const tmp = tempDir('nats-cluster');
  const nodes = [];
  for (let i = 0; i < NODES; i++) {
    const name = `n${i + 1}`;
    nodes.push({
      name,
      port: await freePort(),
      routePort: await freePort(),
      monitorPort: await freePort(),
      storeDir: path.join(tmp.dir, name, 'js'),
      conf: path.join(tmp.dir, `${name}.conf`),
      child: null,
    });
  }
  for (const n of nodes) {
    fs.mkdirSync(path.dirname(n.storeDir), { recursive: true });
    fs.writeFileSync(n.conf, nodeConfig(n, nodes));
  }

  const isUp = (n) => n.child !== null && n.child.exitCode === null && n.child.signalCode === null;
  const spawnNode = (n) => {
    n.child = spawnTracked(bin, ['-c', n.conf]);
  };
  const nodeHealthy = async (n) => {
    if (!isUp(n)) return false;
    try {
      return (await getJson(n.monitorPort, '/healthz')).status === 200;
    } catch {
      return false;
    }
  };

  const cluster = {
    nodes,
    urls: nodes.map((n) => `nats://127.0.0.1:${n.port}`),
    /** The comma list the services take as NATS_URL. */
    get url() {
      return cluster.urls.join(',');
    },
    isUp: (i) => isUp(nodes[i]),
    /** Server name of the JetStream meta leader as a live node sees it, or null during an election. */
    async metaLeader() {
      for (const n of nodes.filter(isUp)) {
        try {
          const leader = (await getJson(n.monitorPort, '/jsz')).body?.meta_cluster?.leader;
          if (leader) return leader;
        } catch {
          /* ask the next node */
        }
      }
      return null;
    },
    indexOf: (serverName) => nodes.findIndex((n) => n.name === serverName),
    /** Every node up, answering /healthz (JetStream current), and a meta leader elected. */
    async healthy() {
      for (const n of nodes) if (!(await nodeHealthy(n))) return false;
      return (await cluster.metaLeader()) !== null;
    },
    waitHealthy(timeoutMs = readyTimeoutMs) {
      return waitFor(
        async () => {
          for (const n of nodes)
            if (n.child && !isUp(n) && !n.killed)
              throw new Error(`${n.name} exited: ${n.child.recentLog().slice(-2000)}`);
          return cluster.healthy();
        },
        timeoutMs,
        'the NATS cluster to be healthy',
      );
    },
    /** SIGKILL: no lame-duck mode, no goodbye to the routes, as in a crash. */
    async killNode(i) {
      const n = nodes[i];
      n.killed = true;
      await stopChild(n.child, 'SIGKILL', 0);
    },
    /** Same ports, same store dir: the node rejoins with its identity and data. */
    async restartNode(i) {
      const n = nodes[i];
      if (isUp(n)) throw new Error(`${n.name} is still running`);
      n.killed = false;
      spawnNode(n);
      await waitFor(() => canConnect('127.0.0.1', n.port), 10_000, `${n.name} to accept clients`);
    },
    logs: (i) => nodes[i].child?.recentLog() ?? '',
    async stop() {
      await Promise.all(nodes.filter(isUp).map((n) => stopChild(n.child)));
      tmp.remove();
    },
  };

  try {
    for (const n of nodes) spawnNode(n);
    await cluster.waitHealthy(readyTimeoutMs);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  log(`NATS cluster ready: ${cluster.url}`);
  return cluster;
}

module.exports = { NODES, prepare, availability, start, serverBinary: natsServerBinary };
