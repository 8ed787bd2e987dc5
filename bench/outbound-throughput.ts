/**
 * Outbound throughput: messages accepted by Tern's API until the simulator has accepted them
 * all, on SQLite and on PostgreSQL, through the batch API and the single-message API.
 *
 *   npx tsx bench/outbound-throughput.ts [--messages 10000] [--single-seconds 10]
 *                                        [--pg postgres://…] [--no-pg]
 *
 * Tern (`tern serve`: API and send worker in one process) and the simulator each run in a
 * child process; this process is the client. Delivery reports are held back by the simulator
 * so that the figure is the send path alone. Prints, per database and API: API accept rate,
 * and end-to-end rate (first request → last message accepted by the provider).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { postLoad } from './lib/load.js';
import { count, progress } from './lib/progress.js';
import { benchDatabaseName, DEFAULT_PG_URL, freshPostgresDatabase, isMain } from './lib/script.js';
import {
  benchMessage,
  sendBatches,
  simulatorState,
  startStack,
  waitForProvider,
  type Stack,
} from './lib/stack.js';

export type Database = 'SQLite' | 'PostgreSQL';

/** One database × API measurement. */
export interface OutboundFigures {
  database: Database;
  api: 'batch' | 'single';
  messages: number;
  messagesPerRequest: number;
  inFlight: number;
  /** Requests per second while the API accepted. */
  requestsPerSecond: number;
  /** Messages per second, first request → last API answer. */
  acceptPerSecond: number;
  /** Messages per second, first request → last message accepted by the provider. */
  endToEndPerSecond: number;
  /** Per-request latency of the single API (ms); null for the batch API. */
  p99: number | null;
  p50?: number;
  /** The single API's timed load, seconds. */
  seconds?: number;
  /** Single API answers other than 2xx. */
  errors?: number;
  /** Messages the provider received twice during this measurement. */
  duplicates: number;
}

export interface OutboundOptions {
  /** Messages through the batch API (1,000 a request, 4 in flight). */
  batchMessages: number;
  /** Seconds of the single API (one message a request, 50 connections). */
  singleSeconds: number;
  /** PostgreSQL URL (its database is dropped and created), or null for SQLite only. */
  postgresUrl: string | null;
}

export async function measureBatch(
  stack: Stack,
  database: Database,
  first: number,
  messages: number,
): Promise<OutboundFigures> {
  const before = await simulatorState(stack);
  progress.step(`batch API: ${count(messages)} messages`);
  const start = performance.now();
  const loop = await sendBatches(stack, first, messages, (n) =>
    progress.count(n, messages, 'accepted'),
  );
  const accepted = performance.now();
  progress.step('waiting for the provider');
  const done = await waitForProvider(stack, before.messages + messages, (n) =>
    progress.count(n - before.messages, messages, 'at the provider'),
  );
  const after = await simulatorState(stack);
  const perSecond = (ms: number) => (messages / ms) * 1000;
  const figures: OutboundFigures = {
    database,
    api: 'batch',
    messages,
    messagesPerRequest: 1000,
    inFlight: 4,
    requestsPerSecond: (loop.completed / (accepted - start)) * 1000,
    acceptPerSecond: perSecond(accepted - start),
    endToEndPerSecond: perSecond(done - start),
    p99: null,
    duplicates: after.duplicateCount - before.duplicateCount,
  };
  progress.result(
    `API accept ${count(figures.acceptPerSecond)} msg/s, end to end ${count(figures.endToEndPerSecond)} msg/s, ${figures.duplicates} duplicates`,
  );
  return figures;
}

/**
 * The single API measured as the references are (bench/references.ts): 50 connections for
 * `seconds`, one message per POST, through the same client; then until the provider has them all.
 */
export async function measureSingle(
  stack: Stack,
  database: Database,
  first: number,
  seconds: number,
  connections = 50,
): Promise<OutboundFigures> {
  const before = await simulatorState(stack);
  progress.step(`single API: ${connections} connections, ${seconds} s`);
  const start = performance.now();
  const load = await postLoad({
    url: stack.tern.url,
    path: '/api/v1/messages',
    connections,
    seconds,
    headers: { authorization: stack.authorization },
    body: (i) => JSON.stringify(benchMessage(stack, first + i)),
    onProgress: (elapsed, n) => progress.timed(elapsed, seconds, `${count(n)} accepted`),
  });
  progress.result(
    `API accept ${count(load.acceptedPerSecond)} msg/s, p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(1)} ms, ${load.errors} errors`,
  );
  progress.step('waiting for the provider');
  const done = await waitForProvider(stack, before.messages + load.accepted, (n) =>
    progress.count(n - before.messages, load.accepted, 'at the provider'),
  );
  const after = await simulatorState(stack);
  const figures: OutboundFigures = {
    database,
    api: 'single',
    messages: load.accepted,
    messagesPerRequest: 1,
    inFlight: connections,
    requestsPerSecond: load.acceptedPerSecond,
    acceptPerSecond: load.acceptedPerSecond,
    endToEndPerSecond: (load.accepted / (done - start)) * 1000,
    p99: load.p99,
    p50: load.p50,
    seconds,
    errors: load.errors,
    duplicates: after.duplicateCount - before.duplicateCount,
  };
  progress.result(
    `end to end ${count(figures.endToEndPerSecond)} msg/s, ${figures.duplicates} duplicates`,
  );
  return figures;
}

async function runOn(
  database: Database,
  databaseUrl: string,
  options: OutboundOptions,
): Promise<OutboundFigures[]> {
  progress.step(`starting the simulator and Tern on ${database}`);
  const stack = await startStack(databaseUrl);
  try {
    return [
      await measureBatch(stack, database, 0, options.batchMessages),
      await measureSingle(stack, database, options.batchMessages, options.singleSeconds),
    ];
  } finally {
    await stack.stop();
  }
}

/** Outbound on SQLite (a fresh file), then on PostgreSQL (a fresh database) unless told not to. */
export async function outboundThroughput(options: OutboundOptions): Promise<OutboundFigures[]> {
  if (options.postgresUrl !== null) benchDatabaseName(options.postgresUrl);
  const figures: OutboundFigures[] = [];
  progress.benchmark('Outbound on SQLite: API accept → provider accepted');
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-'));
  try {
    figures.push(...(await runOn('SQLite', join(dir, 'tern.db'), options)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (options.postgresUrl !== null) {
    progress.benchmark('Outbound on PostgreSQL: API accept → provider accepted');
    const url = await freshPostgresDatabase(options.postgresUrl);
    figures.push(...(await runOn('PostgreSQL', url, options)));
  }
  return figures;
}

/** The figures as the lines this script prints. */
export function outboundLines(figures: readonly OutboundFigures[]): string[] {
  return figures.map(
    (f) =>
      `${f.database.padEnd(10)} ${f.api.padEnd(7)} ${String(f.messages).padStart(6)} msgs   API accept ${count(f.acceptPerSecond).padStart(7)} msg/s${f.p99 === null ? '' : ` (p99 ${f.p99.toFixed(1)} ms)`}   end to end ${count(f.endToEndPerSecond).padStart(7)} msg/s   duplicates at the provider ${f.duplicates}`,
  );
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '10000' },
      'single-seconds': { type: 'string', default: '10' },
      pg: { type: 'string', default: DEFAULT_PG_URL },
      'no-pg': { type: 'boolean', default: false },
    },
  });
  const options: OutboundOptions = {
    batchMessages: Number(values.messages),
    singleSeconds: Number(values['single-seconds']),
    postgresUrl: values['no-pg'] ? null : values.pg,
  };
  const figures = await outboundThroughput(options);
  console.log(
    `\nOutbound throughput (${options.batchMessages} batch messages, single API for ${options.singleSeconds} s at 50 connections, reports held back)\n`,
  );
  for (const line of outboundLines(figures)) console.log(line);
}
