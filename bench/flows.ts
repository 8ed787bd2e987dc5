/**
 * Flows at volume (issue 17's figures), on SQLite:
 *
 * 1. 10,000 concurrent runs waiting on timers and replies, in `tern serve` (the build in dist/,
 *    a child process; the simulator in another). Half follow a timer flow (wait → send → wait →
 *    send), half a reply flow (send → wait for a reply with a deadline → branch → send); half of
 *    those reply, through the credential's inbound webhook, while the rest time out. Step latency
 *    is read from each run's timeline in the database: a step that ends a wait counts from the
 *    wait's deadline (the waiting note's time plus the wait), a reply from the moment the webhook
 *    answered 200. The aim: p99 ≤ 1 s.
 * 2. While the timer flow's second wave of timers fires, `tern serve` is killed with SIGKILL and
 *    started again on the same database. At the end every run is counted exactly from the
 *    database: each step's note once (none missed, none doubled), two sends a run, two messages
 *    to each number, and the simulator's count and duplicates.
 * 3. Inbound webhook throughput with 100 active flows (keyword-triggered, each waiting for a
 *    reply; the flow runner on) against the same server without flows, in the same run, with the
 *    same texts (bench/inbound-throughput.ts). The aim: ≥ 0.8×.
 *
 *   npx tsx bench/flows.ts [--runs 10000] [--wait 120] [--inbound-seconds 10] [--no-inbound]
 *                          [--docs]
 *
 * `--docs` writes this benchmark's section of docs/benchmarks.md (between its markers) only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import * as prettier from 'prettier';
import { inboundThroughput, type Automations, type InboundFigures } from './inbound-throughput.js';
import { closedLoop, percentile, poolFor, post } from './lib/load.js';
import { commitMeasured } from './lib/machine.js';
import { count, progress } from './lib/progress.js';
import { isMain } from './lib/script.js';
import { simulatorState, startStack, type Stack } from './lib/stack.js';

export interface FlowsOptions {
  /** Concurrent runs (half on the timer flow, half on the reply flow). */
  runs: number;
  /** Each wait of the timer flow, seconds (the reply flow waits 1.5× for its reply). */
  waitSeconds: number;
  /** Inbound comparison: seconds per measurement; null skips it. */
  inboundSeconds: number | null;
}

/** Latencies in milliseconds. */
export interface Latency {
  steps: number;
  p50: number;
  p99: number;
  max: number;
}

export interface FlowsFigures {
  runs: number;
  waitSeconds: number;
  /** Seconds to start every run through POST /v1/flow-events. */
  startSeconds: number;
  /** Active runs right after the last start (all of them waiting). */
  concurrent: number;
  /** Timer steps due while Tern was up (first wave, the reply flow's deadlines). */
  timers: Latency;
  replies: Latency;
  /** The second wave, across the kill (steps due while Tern was down count from their due time). */
  acrossKill: Latency;
  /** Seconds from SIGKILL until `tern serve` answered again. */
  downSeconds: number;
  /** Steps due before the kill that were not yet taken when it came. */
  dueAtKill: number;
  /** Steps that came due while Tern was down (between the SIGKILL and the restart). */
  dueWhileDown: number;
  audit: Audit;
  /**
   * Inbound webhooks without flows; with 100 active flows no text triggers and 10,000 runs of
   * other numbers waiting for replies (`idle`); with 100 active flows on the texted keywords
   * (`texted`). Means over `rounds` measurements of each.
   */
  inbound: {
    without: InboundFigures;
    idle: InboundFigures;
    texted: InboundFigures;
    flows: number;
    waitingRuns: number;
    rounds: number;
  } | null;
  run: { startedAt: string; commit: string; loadAverage: number; command: string };
}

/** What the database and the simulator hold at the end. */
export interface Audit {
  runs: number;
  ended: number;
  /** Runs whose end is not the expected `completed`. */
  endedOtherwise: number;
  /** Expected timeline notes that are missing, and notes found more than once. */
  missedSteps: number;
  doubledSteps: number;
  /** Send notes, messages queued for the runs' numbers, and at the provider. */
  sendNotes: number;
  messages: number;
  expectedSends: number;
  provider: number;
  providerDuplicates: number;
}

const INBOUND_NUMBER = '447860099555';
/** Inbound comparison: custom keywords texted, flows, runs of other numbers waiting. */
const INBOUND_KEYWORDS = 100;
const INBOUND_FLOWS = 100;
const INBOUND_WAITING_RUNS = 10_000;
type InboundKind = 'without' | 'idle' | 'texted';
const TIMER_EVENT = 'bench.timer';
const REPLY_EVENT = 'bench.reply';

/** Run `i`'s number: UK mobiles, which no shipped send-time rule holds at night. */
const phoneOf = (i: number) => `+447700${String(100_000 + i).padStart(6, '0')}`;

function latencyOf(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    steps: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
  };
}

/** The mean of several measurements of one server (throughput and latency figures). */
function meanOf(runs: InboundFigures[]): InboundFigures {
  const first = runs[0];
  if (!first) throw new Error('no measurement');
  const mean = (pick: (f: InboundFigures) => number) =>
    runs.reduce((sum, f) => sum + pick(f), 0) / runs.length;
  const cpu = runs.map((f) => f.tern.cpuMicrosPerRequest);
  const tern = {
    requestsPerSecond: mean((f) => f.tern.requestsPerSecond),
    cpuMicrosPerRequest: cpu.every((c) => c !== null)
      ? cpu.reduce((sum, c) => sum + c, 0) / cpu.length
      : null,
    latency: {
      p50: mean((f) => f.tern.latency.p50),
      p99: mean((f) => f.tern.latency.p99),
      max: Math.max(...runs.map((f) => f.tern.latency.max)),
      errors: runs.reduce((sum, f) => sum + f.tern.latency.errors, 0),
      sent: runs.reduce((sum, f) => sum + f.tern.latency.sent, 0),
    },
  };
  return { ...first, bare: tern, tern };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** One Infobip MO text, as the simulator forwards it. */
function moBody(from: string, text: string, id: string): string {
  return JSON.stringify({
    results: [
      {
        messageId: id,
        from,
        to: INBOUND_NUMBER,
        text,
        cleanText: text,
        keyword: text.split(' ')[0]?.toUpperCase() ?? '',
        receivedAt: new Date().toISOString().replace('Z', '+0000'),
        smsCount: 1,
        price: { pricePerMessage: 0, currency: 'EUR' },
      },
    ],
    messageCount: 1,
    pendingMessageCount: 0,
  });
}

interface Setup {
  timerFlowId: string;
  replyFlowId: string;
  inboundPath: string;
}

async function configure(stack: Stack, options: FlowsOptions): Promise<Setup> {
  const credential = await stack.api<{ webhooks: { inbound: { url: string } } }>(
    'PATCH',
    `/api/v1/credentials/${stack.credentialId}`,
    { inboundNumber: `+${INBOUND_NUMBER}` },
  );
  const channel = await stack.api<{ id: string }>('POST', '/api/v1/channel-configurations', {
    name: 'bench-flows',
    credentialId: stack.credentialId,
    sender: 'TERN',
    messageType: 'transactional',
  });
  const template = async (name: string, body: string) =>
    (
      await stack.api<{ id: string }>('POST', '/api/v1/templates', {
        name,
        body,
        messageType: 'transactional',
      })
    ).id;
  const first = await template('bench-first', 'Your order has shipped.');
  const second = await template('bench-second', 'Your order arrives today.');
  const prompt = await template('bench-prompt', 'Was your delivery on time? Reply with a word.');
  const thanks = await template('bench-thanks', 'Thanks for telling us.');
  const reminder = await template('bench-reminder', 'We would still like to hear from you.');
  const settings = { oneRunPerPerson: true, maxSendsPerRun: 5, maxSendsPerDay: 5 };
  const flow = async (name: string, event: string, steps: unknown[]) =>
    (
      await stack.api<{ id: string }>('POST', '/api/v1/flows', {
        name,
        status: 'active',
        definition: {
          trigger: { type: 'api_event', event },
          channelConfigurationId: channel.id,
          settings,
          steps,
        },
      })
    ).id;
  const w = options.waitSeconds;
  const timerFlowId = await flow('bench timers', TIMER_EVENT, [
    { id: 'wait1', type: 'wait', seconds: w },
    { id: 'send1', type: 'send', templateId: first },
    { id: 'wait2', type: 'wait', seconds: w },
    { id: 'send2', type: 'send', templateId: second },
  ]);
  const replyFlowId = await flow('bench replies', REPLY_EVENT, [
    { id: 'ask', type: 'send', templateId: prompt },
    { id: 'listen', type: 'wait', seconds: Math.round(w * 1.5), untilReply: true },
    {
      id: 'route',
      type: 'branch',
      cases: [{ match: { any: true }, goto: 'thanks' }],
      noReply: 'remind',
    },
    { id: 'thanks', type: 'send', templateId: thanks, next: 'done' },
    { id: 'remind', type: 'send', templateId: reminder },
    { id: 'done', type: 'end' },
  ]);
  return {
    timerFlowId,
    replyFlowId,
    inboundPath: new URL(credential.webhooks.inbound.url).pathname,
  };
}

/** The timeline notes each kind of run must have exactly once, by `step:kind`. */
const EXPECTED: Record<'timer' | 'replied' | 'silent', string[]> = {
  timer: [
    'wait1:waiting',
    'wait1:timed_out',
    'send1:sent',
    'wait2:waiting',
    'wait2:timed_out',
    'send2:sent',
  ],
  replied: ['ask:sent', 'listen:waiting', 'listen:replied', 'route:branched', 'thanks:sent'],
  silent: ['ask:sent', 'listen:waiting', 'listen:timed_out', 'route:branched', 'remind:sent'],
};

interface Measured {
  timers: number[];
  replies: number[];
  acrossKill: number[];
  dueAtKill: number;
  dueWhileDown: number;
  audit: Omit<Audit, 'provider' | 'providerDuplicates'>;
}

/** Reads the runs and their timelines from the SQLite file (Tern stopped). */
function measure(
  file: string,
  setup: Setup,
  options: FlowsOptions,
  replyAnsweredAt: Map<string, number>,
  killAt: number,
  upAgainAt: number,
  timeScale: number,
): Measured {
  const db = new Database(file, { readonly: true });
  try {
    const runs = db
      .prepare('select id, flow_id, phone, status, end_reason from flow_runs')
      .all() as {
      id: string;
      flow_id: string;
      phone: string;
      status: string;
      end_reason: string | null;
    }[];
    const events = db
      .prepare('select run_id, step_id, kind, at from flow_run_events order by run_id')
      .all() as { run_id: string; step_id: string | null; kind: string; at: string }[];
    const byRun = new Map<string, { step_id: string | null; kind: string; at: string }[]>();
    for (const e of events) {
      const list = byRun.get(e.run_id) ?? [];
      list.push(e);
      byRun.set(e.run_id, list);
    }
    const waitMs = (seconds: number) => Math.ceil((seconds * 1000) / timeScale);
    const timers: number[] = [];
    const replies: number[] = [];
    const acrossKill: number[] = [];
    let dueAtKill = 0;
    let dueWhileDown = 0;
    let missedSteps = 0;
    let doubledSteps = 0;
    let sendNotes = 0;
    let endedOtherwise = 0;
    let ended = 0;
    for (const run of runs) {
      const notes = byRun.get(run.id) ?? [];
      const seen = new Map<string, { at: string }[]>();
      for (const n of notes) {
        const key = `${n.step_id ?? ''}:${n.kind}`;
        seen.set(key, [...(seen.get(key) ?? []), n]);
        if (n.kind === 'sent') sendNotes++;
      }
      const kind =
        run.flow_id === setup.timerFlowId
          ? 'timer'
          : seen.has('listen:replied')
            ? 'replied'
            : 'silent';
      for (const key of EXPECTED[kind]) {
        const found = seen.get(key)?.length ?? 0;
        if (found === 0) missedSteps++;
        if (found > 1) doubledSteps += found - 1;
      }
      if (run.status === 'ended') ended++;
      // The timer flow ends after its last step, the reply flow on its `end` step.
      const expectedEnd = kind === 'timer' ? 'completed' : 'end_step';
      if (run.status !== 'ended' || run.end_reason !== expectedEnd) endedOtherwise++;
      const at = (key: string) => {
        const note = seen.get(key)?.[0];
        return note ? Date.parse(note.at) : NaN;
      };
      const waited = (step: string, seconds: number, into: number[] | 'wave2') => {
        const due = at(`${step}:waiting`) + waitMs(seconds);
        const took = at(`${step}:timed_out`);
        if (!Number.isFinite(due) || !Number.isFinite(took)) return;
        if (into === 'wave2') {
          acrossKill.push(took - due);
          if (due < killAt && took > killAt) dueAtKill++;
          if (due >= killAt && due <= upAgainAt) dueWhileDown++;
        } else if (due < killAt) into.push(took - due);
        else acrossKill.push(took - due);
      };
      if (kind === 'timer') {
        waited('wait1', options.waitSeconds, timers);
        waited('wait2', options.waitSeconds, 'wave2');
      } else if (kind === 'silent') {
        waited('listen', Math.round(options.waitSeconds * 1.5), timers);
      } else {
        const answered = replyAnsweredAt.get(run.phone);
        const took = at('listen:replied');
        if (answered !== undefined && Number.isFinite(took)) replies.push(took - answered);
      }
    }
    const messages = (
      db
        .prepare(
          `select count(*) as n from messages where to_number in (select phone from flow_runs)`,
        )
        .get() as { n: number }
    ).n;
    return {
      timers,
      replies,
      acrossKill,
      dueAtKill,
      dueWhileDown,
      audit: {
        runs: runs.length,
        ended,
        endedOtherwise,
        missedSteps,
        doubledSteps,
        sendNotes,
        messages,
        expectedSends: runs.length * 2,
      },
    };
  } finally {
    db.close();
  }
}

async function activeRuns(stack: Stack, flowIds: string[]): Promise<number> {
  let total = 0;
  for (const id of flowIds)
    total += (await stack.api<{ activeRuns: number }>('GET', `/api/v1/flows/${id}`)).activeRuns;
  return total;
}

/** Parts 1 and 2: the runs, the kill, the counts. */
async function runsAndKill(options: FlowsOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-flows-'));
  const file = join(dir, 'tern.db');
  const timeScale = 1;
  const stack = await startStack(file, { TERN_FLOW_TIME_SCALE: String(timeScale) });
  try {
    const setup = await configure(stack, options);
    const flowIds = [setup.timerFlowId, setup.replyFlowId];
    progress.step(`starting ${count(options.runs)} runs through POST /v1/flow-events`);
    const t0 = performance.now();
    const startedAt = Date.now();
    await closedLoop({
      concurrency: 16,
      count: options.runs,
      task: async (i) => {
        await stack.api('POST', '/api/v1/flow-events', {
          event: i % 2 === 0 ? TIMER_EVENT : REPLY_EVENT,
          phone: phoneOf(i),
        });
      },
      onProgress: (n) => progress.timed(n, options.runs, `${count(n)} started`),
    });
    const startSeconds = (performance.now() - t0) / 1000;
    const concurrent = await activeRuns(stack, flowIds);
    progress.result(`${count(concurrent)} active after ${startSeconds.toFixed(1)} s`);

    // Half the reply runs answer once every run has started (and before the first deadline).
    const w = options.waitSeconds * 1000;
    await sleep(Math.max(0, startedAt + w / 2 - Date.now(), 2000));
    progress.step('replies from half the reply runs, through the inbound webhook');
    const replyAnsweredAt = new Map<string, number>();
    const repliers = Array.from({ length: options.runs }, (_, i) => i).filter((i) => i % 4 === 1);
    const pool = poolFor(stack.tern.url, 8);
    try {
      await closedLoop({
        concurrency: 8,
        count: repliers.length,
        task: async (k) => {
          const phone = phoneOf(repliers[k] ?? 0);
          await post(pool, setup.inboundPath, moBody(phone.slice(1), 'on time thanks', `r-${k}`));
          replyAnsweredAt.set(phone, Date.now());
        },
      });
    } finally {
      await pool.close();
    }

    // The second wave of timers begins 2w after the first start: kill a third into it.
    const killAt = startedAt + 2 * w + (startSeconds * 1000) / 3;
    progress.step(
      `waiting for the second wave of timers (SIGKILL in ${((killAt - Date.now()) / 1000).toFixed(0)} s)`,
    );
    await sleep(Math.max(0, killAt - Date.now()));
    const killedAt = Date.now();
    await stack.tern.stop('SIGKILL');
    await stack.stopTern();
    await stack.startTern();
    const downSeconds = (Date.now() - killedAt) / 1000;
    progress.result(`SIGKILL; tern serve answered again after ${downSeconds.toFixed(1)} s`);

    progress.step('waiting for every run to end');
    const deadline = Date.now() + 10 * w + 120_000;
    for (;;) {
      const active = await activeRuns(stack, flowIds);
      progress.timed(options.runs - active, options.runs, `${count(active)} active`);
      if (active === 0) break;
      if (Date.now() > deadline) throw new Error(`${active} runs still active`);
      await sleep(1000);
    }
    // The last sends reach the provider.
    const expected = options.runs * 2;
    for (let waited = 0; waited < 60_000; waited += 500) {
      if ((await simulatorState(stack)).messages >= expected) break;
      await sleep(500);
    }
    await sleep(2000);
    const sim = await simulatorState(stack);
    await stack.stopTern();
    const measured = measure(
      file,
      setup,
      options,
      replyAnsweredAt,
      killedAt,
      killedAt + downSeconds * 1000,
      timeScale,
    );
    return {
      startSeconds,
      concurrent,
      downSeconds,
      ...measured,
      audit: { ...measured.audit, provider: sim.messages, providerDuplicates: sim.duplicateCount },
    };
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark (SQLite). */
export async function flowsBenchmark(options: FlowsOptions): Promise<FlowsFigures> {
  const startedAt = new Date().toISOString();
  const loadAverage = os.loadavg()[0] ?? 0;
  progress.benchmark(`Flows: ${count(options.runs)} concurrent runs, SIGKILL, SQLite`);
  const part = await runsAndKill(options);
  let inbound: FlowsFigures['inbound'] = null;
  if (options.inboundSeconds !== null) {
    // Mirrored order (a machine whose load drifts during the run moves every server alike).
    const common = { seconds: options.inboundSeconds, connections: 50, rate: 500, only: 'tern' };
    const automations = (kind: InboundKind): Automations => ({
      keywords: INBOUND_KEYWORDS,
      flows: kind === 'without' ? 0 : INBOUND_FLOWS,
      flowsOn: kind === 'texted' ? 'texted' : 'idle',
      waitingRuns: kind === 'idle' ? INBOUND_WAITING_RUNS : 0,
    });
    const measured: Record<InboundKind, InboundFigures[]> = { without: [], idle: [], texted: [] };
    for (const kind of ['without', 'idle', 'texted', 'texted', 'idle', 'without'] as const)
      measured[kind].push(
        await inboundThroughput({ ...common, only: 'tern', automations: automations(kind) }),
      );
    inbound = {
      without: meanOf(measured.without),
      idle: meanOf(measured.idle),
      texted: meanOf(measured.texted),
      flows: INBOUND_FLOWS,
      waitingRuns: INBOUND_WAITING_RUNS,
      rounds: measured.without.length,
    };
  }
  return {
    runs: options.runs,
    waitSeconds: options.waitSeconds,
    startSeconds: part.startSeconds,
    concurrent: part.concurrent,
    timers: latencyOf(part.timers),
    replies: latencyOf(part.replies),
    acrossKill: latencyOf(part.acrossKill),
    downSeconds: part.downSeconds,
    dueAtKill: part.dueAtKill,
    dueWhileDown: part.dueWhileDown,
    audit: part.audit,
    inbound,
    run: {
      startedAt,
      commit: commitMeasured(),
      loadAverage: Number(loadAverage.toFixed(2)),
      command: `npx tsx bench/flows.ts ${process.argv.slice(2).join(' ')}`.trim(),
    },
  };
}

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : '–');
const ok = (pass: boolean) => (pass ? 'met' : '**missed**');

/** The lines of this benchmark's section of docs/benchmarks.md (and its printout). */
export function flowsLines(f: FlowsFigures): string[] {
  const a = f.audit;
  const lines = [
    '| step | steps | p50 | p99 | max |',
    '|---|---|---|---|---|',
    `| a wait's deadline passed (Tern up) | ${count(f.timers.steps)} | ${ms(f.timers.p50)} | ${ms(f.timers.p99)} | ${ms(f.timers.max)} |`,
    `| a reply came (from the webhook's 200) | ${count(f.replies.steps)} | ${ms(f.replies.p50)} | ${ms(f.replies.p99)} | ${ms(f.replies.max)} |`,
    `| the second wave, across the SIGKILL | ${count(f.acrossKill.steps)} | ${ms(f.acrossKill.p50)} | ${ms(f.acrossKill.p99)} | ${ms(f.acrossKill.max)} |`,
    '',
    '| count at the end (from the database) | value |',
    '|---|---|',
    `| runs / ended / ended otherwise than expected | ${count(a.runs)} / ${count(a.ended)} / ${count(a.endedOtherwise)} |`,
    `| steps missed / doubled | ${a.missedSteps} / ${a.doubledSteps} |`,
    `| send notes / messages queued / expected | ${count(a.sendNotes)} / ${count(a.messages)} / ${count(a.expectedSends)} |`,
    `| at the provider / duplicates | ${count(a.provider)} / ${a.providerDuplicates} |`,
    `| down after SIGKILL / steps due and not yet taken at the kill / due while down | ${f.downSeconds.toFixed(1)} s / ${count(f.dueAtKill)} / ${count(f.dueWhileDown)} |`,
  ];
  const aims = [
    '',
    '| aim (issue 17) | measured | |',
    '|---|---|---|',
    `| step latency p99 ≤ 1 s after the timer is due (${count(f.concurrent)} concurrent runs) | ${ms(f.timers.p99)} | ${ok(f.timers.p99 <= 1000)} |`,
    `| no missed or doubled step across a SIGKILL | ${a.missedSteps} missed, ${a.doubledSteps} doubled, ${a.messages - a.expectedSends} extra messages, ${a.providerDuplicates} duplicates | ${ok(a.missedSteps === 0 && a.doubledSteps === 0 && a.messages === a.expectedSends && a.providerDuplicates === 0)} |`,
  ];
  if (f.inbound) {
    const i = f.inbound;
    const cpu = (m: InboundFigures) => m.tern.cpuMicrosPerRequest;
    const cpuCells = (m: InboundFigures) => {
      const own = cpu(m);
      const base = cpu(i.without);
      return own === null || base === null
        ? '– | –'
        : `${Math.round(own)} µs | ${(base / own).toFixed(2)}×`;
    };
    const row = (name: string, m: InboundFigures) =>
      `| ${name} | ${count(Math.round(m.tern.requestsPerSecond))} | ${(m.tern.requestsPerSecond / i.without.tern.requestsPerSecond).toFixed(2)}× | ${cpuCells(m)} | ${m.tern.latency.p50.toFixed(1)} ms | ${m.tern.latency.p99.toFixed(1)} ms |`;
    lines.push(
      '',
      `| inbound webhooks (${i.without.connections} connections; latency at ${i.without.rate}/s; mean of ${i.rounds} runs each) | req/s | × without | server CPU a request | × without, by CPU | p50 | p99 |`,
      '|---|---|---|---|---|---|---|',
      row('without flows', i.without),
      row(
        `${i.flows} active flows no text triggers, ${count(i.waitingRuns)} runs of other numbers waiting for a reply`,
        i.idle,
      ),
      row(
        `${i.flows} active flows on the texted keywords (a run per keyword text, replies, STOP/START/HELP ending runs)`,
        i.texted,
      ),
    );
    const ratio = (m: InboundFigures) =>
      m.tern.requestsPerSecond / i.without.tern.requestsPerSecond;
    aims.push(
      `| inbound throughput with ${i.flows} active flows ≥ 0.8× without: flows present, ${count(i.waitingRuns)} runs waiting | ${ratio(i.idle).toFixed(2)}× | ${ok(ratio(i.idle) >= 0.8)} |`,
      `| the same, the flows triggered by the texts (their runs' own work included) | ${ratio(i.texted).toFixed(2)}× | ${ok(ratio(i.texted) >= 0.8)} |`,
    );
  }
  return [...lines, ...aims];
}

const START = '<!-- bench/flows.ts: start -->';
const END = '<!-- bench/flows.ts: end -->';

/** docs/benchmarks.md with this benchmark's section (between its markers) replaced or added. */
export function replaceFlowsSection(markdown: string, f: FlowsFigures): string {
  const section = [
    START,
    '## Flows: concurrent runs, a SIGKILL, inbound with flows (bench/flows.ts)',
    '',
    `${count(f.runs)} runs started through \`POST /v1/flow-events\` in ${f.startSeconds.toFixed(1)} s (${count(f.concurrent)} active at once) in \`tern serve\` on SQLite (the build in dist/, a child process, its send worker sending every flow text to the simulator). Half follow a timer flow (wait ${f.waitSeconds} s, send, wait ${f.waitSeconds} s, send), half a reply flow (send, wait up to ${Math.round(f.waitSeconds * 1.5)} s for a reply, branch, send); half of those reply through the credential's inbound webhook ${Math.round(f.waitSeconds / 2)} s after the first start, the rest time out. Timers come due at the rate the runs were started (as a day after a keyword drew 10,000 texts). A step's latency is read from the run's timeline in the database: from the wait's deadline to the note of the wait ending, stamped when the runner takes the step (its one transaction, which also queues the next send, takes milliseconds more), or from the webhook's 200 to the reply's note. A third of the way into the timer flow's second wave, \`tern serve\` is killed with SIGKILL and started again on the same file; at the end every run's notes, sends and messages are counted. Inbound: bench/inbound-throughput.ts's server and texts (5,000 numbers, each number's texts shifting through STOP, START, HELP, one of 100 custom keywords, JOIN, free text), the flow runner on in every server: without flows; with 100 active keyword flows (send, wait a day for a reply, branch, send) on keywords no text uses and 10,000 runs of other numbers waiting for a reply; with the 100 flows on the texted keywords, so that a keyword starts a run (and its first send), free text answers it (a step and a send) and STOP, START, HELP or JOIN ends it. Measured in the order without, idle, texted, texted, idle, without, and averaged; the server's CPU time per request (from /proc, during the throughput run) moves less than the throughput when other work shares the machine, and its ratio is shown beside. Measured at ${f.run.commit} (load average ${f.run.loadAverage} at the start; \`${f.run.command}\`).`,
    '',
    ...flowsLines(f),
    END,
  ].join('\n');
  const start = markdown.indexOf(START);
  const end = markdown.indexOf(END);
  if (start >= 0 && end > start)
    return markdown.slice(0, start) + section + markdown.slice(end + END.length);
  return `${markdown.trimEnd()}\n\n${section}\n`;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10000' },
      wait: { type: 'string', default: '120' },
      'inbound-seconds': { type: 'string', default: '10' },
      'no-inbound': { type: 'boolean', default: false },
      docs: { type: 'boolean', default: false },
    },
  });
  const figures = await flowsBenchmark({
    runs: Number(values.runs),
    waitSeconds: Number(values.wait),
    inboundSeconds: values['no-inbound'] ? null : Number(values['inbound-seconds']),
  });
  console.log(flowsLines(figures).join('\n'));
  if (values.docs) {
    const path = resolve('docs/benchmarks.md');
    const markdown = replaceFlowsSection(readFileSync(path, 'utf8'), figures);
    const config = await prettier.resolveConfig(path);
    writeFileSync(path, await prettier.format(markdown, { ...config, parser: 'markdown' }));
  }
}
