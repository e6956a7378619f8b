#!/usr/bin/env node
// Inspect and replay dead-lettered solve jobs (the FILLSCHED_DEAD_LETTER stream; see
// docs/operations.md "Dead-lettered jobs"). Needs the built contracts (npm run build; the
// production image has them) and NATS_URL (default nats://127.0.0.1:4222); on a NATS with
// authorization NATS_USER/NATS_PASSWORD: `list`/`show` work as the solver user, `replay` needs a
// user that may publish fillsched.jobs.solve and delete dead letters (`admin`; docs/security.md).
//
//   node scripts/dead-letters.js list [--limit N]          one JSON line per dead letter
//   node scripts/dead-letters.js show <seq>                 headers and the job payload
//   node scripts/dead-letters.js replay <seq>... [--delete] back onto the work queue
//   node scripts/dead-letters.js replay --all [--delete]
//
// A replay publishes the original job message again (msgID "replay:<seq>", so running the same
// replay twice within the jobs stream's 10-minute duplicate window queues it once) and, with
// --delete, removes the dead letter once the jobs stream has acknowledged the copy.
'use strict';
const { connect, headers: natsHeaders } = require('@nats-io/transport-node');
const { jetstream, jetstreamManager } = require('@nats-io/jetstream');

let contracts;
try {
  contracts = require('@fillsched/contracts');
} catch (err) {
  process.stderr.write(
    `dead-letters: cannot load @fillsched/contracts (run "npm run build" first): ${err.message}\n`,
  );
  process.exit(2);
}
const { DEAD_LETTER_STREAM, JOBS_SUBJECT, userOfJobsSubject } = contracts;

// Headers the solver puts on a dead-letter copy (services/solver/src/app.ts DLQ_HEADERS).
const H = {
  reason: 'Fillsched-Dead-Letter-Reason',
  subject: 'Fillsched-Original-Subject',
  deliveries: 'Fillsched-Deliveries',
  jobId: 'Fillsched-Job-Id',
};

function summary(m) {
  const h = m.header;
  const get = (k) => (h && h.has(k) ? h.get(k) : undefined);
  return {
    seq: m.seq,
    time: m.time.toISOString(),
    job_id: get(H.jobId) ?? null,
    reason: get(H.reason) ?? null,
    deliveries: get(H.deliveries) !== undefined ? Number(get(H.deliveries)) : null,
    original_subject: get(H.subject) ?? JOBS_SUBJECT,
    bytes: m.data.length,
  };
}

async function* deadLetters(jsm, limit = Infinity) {
  const info = await jsm.streams.info(DEAD_LETTER_STREAM);
  if (info.state.messages === 0) return; // empty: first_seq 0 is not a message ("bad request")
  let n = 0;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && n < limit; seq++) {
    const m = await getMessage(jsm, seq);
    if (!m) continue; // deleted (replayed with --delete, or removed by an operator)
    n++;
    yield m;
  }
}

async function getMessage(jsm, seq) {
  try {
    return await jsm.streams.getMessage(DEAD_LETTER_STREAM, { seq });
  } catch (err) {
    if (/no message found|not found/i.test(err.message)) return null;
    throw err;
  }
}

async function replay(nc, jsm, seqs, { del = false } = {}) {
  const js = jetstream(nc);
  const out = [];
  for (const seq of seqs) {
    const m = await getMessage(jsm, seq);
    if (!m) {
      out.push({ seq, replayed: false, error: 'no such dead letter' });
      continue;
    }
    const s = summary(m);
    // Only solve jobs are dead-lettered; refuse anything else rather than publish it somewhere.
    // Per-user subjects (fair scheduling) are replayed to the same user's subject.
    if (s.original_subject !== JOBS_SUBJECT && userOfJobsSubject(s.original_subject) === null) {
      out.push({
        seq,
        replayed: false,
        error: `original subject ${s.original_subject} is not ${JOBS_SUBJECT} or ${JOBS_SUBJECT}.u<user id>`,
      });
      continue;
    }
    const h = natsHeaders();
    if (m.header)
      for (const [k, values] of m.header) {
        if (Object.values(H).includes(k) || k === 'Nats-Msg-Id') continue;
        for (const v of values) h.append(k, v);
      }
    h.set('Fillsched-Replay-Of', String(seq));
    const ack = await js.publish(s.original_subject, m.data, { msgID: `replay:${seq}`, headers: h });
    let deleted = false;
    if (del) deleted = await jsm.streams.deleteMessage(DEAD_LETTER_STREAM, seq);
    out.push({ seq, job_id: s.job_id, replayed: true, duplicate: ack.duplicate, jobs_seq: ack.seq, deleted });
  }
  return out;
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const args = rest.filter((a) => !a.startsWith('--'));
  if (!['list', 'show', 'replay'].includes(cmd)) {
    process.stderr.write(
      'usage: dead-letters.js list [--limit N] | show <seq> | replay <seq>...|--all [--delete]\n',
    );
    return 2;
  }
  const limitIdx = rest.indexOf('--limit');
  const limit = limitIdx >= 0 ? Number(rest[limitIdx + 1]) : Infinity;
  const servers = (process.env.NATS_URL || 'nats://127.0.0.1:4222').split(',').map((s) => s.trim());
  // a service user reads only its own inbox (_INBOX.<user>), as the services do
  const user = process.env.NATS_USER;
  const creds = user ? { user, pass: process.env.NATS_PASSWORD, inboxPrefix: `_INBOX.${user}` } : {};
  const nc = await connect({ servers, name: 'dead-letters-cli', timeout: 5000, ...creds });
  try {
    const jsm = await jetstreamManager(nc);
    const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
    if (cmd === 'list') {
      for await (const m of deadLetters(jsm, limit)) print(summary(m));
    } else if (cmd === 'show') {
      const m = await getMessage(jsm, Number(args[0]));
      if (!m) {
        process.stderr.write(`no dead letter with seq ${args[0]}\n`);
        return 1;
      }
      const headers = {};
      if (m.header) for (const [k, v] of m.header) headers[k] = v.length === 1 ? v[0] : v;
      let payload = Buffer.from(m.data).toString('utf8');
      try {
        payload = JSON.parse(payload);
      } catch {
        /* not JSON (a poison message): print the text */
      }
      print({ ...summary(m), headers, payload });
    } else {
      let seqs = args.filter((a) => a !== String(limit)).map(Number);
      if (flags.has('--all')) {
        seqs = [];
        for await (const m of deadLetters(jsm)) seqs.push(m.seq);
      }
      if (seqs.length === 0 || seqs.some((s) => !Number.isInteger(s) || s < 1)) {
        process.stderr.write('replay: give dead-letter sequence numbers (from "list") or --all\n');
        return 2;
      }
      const results = await replay(nc, jsm, seqs, { del: flags.has('--delete') });
      results.forEach(print);
      if (results.some((r) => !r.replayed)) return 1;
    }
    return 0;
  } finally {
    await nc.drain();
  }
}

if (require.main === module)
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`dead-letters: ${err.message}\n`);
      process.exit(1);
    },
  );

module.exports = { main };
