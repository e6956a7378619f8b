// The Helm chart, checked without a cluster: helm lint, helm template (default and production
// values) and deploy/validate (strict Kubernetes 1.37 schemas, CRD schemas, our policies, PromQL).
// helm and the validator are built with Go into the peers cache on the first run (see tools.js).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const { peerUnavailable } = require('../peers/common');
const { ROOT, KUBE_VERSION, deployTools, run } = require('./tools');

type Tools = { helm: string; validate: string; timings: { helmMs: number; validateMs: number } };
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: any };

// jest's per-project testTimeout is not applied; helm and the validator run in spawnSync anyway.
jest.setTimeout(120_000);

const CHART = path.join(ROOT, 'deploy', 'helm', 'fillsched');
const PRODUCTION = path.join(ROOT, 'deploy', 'helm', 'examples', 'production.yaml');
const DASHBOARD = path.join(CHART, 'files', 'dashboard.json');

let tools: Tools | undefined;
let skip = false;
const setupStart = Date.now();
try {
  tools = deployTools();
} catch (err) {
  skip = peerUnavailable('helm/deploy-validate', (err as Error).message);
}
if (tools)
  process.stderr.write(
    `[deploy] tools ready in ${Date.now() - setupStart} ms (helm ${tools.timings.helmMs} ms, validator ${tools.timings.validateMs} ms)\n`,
  );

const d = skip ? describe.skip : describe;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fillsched-deploy-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function timed<T>(what: string, fn: () => T): T {
  const t = Date.now();
  const out = fn();
  process.stderr.write(`[deploy] ${what}: ${Date.now() - t} ms\n`);
  return out;
}

function template(name: string, args: string[] = [], namespace = 'fillsched'): string {
  const res = timed(`helm template ${name}`, () =>
    run(tools!.helm, [
      'template',
      'fs',
      CHART,
      '--namespace',
      namespace,
      '--kube-version',
      KUBE_VERSION,
      ...args,
    ]),
  );
  if (res.status !== 0) throw new Error(`helm template ${name} failed:\n${res.stderr}`);
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, res.stdout);
  return file;
}

function validate(files: string[], extra: string[] = []) {
  const dump = path.join(tmp, `dump-${Math.random().toString(36).slice(2)}.json`);
  const res = timed(`validate ${files.map((f) => path.basename(f)).join(' ')}`, () =>
    run(tools!.validate, ['-dump-json', dump, ...extra, ...files]),
  );
  const objects: K8sObject[] = fs.existsSync(dump) ? JSON.parse(fs.readFileSync(dump, 'utf8')) : [];
  return { ...res, objects, errors: res.stdout.split('\n').filter((l) => l.startsWith('ERROR')) };
}

const find = (objs: K8sObject[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);
const envOf = (dep: K8sObject) =>
  dep.spec.template.spec.containers[0].env as Array<{ name: string; value?: string; valueFrom?: any }>;
const envValue = (dep: K8sObject, name: string) => envOf(dep).find((e) => e.name === name);

/** Metric names the services define (prom-client) — every alert and panel must use one of these. */
function exportedMetricNames(): Set<string> {
  const names = new Set<string>();
  const dirs = ['packages', 'services'].flatMap((top) =>
    fs.readdirSync(path.join(ROOT, top)).map((p) => path.join(ROOT, top, p, 'src')),
  );
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((n) => /^metrics.*\.ts$/.test(n) && !n.endsWith('.test.ts'))) {
      for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/['"]([a-z][a-z0-9_]+)['"]/g))
        names.add(m[1]);
    }
  }
  return names;
}

d('Helm chart (deploy/helm/fillsched)', () => {
  it('passes helm lint --strict with the default and the production values', () => {
    for (const args of [[], ['-f', PRODUCTION]]) {
      const res = timed(`helm lint ${args.length ? 'production' : 'default'}`, () =>
        run(tools!.helm, ['lint', '--strict', '--kube-version', KUBE_VERSION, CHART, ...args]),
      );
      expect({ status: res.status, out: res.stdout + res.stderr }).toMatchObject({ status: 0 });
    }
  });

  it('renders the default values into objects that pass the schema and policy checks', () => {
    const v = validate([template('default')]);
    expect(v.errors).toEqual([]);
    expect(v.status).toBe(0);
    const kinds = v.objects.map((o) => o.kind);
    for (const k of [
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      'NetworkPolicy',
      'HorizontalPodAutoscaler',
      'ScaledObject',
      'ServiceAccount',
    ])
      expect(kinds).toContain(k);
    expect(kinds.filter((k) => k === 'Deployment')).toHaveLength(6);
    // Connection strings only through the Secret; nothing in a ConfigMap.
    for (const dep of v.objects.filter((o) => o.kind === 'Deployment')) {
      expect(envValue(dep, 'NATS_URL')?.valueFrom?.secretKeyRef).toBeDefined();
      // its own NATS user (docs/security.md), the password from the Secret
      const component = dep.metadata.labels['app.kubernetes.io/component'];
      expect(envValue(dep, 'NATS_USER')?.value).toBe(component);
      expect(envValue(dep, 'NATS_PASSWORD')?.valueFrom?.secretKeyRef?.key).toBe(
        `NATS_PASSWORD_${component.toUpperCase()}`,
      );
      expect(envValue(dep, 'OTEL_SDK_DISABLED')?.value).toBe('true'); // tracing is off by default
    }
    const auth = v.objects.find((o) => o.kind === 'Deployment' && /auth$/.test(o.metadata.name));
    for (const name of ['AUTH_PRIVATE_KEY_PEM', 'AUTH_PREVIOUS_KEYS_PEM', 'AUTH_KEY_ENCRYPTION_KEY'])
      expect(envValue(auth, name)?.valueFrom?.secretKeyRef?.key).toBe(name);
    expect(v.objects.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
  });

  it('gives the solver a grace period covering its longest solve and the gateway a preStop pause', () => {
    const v = validate([template('default-grace')]);
    const solver = find(v.objects, 'Deployment', 'fs-fillsched-solver')!;
    const maxSolveS = Number(envValue(solver, 'SOLVER_MAX_TIME_LIMIT_S')!.value);
    const shutdownMs = Number(envValue(solver, 'SHUTDOWN_TIMEOUT_MS')!.value);
    expect(shutdownMs / 1000).toBeGreaterThanOrEqual(maxSolveS);
    // The solver's own shutdown budget is SHUTDOWN_TIMEOUT_MS + 5 s (services/solver/src/main.ts).
    expect(solver.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(shutdownMs / 1000 + 5);
    const gateway = find(v.objects, 'Deployment', 'fs-fillsched-gateway')!;
    const pod = gateway.spec.template.spec;
    const preStop = pod.containers[0].lifecycle.preStop.sleep.seconds;
    expect(preStop).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(
      preStop + Number(envValue(gateway, 'SHUTDOWN_TIMEOUT_MS')!.value) / 1000,
    );
    // Autoscaled Deployments leave replicas to their scaler.
    expect(gateway.spec.replicas).toBeUndefined();
    expect(solver.spec.replicas).toBeUndefined();
  });

  it('points KEDA at the NATS monitoring endpoint of the release namespace (or nats.namespace)', () => {
    const own = validate([template('ns-own', [], 'planning')]);
    const trigger = (objs: K8sObject[]) =>
      find(objs, 'ScaledObject', 'fs-fillsched-solver')!.spec.triggers[0].metadata;
    expect(trigger(own.objects).natsServerMonitoringEndpoint).toBe('nats.planning.svc.cluster.local:8222');
    const otel = ['--set', 'otel.enabled=true', '--set', 'otel.endpoint=http://collector:4318'];
    const perService = ['--set', 'services.auth.otel.enabled=false', ...otel];
    const other = validate([
      template('ns-other', ['--set', 'nats.namespace=messaging', ...perService], 'planning'),
    ]);
    expect(other.errors).toEqual([]);
    // OTEL_* per service: on globally, off for auth.
    const sdkDisabled = (name: string) =>
      envValue(find(other.objects, 'Deployment', `fs-fillsched-${name}`)!, 'OTEL_SDK_DISABLED')?.value;
    expect(sdkDisabled('gateway')).toBe('false');
    expect(sdkDisabled('auth')).toBe('true');
    expect(trigger(other.objects).natsServerMonitoringEndpoint).toBe('nats.messaging.svc.cluster.local:8222');
    expect(trigger(other.objects)).toMatchObject({ stream: 'FILLSCHED_JOBS', consumer: 'solver' });
  });

  it('renders the production values (events bridge, OTel, monitoring) and every PromQL query parses', () => {
    const v = validate([template('production', ['-f', PRODUCTION])], ['-dashboard', DASHBOARD, '-metrics']);
    expect(v.errors).toEqual([]);
    expect(v.status).toBe(0);
    const kinds = new Set(v.objects.map((o) => o.kind));
    for (const k of ['ServiceMonitor', 'PrometheusRule', 'Ingress', 'ConfigMap']) expect(kinds).toContain(k);
    expect(kinds).not.toContain('Secret'); // existingSecret in production
    const bridge = find(v.objects, 'Deployment', 'fs-fillsched-events-bridge')!;
    expect(envValue(bridge, 'KAFKA_BROKERS')?.value).toContain(':9093');
    expect(envValue(bridge, 'KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef?.name).toBe(
      'fillsched-events-bridge',
    );
    expect(envValue(bridge, 'KAFKA_SSL_CA_FILE')?.value).toBe('/etc/kafka-tls/ca.crt');
    expect(envValue(bridge, 'KAFKA_TOPIC_REPLICATION')?.value).toBe('3');
    // Solvers scale on the whole backlog, the per-user consumers of fair scheduling included.
    const triggers = find(v.objects, 'ScaledObject', 'fs-fillsched-solver')!.spec.triggers as Array<{
      type: string;
      metadata: Record<string, string>;
    }>;
    expect(triggers.map((t) => t.type)).toEqual(['nats-jetstream', 'prometheus']);
    expect(triggers[1].metadata.query).toBe(
      'sum(jetstream_consumer_num_pending{stream_name="FILLSCHED_JOBS"})',
    );
    const gateway = find(v.objects, 'Deployment', 'fs-fillsched-gateway')!;
    expect(envValue(gateway, 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value).toMatch(/^http/);
    expect(envValue(gateway, 'NATS_STREAM_REPLICAS')?.value).toBe('3');
    expect(gateway.spec.template.spec.containers[0].image).toMatch(/@sha256:[0-9a-f]{64}$/);

    // Every metric the alerts and the dashboard use is exported: by our services (prom-client),
    // by prom-client's default collectors, by prometheus-nats-exporter (-jsz=all) or by Prometheus.
    const ours = exportedMetricNames();
    const used = v.stdout
      .split('\n')
      .filter((l) => l.startsWith('metric '))
      .map((l) => l.slice('metric '.length));
    expect(used.length).toBeGreaterThan(10);
    const unknown = used.filter((name) => {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      return !(
        ours.has(base) ||
        /^(process|nodejs)_/.test(base) ||
        /^jetstream_/.test(base) ||
        base === 'up'
      );
    });
    expect(unknown).toEqual([]);
    for (const m of [
      'circuit_breaker_state',
      'nats_connected',
      'readiness_check',
      'solver_jobs_processed_total',
      'http_requests_total',
    ])
      expect(used).toContain(m);
  });

  it('renders the events bridge only when enabled: its NATS user, Kafka config, probes, Service and ServiceMonitor', () => {
    const off = validate([template('bridge-off')]);
    expect(off.objects.filter((o) => /events-bridge/.test(o.metadata.name))).toEqual([]);

    const values = path.join(tmp, 'bridge-values.yaml');
    fs.writeFileSync(
      values,
      [
        'eventsBridge:',
        '  enabled: true',
        '  batch: 200',
        '  kafka:',
        "    brokers: 'k-0.kafka:9092,k-1.kafka:9092'",
        '    clientId: planning-bridge',
        '    topic: { name: planning.lifecycle, partitions: 12, replication: 3, retentionMs: -1 }',
        '    ssl: { enabled: true }',
        '    sasl: { enabled: true, mechanism: scram-sha-256, secret: { name: kafka-user } }',
        'metrics:',
        '  serviceMonitor: { enabled: true }',
      ].join('\n'),
    );
    const v = validate([template('bridge-on', ['-f', values])]);
    expect(v.errors).toEqual([]);
    expect(v.status).toBe(0);
    const bridge = find(v.objects, 'Deployment', 'fs-fillsched-events-bridge')!;
    const pod = bridge.spec.template.spec;
    expect(pod.containers[0].command).toEqual(['node', 'services/events-bridge/dist/main.js']);
    // one replica, replaced rather than overlapped on update (per-key order, docs/events.md)
    expect(bridge.spec.replicas).toBe(1);
    expect(bridge.spec.strategy).toEqual({ type: 'Recreate' });
    // its own NATS user, the password from the Secret like every service's
    expect(envValue(bridge, 'NATS_USER')?.value).toBe('events-bridge');
    expect(envValue(bridge, 'NATS_PASSWORD')?.valueFrom?.secretKeyRef?.key).toBe(
      'NATS_PASSWORD_EVENTS_BRIDGE',
    );
    expect(envValue(bridge, 'NATS_URL')?.valueFrom?.secretKeyRef?.key).toBe('NATS_URL');
    expect(envValue(bridge, 'MONGO_URL')).toBeUndefined();
    const plain = Object.fromEntries(
      envOf(bridge)
        .filter((e) => /^(KAFKA|BRIDGE)_/.test(e.name) && e.value !== undefined)
        .map((e) => [e.name, e.value]),
    );
    expect(plain).toEqual({
      KAFKA_BROKERS: 'k-0.kafka:9092,k-1.kafka:9092',
      KAFKA_CLIENT_ID: 'planning-bridge',
      KAFKA_LIFECYCLE_TOPIC: 'planning.lifecycle',
      KAFKA_TOPIC_PARTITIONS: '12',
      KAFKA_TOPIC_REPLICATION: '3',
      KAFKA_TOPIC_RETENTION_MS: '-1',
      KAFKA_IDEMPOTENT: 'true',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      BRIDGE_BATCH: '200',
      KAFKA_RESULTS_ENABLED: 'true',
      KAFKA_RESULTS_TOPIC: 'fillsched.results',
      KAFKA_RESULTS_MAX_BYTES: '16777216',
      KAFKA_RESULTS_RETENTION_MS: '-1',
    });
    // the service's own config accepts every value the chart renders
    const { bridgeEnvSchema } = require('../../services/events-bridge/src/config');
    const parsed = bridgeEnvSchema.safeParse({
      ...plain,
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    expect(parsed.error?.issues ?? []).toEqual([]);
    // the chart's defaults too: large numbers render as integers, never as 2.592e+09
    const defaults = validate([template('bridge-defaults', ['--set', 'eventsBridge.enabled=true'])]);
    const dflt = find(defaults.objects, 'Deployment', 'fs-fillsched-events-bridge')!;
    const dfltPlain = Object.fromEntries(
      envOf(dflt)
        .filter((e) => /^(KAFKA|BRIDGE)_/.test(e.name) && e.value !== undefined)
        .map((e) => [e.name, e.value]),
    );
    expect(dfltPlain.KAFKA_TOPIC_RETENTION_MS).toBe('2592000000');
    expect(bridgeEnvSchema.safeParse(dfltPlain).error?.issues ?? []).toEqual([]);
    // SSL without a CA Secret: the system CAs, nothing mounted
    expect(envValue(bridge, 'KAFKA_SSL_CA_FILE')).toBeUndefined();
    expect(envValue(bridge, 'KAFKA_SASL_USERNAME')?.valueFrom?.secretKeyRef).toEqual({
      name: 'kafka-user',
      key: 'username',
    });
    // ready only while Kafka answers: the readiness probe is the bridge's /readyz
    expect(pod.containers[0].readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' });
    // scraped: its Service carries the ops port and the label the ServiceMonitor selects
    const svc = find(v.objects, 'Service', 'fs-fillsched-events-bridge')!;
    expect(svc.metadata.labels['fillsched.io/metrics']).toBe('true');
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'ops', targetPort: 'ops' })]);
    const sm = v.objects.find((o) => o.kind === 'ServiceMonitor')!;
    expect(sm.spec.selector.matchLabels['fillsched.io/metrics']).toBe('true');
    expect(find(v.objects, 'PodDisruptionBudget', 'fs-fillsched-events-bridge')).toBeDefined();
    expect(find(v.objects, 'NetworkPolicy', 'fs-fillsched-egress-kafka')).toBeDefined();
  });

  it('refuses a second bridge replica unless interleaving is accepted explicitly', () => {
    const two = run(tools!.helm, [
      'template',
      'fs',
      CHART,
      '--kube-version',
      KUBE_VERSION,
      '--set',
      'eventsBridge.enabled=true',
      '--set',
      'eventsBridge.replicas=2',
    ]);
    expect(two.status).not.toBe(0);
    expect(two.stderr).toContain('eventsBridge.replicas > 1 lets two bridges interleave');
    const v = validate([
      template('bridge-two', [
        '--set',
        'eventsBridge.enabled=true',
        '--set',
        'eventsBridge.replicas=2',
        '--set',
        'eventsBridge.allowInterleavingReplicas=true',
      ]),
    ]);
    expect(v.errors).toEqual([]);
    expect(find(v.objects, 'Deployment', 'fs-fillsched-events-bridge')!.spec.replicas).toBe(2);
  });

  it('documents every alert of the PrometheusRule in docs/operations.md', () => {
    const v = validate([template('alerts', ['-f', PRODUCTION])]);
    const rule = v.objects.find((o) => o.kind === 'PrometheusRule')!;
    const alerts: string[] = rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert));
    const runbook = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
    for (const a of alerts) expect(runbook).toContain(`### ${a}`);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
  });
});

d('deploy/validate rejects what a reviewer would', () => {
  it('rejects values that weaken the pod security, drop limits or probes', () => {
    const bad = path.join(tmp, 'insecure-values.yaml');
    fs.writeFileSync(
      bad,
      [
        'containerSecurityContext: { runAsNonRoot: false, readOnlyRootFilesystem: false, allowPrivilegeEscalation: true, capabilities: { drop: [] }, seccompProfile: { type: Unconfined } }',
        'podSecurityContext: { runAsNonRoot: false, runAsUser: 0 }',
        'serviceAccount: { create: false, name: default }',
        'services:',
        '  auth: { resources: { limits: null } }',
        'networkPolicy:',
        '  metricsFrom: []',
      ].join('\n'),
    );
    const v = validate([template('insecure', ['-f', bad])]);
    expect(v.status).toBe(1);
    const text = v.errors.join('\n');
    for (const needle of [
      'runAsNonRoot must be true',
      'readOnlyRootFilesystem must be true',
      'allowPrivilegeEscalation must be false',
      'capabilities.drop must contain ALL',
      'seccompProfile.type must be RuntimeDefault',
      'runAsUser 0 is root',
      "runs as the namespace's default ServiceAccount",
      'container auth: resources.limits.memory is required',
      'container auth: resources.limits.cpu is required',
    ])
      expect(text).toContain(needle);
  });

  it('rejects unknown fields, wrong types, unserved APIs, bad CRDs, bad PromQL and literal credentials', () => {
    const file = path.join(tmp, 'broken.yaml');
    fs.writeFileSync(
      file,
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: typo }
spec:
  replicas: two
  selector: { matchLabels: { app: x } }
  template:
    metadata: { labels: { app: x } }
    spec:
      containers: [{ name: x, image: "x:1", imagePullPolicy: Always }]
---
apiVersion: v1
kind: Service
metadata: { name: typo }
spec: { selector: { app: x }, portz: [] }
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: { name: removed-api }
spec: { maxUnavailable: 1 }
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: so }
spec:
  scaleTargetRef: { name: nowhere }
  maxReplicaCount: many
  pollingIntervall: 5
  triggers: [{ type: nats-jetstream, metadata: { natsServerMonitoringEndpoint: "nats:8222", stream: S } }]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: { name: rules }
spec:
  groups:
    - name: g
      rules:
        - alert: Broken
          expr: sum(rate(http_requests_total[5m]) > 
          labels: { severity: page }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: env }
data: { MONGO_URL: "mongodb://user:pw@mongo/" }
`,
    );
    const v = validate([file]);
    expect(v.status).toBe(1);
    const text = v.errors.join('\n');
    expect(text).toMatch(/replicas of type int32/);
    expect(text).toMatch(/unknown field "spec.portz"/);
    expect(text).toMatch(
      /policy\/v1beta1, Kind=PodDisruptionBudget is not served by Kubernetes 1\.37 \(removed in 1\.25\)/,
    );
    expect(text).toMatch(/ScaledObject so\).*maxReplicaCount/);
    expect(text).toMatch(/unknown field "spec.pollingIntervall"/);
    expect(text).toMatch(/nats-jetstream trigger needs metadata.consumer/);
    expect(text).toMatch(/natsServerMonitoringEndpoint "nats:8222" must be host:port with the namespace/);
    expect(text).toMatch(/rule Broken: expr does not parse/);
    expect(text).toMatch(/labels.severity must be critical, warning or info/);
    expect(text).toMatch(/annotations.runbook_url is required/);
    expect(text).toMatch(/ConfigMap\/env: key MONGO_URL looks like a credential/);
  });

  it('lets helm refuse an image tagged latest and a release without connection secrets', () => {
    const latest = run(tools!.helm, [
      'template',
      'fs',
      CHART,
      '--kube-version',
      KUBE_VERSION,
      '--set',
      'image.tag=latest',
    ]);
    expect(latest.status).not.toBe(0);
    expect(latest.stderr).toContain('image.tag must be a version, not latest');
    const noSecret = run(tools!.helm, [
      'template',
      'fs',
      CHART,
      '--kube-version',
      KUBE_VERSION,
      '--set',
      'secrets.create=false',
    ]);
    expect(noSecret.status).not.toBe(0);
    expect(noSecret.stderr).toContain('set secrets.existingSecret');
  });
});
