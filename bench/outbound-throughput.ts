/**
 * Outbound throughput: messages accepted by Tern's API until the simulator has accepted them
 * all, on SQLite and on PostgreSQL, through the batch API and the single-message API.
 *
 *   npx tsx bench/outbound-throughput.ts [--messages 20000] [--single 3000] [--pg postgres://…]
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
import pg from 'pg';
import { request } from 'undici';
import { startSimulator, startTern, ternApi, type Child } from './lib/processes.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    single: { type: 'string', default: '3000' },
    pg: {
      type: 'string',
      default:
        process.env.TERN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tern_bench',
    },
    'no-pg': { type: 'boolean', default: false },
  },
});
const TOTAL = Number(values.messages);
const SINGLE = Number(values.single);
const KEY = 'bench-outbound-key-000000000000';
const TOKEN = 'bench-admin-token-0123456789';

const api = <T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown) =>
  ternApi<T>(base, TOKEN, method, path, body);

async function simulatorAccepted(sim: Child): Promise<number> {
  const res = await request(`${sim.url}/__sim/state`);
  return ((await res.body.json()) as { messages: number }).messages;
}

async function run(label: string, databaseUrl: string): Promise<string[]> {
  const sim = await startSimulator(KEY, ['--dlr-delay-ms', '3600000']);
  const tern = await startTern({
    DATABASE_URL: databaseUrl,
    TERN_ADMIN_TOKEN: TOKEN,
    TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
    TERN_SEND_BATCH_SIZE: '1000',
  });
  const lines: string[] = [];
  try {
    const credential = await api<{ id: string }>(tern.url, 'POST', '/api/v1/credentials', {
      name: 'bench',
      baseUrl: sim.url,
      apiKey: KEY,
      sendRatePerSecond: 10_000,
    });
    const channel = await api<{ id: string }>(tern.url, 'POST', '/api/v1/channel-configurations', {
      name: 'bench',
      credentialId: credential.id,
      sender: 'TERN',
    });
    const message = (i: number) => ({
      channelConfigurationId: channel.id,
      to: `+1415${String(5_000_000 + i).padStart(7, '0')}`,
      text: `Bench message ${i}`,
    });

    const measure = async (name: string, count: number, send: () => Promise<void>) => {
      const before = await simulatorAccepted(sim);
      const start = performance.now();
      await send();
      const accepted = performance.now();
      while ((await simulatorAccepted(sim)) < before + count) {
        if (performance.now() - start > 600_000)
          throw new Error('timed out waiting for the provider');
        await new Promise((r) => setTimeout(r, 20));
      }
      const done = performance.now();
      const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');
      lines.push(
        `${label.padEnd(10)} ${name.padEnd(7)} ${String(count).padStart(6)} msgs   API accept ${rate(count, accepted - start).padStart(7)} msg/s   end to end ${rate(count, done - start).padStart(7)} msg/s`,
      );
    };

    // Batch API: 1,000 messages a request, 4 requests in flight.
    let next = 0;
    await measure('batch', TOTAL, async () => {
      const worker = async () => {
        while (next < TOTAL) {
          const from = next;
          next += 1000;
          const messages = Array.from({ length: Math.min(1000, TOTAL - from) }, (_, k) =>
            message(from + k),
          );
          const res = await api<{ refused: number }>(tern.url, 'POST', '/api/v1/messages/batch', {
            messages,
          });
          if (res.refused > 0) throw new Error(`${res.refused} refused`);
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
    });

    // Single API: one message a request, 50 in flight.
    let n = 0;
    await measure('single', SINGLE, async () => {
      const worker = async () => {
        while (n < SINGLE) {
          const i = TOTAL + n++;
          await api(tern.url, 'POST', '/api/v1/messages', message(i));
        }
      };
      await Promise.all(Array.from({ length: 50 }, worker));
    });
    const state = (await (await request(`${sim.url}/__sim/state`)).body.json()) as {
      duplicateCount: number;
    };
    lines.push(`${label.padEnd(10)} duplicates at the provider: ${state.duplicateCount}`);
  } finally {
    await tern.stop();
    await sim.stop();
  }
  return lines;
}

async function main() {
  const results: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-'));
  try {
    results.push(...(await run('SQLite', join(dir, 'tern.db'))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!values['no-pg']) {
    const url = new URL(values.pg);
    const database = url.pathname.slice(1);
    const admin = new pg.Client({
      connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString(),
    });
    await admin.connect();
    await admin.query(`drop database if exists ${database}`);
    await admin.query(`create database ${database}`);
    await admin.end();
    results.push(...(await run('PostgreSQL', url.toString())));
  }
  console.log(
    `\nOutbound throughput (${TOTAL} batch + ${SINGLE} single messages, reports held back)\n`,
  );
  for (const line of results) console.log(line);
}

await main();
