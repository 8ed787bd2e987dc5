/**
 * The issue 14 parts of the report: Tern's single API against the references of the same run,
 * the scale curve and its read latencies, and the issue's aims judged on this run's figures.
 */
import type { OutboundFigures } from '../outbound-throughput.js';
import type { ReferenceFigures } from '../references.js';
import { worstList, worstStats, type ScaleFigures } from '../scale.js';
import { count } from './progress.js';
import type { RunResults, Table } from './report.js';

const ms = (n: number | null | undefined) =>
  n === null || n === undefined || Number.isNaN(n)
    ? '—'
    : `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
const ratio = (a: number, b: number | undefined) =>
  b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`;

function singles(r: RunResults): OutboundFigures[] {
  return r.outbound.filter((o) => o.api === 'single');
}

/**
 * The single-message table: every reference and Tern's single API (same client, connections and
 * duration), with Tern's accept rate divided by each reference's.
 */
export function referencesTable(r: RunResults): Table {
  const tern = singles(r);
  const rows: string[][] = r.references.map((f) => [
    f.name,
    `${count(f.load.acceptedPerSecond)}`,
    ms(f.load.p99),
    f.endToEndPerSecond === null ? '—' : count(f.endToEndPerSecond),
    ...tern.map((t) => ratio(t.acceptPerSecond, f.load.acceptedPerSecond)),
  ]);
  for (const t of tern)
    rows.push([
      `Tern POST /api/v1/messages, ${t.database}`,
      count(t.acceptPerSecond),
      ms(t.p99),
      count(t.endToEndPerSecond),
      ...tern.map((other) =>
        other === t ? '1.00×' : ratio(t.acceptPerSecond, other.acceptPerSecond),
      ),
    ]);
  return {
    header: [
      'one JSON message per POST',
      'accepted/s',
      'p99',
      'end to end msg/s',
      ...tern.map((t) => `Tern ${t.database} ÷ this`),
    ],
    rows,
    numeric: [false, true, true, true, ...tern.map(() => true)],
  };
}

/** The curve: one row per database and size. */
export function scaleTable(r: RunResults): Table {
  return {
    header: [
      'database',
      'messages',
      'profiles',
      'load',
      'drain, 10,000 queued',
      'drain, backlog queued',
      'single API accept (p99) / end to end',
      'batch API accept / end to end',
      'list p99 idle / draining',
      'stats p99 idle / draining',
    ],
    rows: r.scale.map((f) => [
      f.database,
      count(f.messages),
      count(f.profiles),
      `${count(f.loadRowsPerSecond)} rows/s`,
      `${count(f.drainSmall)} msg/s`,
      `${count(f.drainLarge)} msg/s at ${count(f.backlog)} (${ratio(f.drainLarge, f.drainSmall)})`,
      `${count(f.single.acceptPerSecond)} (${ms(f.single.p99)}) / ${count(f.single.endToEndPerSecond)}`,
      `${count(f.batch.acceptPerSecond)} / ${count(f.batch.endToEndPerSecond)}`,
      `${ms(worstList(f.readsIdle)?.p99)} / ${ms(worstList(f.readsDraining)?.p99)}`,
      f.statsSkipped
        ? 'not measured (404)'
        : `${ms(worstStats(f.readsIdle)?.p99)} / ${ms(worstStats(f.readsDraining)?.p99)}`,
    ]),
    numeric: [false, true, true, true, true, true, true, true, true, true],
  };
}

/** Every route's latency at the largest size of each database. */
export function scaleReadsTable(f: ScaleFigures): Table {
  return {
    header: ['route', 'p50 idle', 'p99 idle', 'p50 draining', 'p99 draining', 'requests'],
    rows: f.readsIdle.map((idle, k) => {
      const busy = f.readsDraining[k];
      return [
        // Ids, times and cursors cut short: the name says what they are.
        `${idle.name} (\`${idle.path.replace(/%2B/g, '+').replace(/=([^&]{20,})/g, '=…')}\`)`,
        ms(idle.p50),
        ms(idle.p99),
        ms(busy?.p50),
        ms(busy?.p99),
        `${idle.requests} + ${busy?.requests ?? 0}`,
      ];
    }),
    numeric: [false, true, true, true, true, true],
  };
}

/** The largest size measured on each database. */
export function largestPerDatabase(scale: readonly ScaleFigures[]): ScaleFigures[] {
  const by = new Map<string, ScaleFigures>();
  for (const f of scale) {
    const best = by.get(f.database);
    if (!best || f.messages > best.messages) by.set(f.database, f);
  }
  return [...by.values()];
}

type Verdict = boolean | null;
const verdict = (met: Verdict) => (met === null ? 'not judged' : met ? '**met**' : '**not met**');

/** The aims table of issue 14, each with this run's figure and met / not met. */
export function issue14Aims(r: RunResults): Table {
  const rows: string[][] = [];
  const add = (figure: string, aim: string, measured: string, met: Verdict) =>
    rows.push([figure, aim, measured, verdict(met)]);
  const ref = (kind: ReferenceFigures['kind']) => r.references.find((f) => f.kind === kind);
  const insert = ref('sqlite');
  const bullmq = ref('bullmq');
  const single = (db: string) => singles(r).find((o) => o.database === db);

  const s = single('SQLite');
  if (s) {
    const slower = Math.min(s.acceptPerSecond, s.endToEndPerSecond);
    add(
      'single API, SQLite, accept and end to end',
      '≥ 6,000 msg/s, p99 ≤ 20 ms at 50 connections',
      `accept ${count(s.acceptPerSecond)}, end to end ${count(s.endToEndPerSecond)} msg/s, p99 ${ms(s.p99)}`,
      slower >= 6000 && (s.p99 ?? Infinity) <= 20,
    );
    add(
      'single API, SQLite ÷ "Fastify + one insert"',
      '≥ 0.6×',
      insert
        ? `${ratio(s.acceptPerSecond, insert.load.acceptedPerSecond)} (${count(insert.load.acceptedPerSecond)} accepted/s)`
        : '—',
      insert ? s.acceptPerSecond >= 0.6 * insert.load.acceptedPerSecond : null,
    );
    add(
      'single API, SQLite ÷ the BullMQ stack',
      '≥ 2×, accept and end to end',
      bullmq
        ? `accept ${ratio(s.acceptPerSecond, bullmq.load.acceptedPerSecond)}, end to end ${ratio(s.endToEndPerSecond, bullmq.endToEndPerSecond ?? undefined)} (BullMQ ${count(bullmq.load.acceptedPerSecond)} / ${count(bullmq.endToEndPerSecond ?? 0)})`
        : '—',
      bullmq
        ? s.acceptPerSecond >= 2 * bullmq.load.acceptedPerSecond &&
            s.endToEndPerSecond >= 2 * (bullmq.endToEndPerSecond ?? Infinity)
        : null,
    );
  } else add('single API, SQLite', '≥ 6,000 msg/s, p99 ≤ 20 ms', '—', null);

  const p = single('PostgreSQL');
  add(
    'single API, PostgreSQL',
    '≥ 3,000 msg/s, p99 ≤ 30 ms',
    p
      ? `accept ${count(p.acceptPerSecond)}, end to end ${count(p.endToEndPerSecond)} msg/s, p99 ${ms(p.p99)}`
      : '—',
    p
      ? Math.min(p.acceptPerSecond, p.endToEndPerSecond) >= 3000 && (p.p99 ?? Infinity) <= 30
      : null,
  );

  for (const [db, aim] of [
    ['SQLite', 10_000],
    ['PostgreSQL', 6_000],
  ] as const) {
    const b = r.outbound.find((o) => o.api === 'batch' && o.database === db);
    add(
      `batch API end to end, ${db}`,
      `≥ ${count(aim)} msg/s`,
      b ? `${count(b.endToEndPerSecond)} msg/s` : '—',
      b ? b.endToEndPerSecond >= aim : null,
    );
  }

  const largest = largestPerDatabase(r.scale);
  for (const f of largest) {
    const at1M = f.backlog >= 1_000_000;
    add(
      `drain rate with 1,000,000 queued, ${f.database}`,
      '≥ 0.9 × the rate with 10,000 queued',
      `${count(f.drainLarge)} msg/s with ${count(f.backlog)} queued, ${count(f.drainSmall)} with 10,000: ${ratio(f.drainLarge, f.drainSmall)}` +
        (at1M ? '' : ' (not at 1,000,000: run `--full`)'),
      at1M ? f.drainLarge >= 0.9 * f.drainSmall : null,
    );
  }
  for (const f of largest) {
    const worst = worstList(f.readsDraining);
    add(
      `API read p99 while the sender drains at full speed, ${f.database}`,
      '≤ 20 ms',
      worst
        ? `${ms(worst.p99)} (slowest: ${worst.name}; ${count(f.messages)} messages, ${count(f.backlog)} queued)` +
            (f.drainingThroughReads ? '' : ', the backlog ran out during the reads')
        : '—',
      worst ? worst.p99 <= 20 && f.drainingThroughReads : null,
    );
  }

  for (const [db, aim] of [
    ['SQLite', 30_000],
    ['PostgreSQL', 10_000],
  ] as const) {
    const d = r.reports.find((x) => x.database === db);
    add(
      `delivery reports, 100 per POST, ${db}`,
      `≥ ${count(aim)} reports/s`,
      d ? `${count(d.reportsPerSecond)} reports/s` : '—',
      d ? d.reportsPerSecond >= aim : null,
    );
  }

  const t = r.inbound.tern;
  add(
    `inbound, full processing, ${r.inbound.database}`,
    '≥ 6,000 texts/s, p99 ≤ 10 ms at 1,000/s',
    `${count(t.requestsPerSecond)} texts/s, p99 ${ms(t.latency.p99)} at ${count(r.inbound.rate)}/s`,
    t.requestsPerSecond >= 6000 && t.latency.p99 <= 10 && t.latency.errors === 0,
  );

  for (const f of largest) {
    const full = f.messages >= 10_000_000 && f.profiles >= 1_000_000;
    const worst = worstList(f.readsIdle);
    add(
      `list, filter and search routes with 10,000,000 messages and 1,000,000 profiles, ${f.database}`,
      'p99 ≤ 20 ms',
      worst
        ? `${ms(worst.p99)} (slowest: ${worst.name}) with ${count(f.messages)} messages, ${count(f.profiles)} profiles` +
            (full ? '' : ' (not at full size: run `--full`)')
        : '—',
      full && worst ? worst.p99 <= 20 : null,
    );
    const stats = worstStats([...f.readsIdle, ...f.readsDraining]);
    add(
      `statistics (\`GET /api/v1/stats\`) at 10,000,000 messages, ${f.database}`,
      '≤ 50 ms',
      f.statsSkipped ??
        (stats
          ? `p99 ${ms(stats.p99)} (${stats.name}) with ${count(f.messages)} messages` +
            (full ? '' : ' (not at full size)')
          : '—'),
      full && stats ? stats.p99 <= 50 : null,
    );
    const exact = f.statsExact;
    add(
      `dashboard statistics exact at 10,000,000 messages, ${f.database}`,
      'the counters kept equal a recount',
      exact
        ? `${exact.differences.length === 0 ? 'exact' : `${exact.differences.length} differ: ${exact.differences[0]}`}: ${count(exact.counters)} counters after the run, ${count(f.messages)} messages` +
            (full ? '' : ' (not at full size)')
        : '—',
      full && exact ? exact.differences.length === 0 : null,
    );
  }
  return {
    header: ['figure', 'aim', 'this run', 'verdict'],
    rows,
    numeric: [false, false, false, false],
  };
}

export type { ScaleFigures };
