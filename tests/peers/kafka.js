// A single-node Apache Kafka broker in KRaft mode (broker and controller in one JVM), run from the
// official jars on Maven Central with the machine's Java: no Kafka in Debian or npm, no Docker.
'use strict';
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const {
  VERSIONS,
  cacheDir,
  freePort,
  canConnect,
  waitFor,
  which,
  tempDir,
  spawnTracked,
  stopChild,
} = require('./common');

const { groupId: GROUP_ID, artifactId: ARTIFACT_ID, version: VERSION } = VERSIONS.kafka;
const NAME = 'kafka';
// The broker's jars use slf4j 1.7 and ship log4j-core without a binding: add the log4j 2 binding
// so broker warnings and errors reach its output (else slf4j is a silent no-op).
const LOG4J_VERSION = '2.24.3';
// A test broker, not a production one: a small heap (2 shared cores, several engineers).
const JVM_OPTS = ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];

function homeDir() {
  return cacheDir(NAME, `${ARTIFACT_ID}-${VERSION}`);
}
function libDir() {
  return path.join(homeDir(), 'libs');
}
// Written after a complete resolve, so a half-copied libs dir is never taken as ready.
function okMarker() {
  return path.join(homeDir(), '.resolved');
}

function pomXml() {
  const dep = (g, a, v) =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>local.fillsched.peers</groupId>',
    '  <artifactId>kafka-broker-jars</artifactId>',
    '  <version>1</version>',
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dep(GROUP_ID, ARTIFACT_ID, VERSION),
    dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** Resolves the broker jars with Maven into the peers cache (Maven's own repository cached there too). */
async function prepare({ log = () => {} } = {}) {
  if (availability().ok) return;
  const mvn = which('mvn');
  if (!mvn) throw new Error(`${NAME} ${VERSION} needs Maven to resolve its jars (mvn not found on PATH)`);
  if (!which('java')) throw new Error(`${NAME} ${VERSION} needs Java 17+ (java not found on PATH)`);
  log(`resolving ${GROUP_ID}:${ARTIFACT_ID}:${VERSION} with Maven into ${libDir()} (once; cached after)`);
  fs.rmSync(okMarker(), { force: true });
  fs.rmSync(libDir(), { recursive: true, force: true });
  const pom = path.join(homeDir(), 'pom.xml');
  fs.writeFileSync(pom, pomXml());
  const res = spawnSync(
    mvn,
    [
      '-q',
      '-B',
      '-f',
      pom,
      `-Dmaven.repo.local=${cacheDir('m2')}`,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libDir()}`,
      '-DincludeScope=runtime',
    ],
    { encoding: 'utf8', timeout: 15 * 60 * 1000 },
  );
  if (res.status !== 0)
    throw new Error(
      `mvn could not resolve ${ARTIFACT_ID} ${VERSION}: ${(res.stdout + res.stderr || String(res.error)).slice(-2000)}`,
    );
  if (!fs.existsSync(path.join(libDir(), `${ARTIFACT_ID}-${VERSION}.jar`)))
    throw new Error(`mvn finished but ${ARTIFACT_ID}-${VERSION}.jar is not in ${libDir()}`);
  fs.writeFileSync(okMarker(), `${VERSION}\n`);
}

function availability() {
  if (!which('java'))
    return { ok: false, reason: `${NAME} ${VERSION} needs Java 17+ (java not found on PATH)` };
  if (fs.existsSync(okMarker())) return { ok: true };
  return {
    ok: false,
    reason: `${NAME} ${VERSION} jars are not resolved (run: node tests/peers/prepare.js ${NAME}; needs Maven and Maven Central)`,
  };
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid`
 * prints). Like Kafka's own Uuid.randomUuid, never one starting with '-': `kafka-storage format -t`
 * would read it as an option ("argument --cluster-id/-t: expected one argument"), 1 run in 64.
 */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties({ brokerPort, controllerPort, logDir }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=1',
    // One node: every internal topic has one replica; few partitions keep the first group join fast.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=3',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // No waiting for more members before the first rebalance (tests join one consumer at a time).
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

const LOG4J2_PROPERTIES = [
  'appender.out.type=Console',
  'appender.out.name=out',
  'appender.out.layout.type=PatternLayout',
  'appender.out.layout.pattern=[%d] %p %m (%c)%n',
  'rootLogger.level=WARN',
  'rootLogger.appenderRef.out.ref=out',
  // the one INFO line that says the broker is up, for the log of a failed start
  'logger.started.name=kafka.server.KafkaRaftServer',
  'logger.started.level=INFO',
  '',
].join('\n');

function java(args, opts = {}) {
  return [which('java'), [...JVM_OPTS, '-cp', `${libDir()}/*`, ...args], opts];
}

/** `kafka-storage format`: writes meta.properties and the bootstrap metadata of a new cluster. */
function formatStorage(config, clusterId, log4jConfig) {
  const [bin, args] = java([
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    config,
  ]);
  const res = spawnSync(bin, args, { encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0)
    throw new Error(
      `kafka-storage format failed: ${(res.stdout + res.stderr || String(res.error)).slice(-2000)}`,
    );
}

async function adminAnswers(brokers) {
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({
    clientId: 'peers-ready',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    // Also wait for the group coordinator: the first group request creates __consumer_offsets, and
    // until it is loaded consumers crash and restart with "The coordinator is loading".
    await admin.describeGroups(['peers-ready']);
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A fresh single-node KRaft broker on free loopback ports with its log dirs in a temp dir.
 * Ready when the broker port answers, a kafkajs admin can list topics and the group
 * coordinator answers. `brokers` is the kafkajs bootstrap list.
 */
async function start({ readyTimeoutMs = 90_000 } = {}) {
  const avail = availability();
  if (!avail.ok) throw new Error(avail.reason);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(readyTimeoutMs);
    } catch (err) {
      // a free port may be taken by a parallel test between freePort() and the bind
      if (attempt >= 3 || !/Address already in use|BindException/.test(err.message)) throw err;
    }
  }
}

async function startOnce(readyTimeoutMs) {
  const tmp = tempDir(NAME);
  const brokerPort = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === brokerPort) controllerPort = await freePort();
  const config = path.join(tmp.dir, 'server.properties');
  const log4jConfig = path.join(tmp.dir, 'log4j2.properties');
  fs.writeFileSync(
    config,
    serverProperties({ brokerPort, controllerPort, logDir: path.join(tmp.dir, 'logs') }),
  );
  fs.writeFileSync(log4jConfig, LOG4J2_PROPERTIES);
  const clusterId = randomClusterId();
  try {
    formatStorage(config, clusterId, log4jConfig);
  } catch (err) {
    tmp.remove();
    throw err;
  }
  const [bin, args] = java([`-Dlog4j2.configurationFile=${log4jConfig}`, 'kafka.Kafka', config]);
  const child = spawnTracked(bin, args);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    // SIGTERM: a controlled shutdown; a single node has nobody to hand over to, so it is quick.
    await stopChild(child, 'SIGTERM', 15_000);
    tmp.remove();
  };
  const brokers = [`127.0.0.1:${brokerPort}`];
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`${NAME} exited at start: ${child.recentLog().slice(-3000)}`);
        return (await canConnect('127.0.0.1', brokerPort)) && (await adminAnswers(brokers));
      },
      readyTimeoutMs,
      `${NAME} broker on 127.0.0.1:${brokerPort}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: NAME,
    version: VERSION,
    brokers,
    port: brokerPort,
    controllerPort,
    clusterId,
    dataDir: tmp.dir,
    // An outage without losing the log: SIGSTOP freezes the broker (connections hang, requests
    // time out), SIGCONT resumes it; stop() resumes a paused broker first.
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop: async () => {
      child.kill('SIGCONT');
      await stop();
    },
    recentLog: child.recentLog,
  };
}

module.exports = { name: NAME, version: VERSION, prepare, availability, start };
