/**
 * Inbound (MO) webhook throughput of Tern with full processing, next to a bare Fastify handler.
 *
 *   npx tsx bench/inbound-throughput.ts [--seconds 10] [--connections 50] [--rate 1000]
 *                                       [--database <sqlite path | postgres://…>]
 *
 * Each server runs in a child process (so that the load generator does not share its event
 * loop). Tern gets one MO_JSON_2 text per POST, each a new provider messageId from one of
 * 5,000 numbers, with a mix of STOP / START / HELP / OFFERS / JOIN / free text, so every
 * request runs the full inbound path: authentication, routing, de-duplication, keyword rules,
 * profile and ledger, events and the queued reply, committed before the 200. Two measurements
 * per server: the most requests per second with `--connections` in flight, and p50/p99 latency
 * at a fixed `--rate` (open loop: latency counts from when a request was due, so a stall is not
 * hidden by requests that were never sent).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '1000' },
    database: { type: 'string' },
    serve: { type: 'string' },
  },
});

const NUMBER = '14155550100';
const TEXTS = ['STOP', 'START', 'HELP', 'OFFERS', 'JOIN', 'hello there', 'YES', 'what time?'];

async function serveBare(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.post('/webhook', () => ({ received: 1 }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening on ${url}/webhook`);
}

async function serveTern(database: string | undefined): Promise<void> {
  const { buildApp } = await import('../src/app.js');
  const { createAdminToken } = await import('../src/auth/admin-tokens.js');
  const { systemClock } = await import('../src/clock.js');
  const { parseConfig } = await import('../src/config.js');
  const { Keyring, secretKey } = await import('../src/crypto/secret-box.js');
  const { openDatabase } = await import('../src/db/database.js');
  const { migrateToLatest } = await import('../src/db/migrate.js');
  const { createLogger } = await import('../src/logger.js');
  const { createServices } = await import('../src/services.js');

  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-'));
  const url = database ?? join(dir, 'tern.db');
  // Limits off: this measures processing, not the protections in front of it.
  const config = parseConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    TERN_RATE_LIMIT_WEBHOOK_PER_MINUTE: '10000000',
    TERN_MAX_EVENT_LOOP_DELAY_MS: '0',
  });
  const db = openDatabase(url);
  await migrateToLatest(db);
  const keyring = new Keyring(secretKey(Buffer.alloc(32, 7)));
  await createAdminToken(db, systemClock, { name: 'bench' });
  const services = createServices({
    config,
    db,
    clock: systemClock,
    keyring,
    checkConnection: () => Promise.reject(new Error('not in the benchmark')),
  });
  await services.sandboxes.ensure('prod');
  const stored = await services.credentials.create('prod', 'bench', {
    name: `bench-${Date.now()}`,
    baseUrl: 'https://ggx5k8.api.infobip.com',
    apiKey: 'bench-key-0123456789abcdef',
    inboundNumber: `+${NUMBER}`,
    doubleOptInKeywords: 'JOIN',
    customInboundKeywords: 'OFFERS',
    defaultInboundReply: 'Thanks! Reply HELP for help.',
  });
  const webhook = new URL(services.credentials.view(stored).webhooks.inbound.url).pathname;
  const app = await buildApp({
    config,
    db,
    clock: systemClock,
    logger: createLogger('silent'),
    services,
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening on ${base}${webhook}`);
  const stop = () => {
    void app
      .close()
      .then(() => db.close())
      .finally(() => {
        if (!database) rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

async function start(kind: 'bare' | 'tern'): Promise<Server> {
  const args = ['--import', 'tsx', 'bench/inbound-throughput.ts', '--serve', kind];
  if (values.database) args.push('--database', values.database);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let sequence = 0;
function body(): string {
  sequence++;
  const from = String(14155000000 + (sequence % 5000));
  const text = TEXTS[sequence % TEXTS.length] ?? 'hello';
  return JSON.stringify({
    results: [
      {
        messageId: `bench-${process.pid}-${sequence}`,
        from,
        to: NUMBER,
        text,
        cleanText: '',
        keyword: text.split(' ')[0]?.toUpperCase() ?? '',
        receivedAt: '2026-11-25T12:00:00.000+0000',
        smsCount: 1,
        price: { pricePerMessage: 0, currency: 'EUR' },
      },
    ],
    messageCount: 1,
    pendingMessageCount: 0,
  });
}

async function post(pool: Pool, path: string): Promise<void> {
  const res = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: body(),
  });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
}

/** Closed loop: `connections` requests in flight at all times; requests/second after a warm-up. */
async function throughput(url: string, seconds: number, connections: number): Promise<number> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections, pipelining: 1 });
  let done = 0;
  let counting = false;
  const warmUpEnd = Date.now() + 1000;
  const end = warmUpEnd + seconds * 1000;
  let countStart = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        await post(pool, target.pathname);
        if (!counting && Date.now() >= warmUpEnd) {
          counting = true;
          countStart = Date.now();
        }
        if (counting) done++;
      }
    }),
  );
  const elapsed = (Date.now() - countStart) / 1000;
  await pool.close();
  return done / elapsed;
}

/** Open loop at a fixed rate: latency from when each request was due. */
async function latency(
  url: string,
  seconds: number,
  rate: number,
): Promise<{ p50: number; p99: number; max: number; errors: number; sent: number }> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 100, pipelining: 1 });
  const total = Math.round(seconds * rate);
  const intervalMs = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  const inflight: Promise<void>[] = [];
  const t0 = performance.now() + 50;
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    // Send every request that is due by now (a late timer fires several at once).
    while (sent < total && t0 + sent * intervalMs <= now) {
      const due = t0 + sent * intervalMs;
      sent++;
      inflight.push(
        post(pool, target.pathname).then(
          () => void latencies.push(performance.now() - due),
          () => void errors++,
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN, errors, sent };
}

async function main(): Promise<void> {
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const rate = Number(values.rate);
  const store = values.database?.startsWith('postgres')
    ? 'PostgreSQL'
    : 'SQLite (WAL, synchronous=NORMAL)';
  console.log(
    `inbound webhook benchmark: ${seconds}s per run, ${connections} connections, fixed rate ${rate}/s, store ${store}`,
  );
  for (const kind of ['bare', 'tern'] as const) {
    const server = await start(kind);
    try {
      const rps = await throughput(server.url, seconds, connections);
      const lat = await latency(server.url, seconds, rate);
      const name =
        kind === 'bare' ? 'bare Fastify POST handler' : 'Tern inbound webhook (full processing)';
      console.log(
        `${name.padEnd(40)} ${rps.toFixed(0).padStart(7)} req/s   at ${rate}/s: p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms, max ${lat.max.toFixed(1)} ms, errors ${lat.errors}/${lat.sent}`,
      );
    } finally {
      await server.stop();
    }
  }
}

if (values.serve === 'bare') await serveBare();
else if (values.serve === 'tern') await serveTern(values.database);
else await main();
