/**
 * Outbound throughput: messages accepted by Tern's API until the simulator has accepted them
 * all, on SQLite and on PostgreSQL, through the batch API and the single-message API.
 *
 *   npx tsx bench/outbound-throughput.ts [--messages 10000] [--single 2000] [--pg postgres://…]
 *                                        [--no-pg]
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
import { count, progress } from './lib/progress.js';
import { benchDatabaseName, DEFAULT_PG_URL, freshPostgresDatabase, isMain } from './lib/script.js';
import {
  sendBatches,
  sendSingles,
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
  /** Messages the provider received twice during this measurement. */
  duplicates: number;
}

export interface OutboundOptions {
  /** Messages through the batch API (1,000 a request, 4 in flight). */
  batchMessages: number;
  /** Messages through the single API (one a request, 50 in flight). */
  singleMessages: number;
  /** PostgreSQL URL (its database is dropped and created), or null for SQLite only. */
  postgresUrl: string | null;
}

async function measure(
  stack: Stack,
  database: Database,
  api: 'batch' | 'single',
  first: number,
  messages: number,
): Promise<OutboundFigures> {
  const before = await simulatorState(stack);
  progress.step(`${api} API: ${count(messages)} messages`);
  const start = performance.now();
  const send = api === 'batch' ? sendBatches : sendSingles;
  const loop = await send(stack, first, messages, (n) => progress.count(n, messages, 'accepted'));
  const accepted = performance.now();
  progress.step('waiting for the provider');
  const done = await waitForProvider(stack, before.messages + messages, (n) =>
    progress.count(n - before.messages, messages, 'at the provider'),
  );
  const after = await simulatorState(stack);
  const perSecond = (ms: number) => (messages / ms) * 1000;
  const figures: OutboundFigures = {
    database,
    api,
    messages,
    messagesPerRequest: api === 'batch' ? 1000 : 1,
    inFlight: api === 'batch' ? 4 : 50,
    requestsPerSecond: (loop.completed / (accepted - start)) * 1000,
    acceptPerSecond: perSecond(accepted - start),
    endToEndPerSecond: perSecond(done - start),
    duplicates: after.duplicateCount - before.duplicateCount,
  };
  progress.result(
    `API accept ${count(figures.acceptPerSecond)} msg/s, end to end ${count(figures.endToEndPerSecond)} msg/s, ${figures.duplicates} duplicates`,
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
      await measure(stack, database, 'batch', 0, options.batchMessages),
      await measure(stack, database, 'single', options.batchMessages, options.singleMessages),
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
      `${f.database.padEnd(10)} ${f.api.padEnd(7)} ${String(f.messages).padStart(6)} msgs   API accept ${count(f.acceptPerSecond).padStart(7)} msg/s   end to end ${count(f.endToEndPerSecond).padStart(7)} msg/s   duplicates at the provider ${f.duplicates}`,
  );
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '10000' },
      single: { type: 'string', default: '2000' },
      pg: { type: 'string', default: DEFAULT_PG_URL },
      'no-pg': { type: 'boolean', default: false },
    },
  });
  const options: OutboundOptions = {
    batchMessages: Number(values.messages),
    singleMessages: Number(values.single),
    postgresUrl: values['no-pg'] ? null : values.pg,
  };
  const figures = await outboundThroughput(options);
  console.log(
    `\nOutbound throughput (${options.batchMessages} batch + ${options.singleMessages} single messages, reports held back)\n`,
  );
  for (const line of outboundLines(figures)) console.log(line);
}
