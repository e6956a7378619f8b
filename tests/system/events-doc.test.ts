// docs/events.md matches the wire (issue 15, item 8). The documented source pattern and id
// patterns are read from the doc's "Sources and ids" table at test time, compared with the table
// the publishers use (EVENT_CONTRACTS), and every event a real platform publishes during a
// schedule and a comparison is checked against them: doc, code and wire cannot drift apart.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EVENT_CONTRACTS, EVENT_SOURCE_PATTERN, EVENT_TYPES } from '@fillsched/contracts';
import { ApiClient, waitUntil } from './client';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(180_000);

const DOC = fs.readFileSync(path.resolve(__dirname, '../../docs/events.md'), 'utf8');

interface DocRow {
  type: string;
  publisher: string;
  id: string;
}

/** The rows of the first table under `## Sources and ids`, code spans unwrapped, `\|` unescaped. */
function documentedContracts(): { source: string; rows: DocRow[] } {
  const start = DOC.indexOf('\n## Sources and ids\n');
  if (start < 0) throw new Error('docs/events.md has no "Sources and ids" section');
  const section = DOC.slice(start + 1, DOC.indexOf('\n## ', start + 1));
  const source = /`source` is `([^`]+)`/.exec(section)?.[1] ?? '';
  const cells = (line: string) =>
    line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim().replace(/^`|`$/g, '').replace(/\\\|/g, '|'));
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  expect(cells(lines[0])).toEqual(['type', '<service>', 'id']);
  const rows = lines.slice(2).map((l) => {
    const [type, publisher, id] = cells(l);
    return { type, publisher, id };
  });
  return { source, rows };
}

const PLACEHOLDERS: Record<string, string> = {
  job_id: '(?:schedule\\.\\d+|comparison\\.\\d+\\.[a-z]+(?:-[a-z]+)*)',
  attempt: '[1-9]\\d*',
  seq: '[1-9]\\d*',
  comparison_id: '\\d+',
  schedule_id: '\\d+',
  instance: '[\\w.-]+',
};

/** A documented pattern as an anchored regex; `<service>` is one of the row's publishers. */
function patternRegex(pattern: string, services: string[]): RegExp {
  const body = pattern
    .split(/(<\w+>)/)
    .map((part) => {
      const name = /^<(\w+)>$/.exec(part)?.[1];
      if (!name) return part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      if (name === 'service') return `(?:${services.join('|')})`;
      if (!PLACEHOLDERS[name]) throw new Error(`undocumented placeholder <${name}> in ${pattern}`);
      return PLACEHOLDERS[name];
    })
    .join('');
  return new RegExp(`^${body}$`);
}

describe('docs/events.md matches the events on the wire', () => {
  const doc = documentedContracts();

  test('the doc shows exactly the source pattern and id table the publishers use', () => {
    expect(doc.source).toBe(EVENT_SOURCE_PATTERN);
    expect(doc.rows).toEqual(EVENT_CONTRACTS.map((c) => ({ ...c })));
    expect(doc.rows.map((r) => r.type).sort()).toEqual(Object.values(EVENT_TYPES).sort());
  });

  describe('a real platform', () => {
    let platform: any;
    let nc: NatsConnection;
    const events: Record<string, any>[] = [];
    /** The subject each event id was published on. */
    const subjectOf = new Map<string, string>();

    beforeAll(async () => {
      platform = await startPlatform({ privateNats: true, gatewayPort: 0, solvers: 1, stdio: 'ignore' });
      nc = await connect({ servers: platform.natsUrl, ...platform.natsAdmin });
      // a core subscription sees every message, also those published into JetStream streams
      nc.subscribe('fillsched.>', {
        callback: (err, msg) => {
          if (err) return;
          try {
            const ev = msg.json<Record<string, any>>();
            if (ev && ev.specversion === '1.0') {
              events.push(ev);
              subjectOf.set(ev.id, msg.subject);
            }
          } catch {
            /* RPC payloads that are not JSON objects */
          }
        },
      });
      const api = new ApiClient(platform.gatewayUrl);
      await api.registerAndLogin('events@example.com');
      const lots = [
        { lot_id: 'A', product: 'X', quantity: 1000 },
        { lot_id: 'B', product: 'Y', quantity: 2000 },
      ];
      const sched = await api.request('POST', '/schedule', {
        name: 's',
        lots_data: lots,
        strategy: 'lpt-pack',
      });
      expect(sched.status).toBe(202);
      const cmp = await api.request('POST', '/compare', {
        name: 'c',
        lots_data: lots,
        strategies: ['lpt-pack', 'spt-pack'],
      });
      expect(cmp.status).toBe(202);
      await waitUntil(
        async () =>
          events.some((e) => e.type === EVENT_TYPES.comparisonFinished) &&
          events.some(
            (e) => e.subject === `schedule.${sched.body.id}` && e.type === EVENT_TYPES.solveCompleted,
          ) &&
          // …and the schedule service's own event, published once its store shows the result.
          events.some(
            (e) => e.subject === `schedule.${sched.body.id}` && e.type === EVENT_TYPES.scheduleCompleted,
          ),
        90_000,
        'the schedule completed and the comparison finished',
      );
    });
    afterAll(async () => {
      await nc?.close();
      await platform?.stop();
    });

    test('every published event has a documented source and id', () => {
      const seen = new Set(events.map((e) => e.type));
      for (const t of [
        EVENT_TYPES.solveRequested,
        EVENT_TYPES.solveStarted,
        EVENT_TYPES.solveProgress,
        EVENT_TYPES.solveCompleted,
        EVENT_TYPES.comparisonFinished,
      ])
        expect(seen).toContain(t);
      for (const e of events) {
        const row = doc.rows.find((r) => r.type === e.type);
        expect({ type: e.type, documented: Boolean(row) }).toEqual({ type: e.type, documented: true });
        const services = row!.publisher.split('|').map((s) => s.trim());
        const idOk = patternRegex(row!.id, services).test(e.id);
        const sourceOk = patternRegex(doc.source, services).test(e.source);
        expect({ type: e.type, id: e.id, idOk, source: e.source, sourceOk }).toEqual({
          type: e.type,
          id: e.id,
          idOk: true,
          source: e.source,
          sourceOk: true,
        });
      }
    });

    test('examples/nats-lifecycle-consumer.mjs prints every event once; a second run with its durable resumes', async () => {
      const run = () =>
        new Promise<Array<Record<string, any>>>((resolve, reject) => {
          execFile(
            process.execPath,
            [path.resolve(__dirname, '../../examples/nats-lifecycle-consumer.mjs')],
            {
              env: {
                ...process.env,
                NATS_URL: platform.natsUrl,
                NATS_USER: platform.natsAdmin.user,
                NATS_PASSWORD: platform.natsAdmin.pass,
                DURABLE: 'doc-example',
                EXIT_IDLE_MS: '1500',
              },
              timeout: 60_000,
            },
            (err, stdout, stderr) =>
              err
                ? reject(new Error(`${err.message}\n${stderr}`))
                : resolve(
                    stdout
                      .split('\n')
                      .filter(Boolean)
                      .map((l) => JSON.parse(l)),
                  ),
          );
        });
      const first = await run();
      // every event the platform published on the lifecycle subjects (FILLSCHED_EVENTS), each once
      const lifecycleIds = new Set(
        [...subjectOf].filter(([, subject]) => subject.startsWith('fillsched.events.')).map(([id]) => id),
      );
      const printed = first.map((l) => l.id);
      expect(new Set(printed).size).toBe(printed.length);
      expect([...printed].sort()).toEqual([...lifecycleIds].sort());
      const seqs = first.map((l) => l.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(first.some((l) => l.type === EVENT_TYPES.scheduleCompleted)).toBe(true);
      // the durable lives on the server: nothing new since, so the second run prints nothing
      expect(await run()).toEqual([]);
    });

    test('the instance in the source is the one npm start names the process', () => {
      const instances = new Set(events.map((e) => e.source.split('/').pop()));
      expect([...instances].sort()).toEqual(['comparison', 'schedule', 'solver-1']);
    });
  });
});
