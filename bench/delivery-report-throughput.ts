/**
 * Delivery-report webhook throughput: reports per second that Tern applies when the provider
 * POSTs them 100 to a request, for messages Tern has actually sent.
 *
 *   npx tsx bench/delivery-report-throughput.ts [--reports 10000] [--connections 8]
 *                                               [--pg postgres://…] [--no-pg]
 *
 * Tern (`tern serve`) sends `--reports` messages to the simulator through the batch API, the
 * simulator holding their reports back. This process then builds one DELIVERED report per
 * message in Infobip's v3 shape (with the simulator's own report builder, from the simulator's
 * record of each message) and POSTs them, 100 to a body, to the report URL Tern gave the
 * provider (`webhooks.delivery.url`), `--connections` POSTs in flight. Each answer says how many
 * reports were applied; afterwards Tern's `/metrics` must count every message as delivered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ERRORS, STATUSES } from '../simulator/src/statuses.js';
import { v3Report } from '../simulator/src/report-shapes.js';
import { closedLoop, poolFor, postJson } from './lib/load.js';
import { count, progress, rate } from './lib/progress.js';
import { benchDatabaseName, DEFAULT_PG_URL, freshPostgresDatabase, isMain } from './lib/script.js';
import {
  sendBatches,
  simulatorMessages,
  startStack,
  ternMessageCounts,
  waitForProvider,
  type Stack,
} from './lib/stack.js';
import type { Database } from './outbound-throughput.js';

/** Reports in one POST: Infobip's default batch (and the simulator's). */
export const REPORTS_PER_POST = 100;

export interface DeliveryReportFigures {
  database: Database;
  reports: number;
  reportsPerPost: number;
  inFlight: number;
  postsPerSecond: number;
  reportsPerSecond: number;
  /** Reports Tern's answers say it applied (moved a message forward). */
  applied: number;
  /** Messages Tern counts as delivered afterwards (`tern_messages{status="delivered"}`). */
  delivered: number;
}

export interface DeliveryReportOptions {
  /** Messages sent, then reported on (a multiple of 100 keeps every POST full). */
  reports: number;
  /** POSTs in flight. */
  connections: number;
  /** PostgreSQL URL (its database is dropped and created), or null for SQLite only. */
  postgresUrl: string | null;
}

/** Waits until Tern has settled `n` messages as accepted by the provider. */
async function waitForAccepted(stack: Stack, n: number): Promise<void> {
  const start = performance.now();
  while (((await ternMessageCounts(stack)).accepted ?? 0) < n) {
    if (performance.now() - start > 120_000)
      throw new Error(`Tern has not settled ${n} messages as accepted`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One body per 100 messages, in Infobip's v3 delivery-report shape, all DELIVERED_TO_HANDSET. */
async function reportBodies(
  stack: Stack,
  n: number,
): Promise<{ url: string; bodies: { json: string; reports: number }[] }> {
  const messages = await simulatorMessages(stack, n);
  if (messages.length !== n) throw new Error(`the simulator has ${messages.length} of ${n}`);
  const urls = new Set(messages.map((m) => m.reportUrl));
  const url = messages[0]?.reportUrl;
  if (urls.size !== 1 || url === undefined)
    throw new Error(`expected one report URL from Tern, got ${[...urls].join(', ')}`);
  const context = { currency: 'EUR', mccMnc: '310260' };
  const doneAt = Date.now();
  const bodies: { json: string; reports: number }[] = [];
  for (let i = 0; i < messages.length; i += REPORTS_PER_POST) {
    const results = messages
      .slice(i, i + REPORTS_PER_POST)
      .map((m) =>
        v3Report(
          m,
          { status: STATUSES.DELIVERED_TO_HANDSET, error: ERRORS.NO_ERROR, doneAt },
          context,
        ),
      );
    bodies.push({ json: JSON.stringify({ results }), reports: results.length });
  }
  return { url, bodies };
}

async function runOn(
  database: Database,
  databaseUrl: string,
  options: DeliveryReportOptions,
): Promise<DeliveryReportFigures> {
  const n = options.reports;
  progress.step(`starting the simulator and Tern on ${database}`);
  const stack = await startStack(databaseUrl);
  try {
    progress.step(`sending ${count(n)} messages (reports held back by the simulator)`);
    await sendBatches(stack, 0, n, (k) => progress.count(k, n, 'accepted by the API'));
    await waitForProvider(stack, n, (k) => progress.count(k, n, 'at the provider'));
    await waitForAccepted(stack, n);
    const { url, bodies } = await reportBodies(stack, n);
    progress.step(
      `POSTing ${count(n)} delivery reports, ${REPORTS_PER_POST} a request, ${options.connections} in flight`,
    );
    const pool = poolFor(url, options.connections);
    const path = new URL(url).pathname;
    let applied = 0;
    let reported = 0;
    const loop = await closedLoop({
      concurrency: options.connections,
      count: bodies.length,
      task: async (i) => {
        const body = bodies[i];
        if (!body) throw new Error(`no body ${i}`);
        const outcome = await postJson<{ applied: number }>(pool, path, body.json);
        applied += outcome.applied;
        reported += body.reports;
        progress.count(reported, n, 'reports');
      },
    });
    await pool.close();
    const delivered = (await ternMessageCounts(stack)).delivered ?? 0;
    const figures: DeliveryReportFigures = {
      database,
      reports: n,
      reportsPerPost: REPORTS_PER_POST,
      inFlight: options.connections,
      postsPerSecond: loop.rate,
      reportsPerSecond: n / loop.seconds,
      applied,
      delivered,
    };
    progress.result(
      `${count(figures.reportsPerSecond)} reports/s; applied ${count(applied)} of ${count(n)}, delivered ${count(delivered)}`,
    );
    if (applied !== n || delivered !== n)
      throw new Error(
        `delivery reports not all applied: ${applied} applied, ${delivered} delivered`,
      );
    return figures;
  } finally {
    await stack.stop();
  }
}

/** Delivery reports on SQLite (a fresh file), then on PostgreSQL unless told not to. */
export async function deliveryReportThroughput(
  options: DeliveryReportOptions,
): Promise<DeliveryReportFigures[]> {
  if (options.postgresUrl !== null) benchDatabaseName(options.postgresUrl);
  const figures: DeliveryReportFigures[] = [];
  progress.benchmark(`Delivery reports on SQLite: ${REPORTS_PER_POST} per POST`);
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-'));
  try {
    figures.push(await runOn('SQLite', join(dir, 'tern.db'), options));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (options.postgresUrl !== null) {
    progress.benchmark(`Delivery reports on PostgreSQL: ${REPORTS_PER_POST} per POST`);
    const url = await freshPostgresDatabase(options.postgresUrl);
    figures.push(await runOn('PostgreSQL', url, options));
  }
  return figures;
}

/** The figures as the lines this script prints. */
export function deliveryReportLines(figures: readonly DeliveryReportFigures[]): string[] {
  return figures.map(
    (f) =>
      `${f.database.padEnd(10)} ${count(f.reports).padStart(6)} reports, ${f.reportsPerPost} a POST, ${f.inFlight} in flight   ${count(f.reportsPerSecond).padStart(7)} reports/s (${rate(f.postsPerSecond)} POST/s)   applied ${count(f.applied)}, delivered ${count(f.delivered)}`,
  );
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      reports: { type: 'string', default: '10000' },
      connections: { type: 'string', default: '8' },
      pg: { type: 'string', default: DEFAULT_PG_URL },
      'no-pg': { type: 'boolean', default: false },
    },
  });
  const figures = await deliveryReportThroughput({
    reports: Number(values.reports),
    connections: Number(values.connections),
    postgresUrl: values['no-pg'] ? null : values.pg,
  });
  console.log('\nDelivery-report webhook throughput\n');
  for (const line of deliveryReportLines(figures)) console.log(line);
}
