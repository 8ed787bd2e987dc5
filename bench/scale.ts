/**
 * Tern at volume (issue 14): a database loaded directly with a month of history, then `tern
 * serve` on it — drain rate with 10,000 queued and with a large backlog, the single and batch
 * APIs, and read latency of the list, filter and search routes and of the statistics, idle and
 * while the sender drains at full speed. Printed as a curve over the sizes, per database.
 *
 *   npx tsx bench/scale.ts [--sizes 100000,…] [--full] [--seconds 5] [--read-seconds 10]
 *                          [--batch 10000] [--no-pg] [--pg postgres://…]
 *
 * `--full`: 1M and 10M messages, 1M profiles, 1M queued (the issue's sizes; ~1 h). Per size and
 * database, on a fresh database: `tern serve` makes the credential, three channel configurations
 * and one message through the API (the template every loaded row copies); then, with Tern
 * stopped, the loader (bench/lib/scale-load.ts) writes the history — messages over 30 days
 * (80 % delivered, 6 % accepted in the last day, failed, undeliverable, rejected, expired,
 * suppressed), profiles (1 in 10 of the messages) with their consent ledger, inbound texts
 * (1 in 100) — and, later, the queued backlogs. The simulator holds delivery reports back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { count, progress } from './lib/progress.js';
import { getJson, readLatencies, type ReadFigures, type ReadRoute } from './lib/reads.js';
import {
  loadHistory,
  loadQueued,
  openTarget,
  statsDrift,
  type Channel,
  type TemplateRow,
} from './lib/scale-load.js';
import { benchDatabaseName, DEFAULT_PG_URL, freshPostgresDatabase, isMain } from './lib/script.js';
import {
  benchMessage,
  simulatorState,
  startStack,
  waitForProvider,
  type Stack,
} from './lib/stack.js';
import {
  measureBatch,
  measureSingle,
  type Database,
  type OutboundFigures,
} from './outbound-throughput.js';

/** The queue of the reference drain: the issue's "rate with 10,000 queued". */
const SMALL_QUEUE = 10_000;
const INBOUND_NUMBER = '+14155550100';

export interface ScaleOptions {
  /** History sizes (messages), in order. */
  sizes: number[];
  /** Profiles per size (default: a tenth of the messages, at most 1M). */
  profiles?: (messages: number) => number;
  /** Queued messages of the large-backlog drain per size (default: as many as the history, at most 1M). */
  backlog?: (messages: number) => number;
  /** Seconds of each timed step: single API, drain window. */
  seconds: number;
  /** Seconds of reads, idle and while draining. */
  readSeconds: number;
  /** Messages through the batch API at each size. */
  batchMessages: number;
  postgresUrl: string | null;
}

/** One size on one database. */
export interface ScaleFigures {
  database: Database;
  messages: number;
  profiles: number;
  inbound: number;
  backlog: number;
  /** Rows written by the history load per second (messages, profiles, ledger, inbound). */
  loadRowsPerSecond: number;
  loadSeconds: number;
  /** Messages at the provider per second, draining 10,000 queued (first to last). */
  drainSmall: number;
  /** Messages at the provider per second over the drain window, with `backlog` queued. */
  drainLarge: number;
  single: OutboundFigures;
  batch: OutboundFigures;
  readsIdle: ReadFigures[];
  readsDraining: ReadFigures[];
  /** False when the backlog ran out before the reads "while draining" ended. */
  drainingThroughReads: boolean;
  /** Why the statistics were not measured (the route answered 404), or null. */
  statsSkipped: string | null;
  /**
   * After the run, the statistics counters the triggers kept against a recount from the messages
   * and the ledger: how many, and those that differ (none: exact). Null without statistics.
   */
  statsExact: { counters: number; differences: string[] } | null;
}

const DAY_MS = 86_400_000;
const phoneOf = (k: number) => `+1${2012000000 + k}`;

/** Until the provider has `target` messages in all: the time, the count. */
async function providerAt(stack: Stack, target: number, timeoutMs = 300_000) {
  const start = performance.now();
  for (;;) {
    const { messages } = await simulatorState(stack);
    if (messages >= target) return { at: performance.now(), messages };
    if (performance.now() - start > timeoutMs)
      throw new Error(`the provider has ${messages} of ${target} messages`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Starts `tern serve` on `queued` waiting messages and measures the drain at the provider: from
 * its first message to the last (`windowSeconds` null), or over a window after a 1 s warm-up.
 */
async function drain(stack: Stack, queued: number, windowSeconds: number | null): Promise<number> {
  const base = (await simulatorState(stack)).messages;
  await stack.startTern();
  const first = await providerAt(stack, base + 1);
  if (windowSeconds === null) {
    const last = await providerAt(stack, base + queued);
    const perSecond = ((base + queued - first.messages) / (last.at - first.at)) * 1000;
    progress.result(`${count(queued)} queued: ${count(perSecond)} msg/s`);
    return perSecond;
  }
  await new Promise((r) => setTimeout(r, 1000));
  const from = { at: performance.now(), messages: (await simulatorState(stack)).messages };
  for (let s = 0; s < windowSeconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    progress.timed(s + 1, windowSeconds, 'draining');
  }
  const to = { at: performance.now(), messages: (await simulatorState(stack)).messages };
  const perSecond = ((to.messages - from.messages) / (to.at - from.at)) * 1000;
  progress.result(
    `${count(queued)} queued: ${count(perSecond)} msg/s (${count(to.messages - base)} sent so far)`,
  );
  return perSecond;
}

/** The routes the benchmark reads, with the ids and values found in this database. */
async function readRoutes(
  stack: Stack,
  channels: Channel[],
  profiles: number,
  now: number,
): Promise<{ routes: ReadRoute[]; statsSkipped: string | null }> {
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const day = (daysAgo: number) => new Date(now - daysAgo * DAY_MS).toISOString();
  const to = phoneOf((12_345 * 7919) % profiles);
  const deep = await getJson<{ nextCursor: string | null }>(
    stack.tern.url,
    stack.authorization,
    `/api/v1/messages?${q({ until: day(20), limit: '50' })}`,
  );
  const list = 20;
  const routes: ReadRoute[] = [
    { name: 'messages, newest 50', path: '/api/v1/messages?limit=50', aimMs: list },
    {
      name: 'messages, status=failed',
      path: `/api/v1/messages?${q({ status: 'failed', limit: '50' })}`,
      aimMs: list,
    },
    {
      name: 'messages, status=queued',
      path: `/api/v1/messages?${q({ status: 'queued', limit: '50' })}`,
      aimMs: list,
    },
    {
      name: 'messages, to=one number',
      path: `/api/v1/messages?${q({ to, limit: '50' })}`,
      aimMs: list,
    },
    {
      name: 'messages, one channel configuration',
      path: `/api/v1/messages?${q({ channelConfigurationId: channels[1]?.id ?? '', limit: '50' })}`,
      aimMs: list,
    },
    {
      name: 'messages, one day 15 days ago',
      path: `/api/v1/messages?${q({ from: day(15), until: day(14), limit: '50' })}`,
      aimMs: list,
    },
    {
      name: 'messages, rejected on one channel in a week',
      path: `/api/v1/messages?${q({ status: 'rejected', channelConfigurationId: channels[2]?.id ?? '', from: day(10), until: day(3), limit: '50' })}`,
      aimMs: list,
    },
    ...(deep.body.nextCursor
      ? [
          {
            name: 'messages, cursor page 20 days back',
            path: `/api/v1/messages?${q({ cursor: deep.body.nextCursor, limit: '50' })}`,
            aimMs: list,
          },
        ]
      : []),
    { name: 'profiles, newest 50', path: '/api/v1/profiles?limit=50', aimMs: list },
    {
      name: 'profiles, search by 7 digits',
      path: `/api/v1/profiles?${q({ phone: phoneOf(Math.floor(profiles * 0.37)).slice(-7), limit: '50' })}`,
      aimMs: list,
    },
    {
      name: 'profiles, unsubscribed',
      path: `/api/v1/profiles?${q({ consent: 'unsubscribed', limit: '50' })}`,
      aimMs: list,
    },
    { name: 'inbound, newest 50', path: '/api/v1/inbound?limit=50', aimMs: list },
    {
      name: 'inbound, from one number',
      path: `/api/v1/inbound?${q({ from: to, limit: '50' })}`,
      aimMs: list,
    },
  ];
  const stats = await getJson<unknown>(stack.tern.url, stack.authorization, '/api/v1/stats');
  if (stats.status === 404)
    return { routes, statsSkipped: 'GET /api/v1/stats answered 404: statistics not measured' };
  for (const range of ['24h', '30d'])
    routes.push({ name: `stats, ${range}`, path: `/api/v1/stats?range=${range}`, aimMs: 50 });
  return { routes, statsSkipped: null };
}

async function reads(stack: Stack, routes: ReadRoute[], seconds: number, what: string) {
  progress.step(`reads ${what}: ${routes.length} routes in turn, ${seconds} s`);
  const figures = await readLatencies(stack.tern.url, stack.authorization, routes, seconds, (e) =>
    progress.timed(e, seconds, what),
  );
  const worst = figures.filter((f) => f.aimMs === 20).reduce((a, b) => (b.p99 > a.p99 ? b : a));
  progress.result(`worst list p99 ${worst.p99.toFixed(1)} ms (${worst.name})`);
  for (const f of figures.filter((x) => x.errors > 0))
    progress.result(`${f.name}: ${f.errors} errors (${f.firstError})`);
  return figures;
}

async function runSize(
  database: Database,
  url: string,
  messages: number,
  options: ScaleOptions,
): Promise<ScaleFigures> {
  const profiles = Math.max(
    1,
    options.profiles?.(messages) ?? Math.min(1_000_000, Math.round(messages / 10)),
  );
  // At least 200,000: the drain window and the reads after it must end before the queue does.
  const backlog = options.backlog?.(messages) ?? Math.max(200_000, Math.min(1_000_000, messages));
  const inbound = Math.round(messages / 100);
  progress.step(`starting the simulator and Tern on a fresh ${database} database`);
  const stack = await startStack(url);
  try {
    const channels: Channel[] = [{ id: stack.channelId, sender: 'TERN' }];
    for (const [name, sender] of [
      ['bench-marketing', 'TERNOFFERS'],
      ['bench-alerts', 'TERNALERT'],
    ] as const) {
      const channel = await stack.api<{ id: string }>('POST', '/api/v1/channel-configurations', {
        name,
        credentialId: stack.credentialId,
        sender,
      });
      channels.push({ id: channel.id, sender });
    }
    const sent = await stack.api<{ id: string }>(
      'POST',
      '/api/v1/messages',
      benchMessage(stack, 0),
    );
    await waitForProvider(stack, 1);
    await stack.stopTern();

    const now = Date.now();
    const target = openTarget(url);
    const loadStarted = performance.now();
    let found: TemplateRow | undefined;
    try {
      [found] = await target.all<TemplateRow>(
        `select * from messages where id = ${target.param(1, 'text')}`,
        [sent.id],
      );
      if (!found) throw new Error('the template message is not in the database');
      const template = found;
      progress.step(
        `loading ${count(messages)} messages, ${count(profiles)} profiles, ${count(inbound)} inbound texts`,
      );
      await loadHistory(
        target,
        template,
        {
          messages,
          profiles,
          inbound,
          channels,
          credentialId: stack.credentialId,
          inboundNumber: INBOUND_NUMBER,
          now,
        },
        (what, done, total) => progress.count(done, total, what),
      );
    } finally {
      await target.close();
    }
    const template = found;
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const rows = messages + profiles * 1.82 + inbound;
    progress.result(`loaded in ${loadSeconds.toFixed(1)} s (${count(rows / loadSeconds)} rows/s)`);

    await stack.startTern();
    const { routes, statsSkipped } = await readRoutes(stack, channels, profiles, now);
    if (statsSkipped) progress.result(statsSkipped);
    const readsIdle = await reads(stack, routes, options.readSeconds, 'idle');
    // Message numbers (benchMessage: +1 415 5xx xxxx): the single API's from 1, the batch's after.
    const single = await measureSingle(stack, database, 1, options.seconds);
    const batch = await measureBatch(stack, database, 2_000_000, options.batchMessages);
    await stack.stopTern();

    const queue = async (n: number) => {
      progress.step(`loading ${count(n)} queued messages`);
      const t = openTarget(url);
      try {
        await loadQueued(t, template, { count: n, profiles, channels, now: Date.now() }, (done) =>
          progress.count(done, n, 'queued'),
        );
      } finally {
        await t.close();
      }
    };
    await queue(SMALL_QUEUE);
    progress.step(`drain: ${count(SMALL_QUEUE)} queued`);
    const drainSmall = await drain(stack, SMALL_QUEUE, null);
    await stack.stopTern();

    await queue(backlog);
    progress.step(`drain: ${count(backlog)} queued, ${options.seconds} s`);
    const before = (await simulatorState(stack)).messages;
    const drainLarge = await drain(stack, backlog, options.seconds);
    const readsDraining = await reads(stack, routes, options.readSeconds, 'while draining');
    const drainingThroughReads = (await simulatorState(stack)).messages < before + backlog;
    if (!drainingThroughReads) progress.result('the backlog ran out before the reads ended');
    await stack.stopTern();
    progress.step('statistics against a recount of every message and consent change');
    const check = openTarget(url);
    const statsExact = await statsDrift(check).finally(() => check.close());
    if (statsExact)
      progress.result(
        statsExact.differences.length === 0
          ? `exact: ${count(statsExact.counters)} counters equal the recount`
          : `NOT exact: ${statsExact.differences.join('; ')}`,
      );
    return {
      database,
      messages,
      profiles,
      inbound,
      backlog,
      loadRowsPerSecond: rows / loadSeconds,
      loadSeconds,
      drainSmall,
      drainLarge,
      single,
      batch,
      readsIdle,
      readsDraining,
      drainingThroughReads,
      statsSkipped,
      statsExact,
    };
  } catch (error) {
    // Tern's own account of a failure (a 500 says no more than its request id).
    const errors = stack.tern
      .output()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    for (const line of errors.slice(-5)) console.error(`tern: ${line.slice(0, 2000)}`);
    throw error;
  } finally {
    await stack.stop();
  }
}

/**
 * The scale benchmark's own database beside the others' (`tern_bench` → `tern_bench_scale`):
 * its loads run for minutes, and another benchmark recreating `tern_bench` meanwhile killed it.
 */
function scaleDatabaseUrl(url: string): string {
  const name = benchDatabaseName(url);
  return Object.assign(new URL(url), { pathname: `/${name}_scale` }).toString();
}

/** Every size on SQLite (a fresh file each), then on PostgreSQL (a fresh database each). */
export async function scale(options: ScaleOptions): Promise<ScaleFigures[]> {
  if (options.postgresUrl !== null) benchDatabaseName(options.postgresUrl);
  const figures: ScaleFigures[] = [];
  for (const messages of options.sizes) {
    progress.benchmark(`Scale on SQLite: ${count(messages)} messages`);
    const dir = mkdtempSync(join(tmpdir(), 'tern-bench-scale-'));
    try {
      figures.push(await runSize('SQLite', join(dir, 'tern.db'), messages, options));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (options.postgresUrl !== null)
    for (const messages of options.sizes) {
      progress.benchmark(`Scale on PostgreSQL: ${count(messages)} messages`);
      const url = await freshPostgresDatabase(scaleDatabaseUrl(options.postgresUrl));
      figures.push(await runSize('PostgreSQL', url, messages, options));
    }
  return figures;
}

/** The slowest list-route p99 of a set of reads (the statistics apart). */
export function worstList(reads: readonly ReadFigures[]): ReadFigures | undefined {
  return reads
    .filter((r) => !r.name.startsWith('stats'))
    .reduce<ReadFigures | undefined>(
      (a, b) => (a === undefined || b.p99 > a.p99 ? b : a),
      undefined,
    );
}

/** The slowest statistics p99, or undefined when not measured. */
export function worstStats(reads: readonly ReadFigures[]): ReadFigures | undefined {
  return reads
    .filter((r) => r.name.startsWith('stats'))
    .reduce<ReadFigures | undefined>(
      (a, b) => (a === undefined || b.p99 > a.p99 ? b : a),
      undefined,
    );
}

/** The curve (one line per database and size), then every route's latency. */
export function scaleLines(figures: readonly ScaleFigures[]): string[] {
  const ms = (n: number | undefined) =>
    n === undefined || Number.isNaN(n) ? '—' : `${n.toFixed(1)} ms`;
  const lines = [
    `${'database'.padEnd(10)} ${'messages'.padStart(10)} ${'load rows/s'.padStart(11)}  ${'drain 10k'.padStart(9)}  ${'drain backlog'.padStart(22)}  ${'single accept / p99 / e2e'.padStart(27)}  ${'batch accept / e2e'.padStart(18)}  ${'list p99 idle / draining'.padStart(24)}  stats p99 idle / draining`,
  ];
  for (const f of figures)
    lines.push(
      `${f.database.padEnd(10)} ${count(f.messages).padStart(10)} ${count(f.loadRowsPerSecond).padStart(11)}  ${count(f.drainSmall).padStart(9)}  ${`${count(f.drainLarge)} at ${count(f.backlog)} (${(f.drainLarge / f.drainSmall).toFixed(2)}×)`.padStart(22)}  ${`${count(f.single.acceptPerSecond)} / ${ms(f.single.p99 ?? undefined)} / ${count(f.single.endToEndPerSecond)}`.padStart(27)}  ${`${count(f.batch.acceptPerSecond)} / ${count(f.batch.endToEndPerSecond)}`.padStart(18)}  ${`${ms(worstList(f.readsIdle)?.p99)} / ${ms(worstList(f.readsDraining)?.p99)}`.padStart(24)}  ${f.statsSkipped ? 'not measured (404)' : `${ms(worstStats(f.readsIdle)?.p99)} / ${ms(worstStats(f.readsDraining)?.p99)}`}`,
    );
  for (const f of figures) {
    lines.push(
      '',
      `${f.database}, ${count(f.messages)} messages: p50 / p99 idle, p50 / p99 while draining${f.drainingThroughReads ? '' : ' (the backlog ran out during the reads)'}`,
    );
    f.readsIdle.forEach((idle, k) => {
      const busy = f.readsDraining[k];
      lines.push(
        `  ${idle.name.padEnd(44)} ${ms(idle.p50).padStart(9)} / ${ms(idle.p99).padStart(9)}   ${ms(busy?.p50).padStart(9)} / ${ms(busy?.p99).padStart(9)}   (${idle.requests} + ${busy?.requests ?? 0} requests)`,
      );
    });
  }
  return lines;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '100000' },
      full: { type: 'boolean', default: false },
      seconds: { type: 'string', default: '5' },
      'read-seconds': { type: 'string', default: '10' },
      batch: { type: 'string', default: '10000' },
      pg: { type: 'string', default: DEFAULT_PG_URL },
      'no-pg': { type: 'boolean', default: false },
    },
  });
  const options: ScaleOptions = {
    sizes: values.full ? [1_000_000, 10_000_000] : values.sizes.split(',').map(Number),
    ...(values.full ? { profiles: () => 1_000_000, backlog: () => 1_000_000 } : {}),
    seconds: Number(values.seconds),
    readSeconds: Number(values['read-seconds']),
    batchMessages: Number(values.batch),
    postgresUrl: values['no-pg'] ? null : values.pg,
  };
  const figures = await scale(options);
  console.log(`\nScale (reports held back; ${options.seconds} s per timed step)\n`);
  for (const line of scaleLines(figures)) console.log(line);
}
