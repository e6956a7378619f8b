// deploy/kafka/strimzi-kafka.yaml (the KRaft cluster for the events bridge on Kubernetes) and the
// chart's production example must describe the same cluster: the bridge's brokers, CA, SASL
// user and topics there are what the manifest creates, and the user's ACLs cover the topics the
// bridge provisions by default. A renamed topic or listener shows up here, not as a bridge that
// cannot connect in production.
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { KAFKA_DEFAULTS, KAFKA_RESULTS_DEFAULTS } from '@fillsched/contracts';

const ROOT = path.resolve(__dirname, '../..');
const docs = parseAllDocuments(
  fs.readFileSync(path.join(ROOT, 'deploy/kafka/strimzi-kafka.yaml'), 'utf8'),
).map((d) => d.toJS() as Record<string, any>);
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const production = parse(fs.readFileSync(path.join(ROOT, 'deploy/helm/examples/production.yaml'), 'utf8'));
const bridge = production.eventsBridge.kafka;

test('a KRaft cluster: node pools with controllers and brokers, no ZooKeeper, acks=all made meaningful', () => {
  const [kafka] = byKind('Kafka');
  expect(kafka.metadata.annotations).toMatchObject({
    'strimzi.io/kraft': 'enabled',
    'strimzi.io/node-pools': 'enabled',
  });
  expect(kafka.spec.zookeeper).toBeUndefined();
  const pools = byKind('KafkaNodePool');
  expect(pools.every((p) => p.metadata.labels['strimzi.io/cluster'] === kafka.metadata.name)).toBe(true);
  const roles = new Set(pools.flatMap((p) => p.spec.roles));
  expect([...roles].sort()).toEqual(['broker', 'controller']);
  const config = kafka.spec.kafka.config;
  expect(config['min.insync.replicas']).toBeGreaterThanOrEqual(2);
  expect(config['default.replication.factor']).toBeGreaterThan(config['min.insync.replicas']);
  expect(config['auto.create.topics.enable']).toBe(false);
  expect(config['socket.request.max.bytes']).toBeGreaterThan(KAFKA_RESULTS_DEFAULTS.maxMessageBytes);
});

test("the chart's production example points at this cluster's TLS listener, CA and bridge user", () => {
  const [kafka] = byKind('Kafka');
  const name = kafka.metadata.name;
  const listener = kafka.spec.kafka.listeners.find((l: any) => l.tls);
  expect(bridge.brokers).toBe(`${name}-kafka-bootstrap.kafka.svc.cluster.local:${listener.port}`);
  expect(bridge.ssl).toMatchObject({
    enabled: true,
    caSecret: { name: `${name}-cluster-ca-cert`, key: 'ca.crt' },
  });
  const [user] = byKind('KafkaUser');
  expect(user.metadata.labels['strimzi.io/cluster']).toBe(name);
  expect(user.spec.authentication.type).toBe(listener.authentication.type);
  expect(bridge.sasl).toMatchObject({
    enabled: true,
    mechanism: listener.authentication.type,
    // the copy of Strimzi's user Secret (named after the user, holding its password) that
    // deploy/README.md makes in the release's namespace, with the user's name added as `username`
    secret: { name: user.metadata.name, usernameKey: 'username', passwordKey: 'password' },
  });
});

test("the bridge user's ACLs cover the topics it provisions and writes, and idempotent writes", () => {
  const [user] = byKind('KafkaUser');
  const acls: Array<{ resource: any; operations: string[] }> = user.spec.authorization.acls;
  const topics = [bridge.topic?.name ?? KAFKA_DEFAULTS.lifecycleTopic, KAFKA_RESULTS_DEFAULTS.topic];
  expect(topics).toContain(KAFKA_DEFAULTS.lifecycleTopic);
  for (const topic of topics) {
    const acl = acls.find((a) => a.resource.type === 'topic' && a.resource.name === topic);
    expect({ topic, operations: acl?.operations ?? [] }).toEqual({
      topic,
      operations: expect.arrayContaining([
        'Create',
        'Describe',
        'DescribeConfigs',
        'AlterConfigs',
        'Alter',
        'Write',
      ]),
    });
  }
  const cluster = acls.find((a) => a.resource.type === 'cluster');
  expect(cluster?.operations).toContain('IdempotentWrite');
});
