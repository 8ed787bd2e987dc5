/**
 * The references of the single-message API (issue 14): what one JSON message per POST costs
 * without Tern, measured with the same client as Tern's single API (bench/lib/load.ts postLoad).
 *
 *   npx tsx bench/references.ts [--seconds 10] [--connections 50] [--redis redis://127.0.0.1:6379]
 *
 * (a) a bare Fastify POST handler; (b) Fastify + one SQLite insert per request (better-sqlite3,
 * WAL, synchronous=NORMAL); (c) "what a team would build instead": Fastify adds a BullMQ job per
 * POST (Redis), and a BullMQ Worker in its own process calls a bare fake provider over HTTP, one
 * call per job. Every server runs in its own child process; this process is the client. Prints
 * accepted/s and p50/p99 for each, and for BullMQ the end-to-end rate (first request → the
 * provider has received every accepted message).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Pool, request } from 'undici';
import { postLoad, type PostLoadResult } from './lib/load.js';
import { count, progress } from './lib/progress.js';
import { isMain } from './lib/script.js';

export type ReferenceKind = 'bare' | 'sqlite' | 'bullmq';

/** One reference's figures. */
export interface ReferenceFigures {
  kind: ReferenceKind;
  name: string;
  load: PostLoadResult;
  /** Messages per second, first request → the provider has them all; null without a provider. */
  endToEndPerSecond: number | null;
}

export interface ReferenceOptions {
  seconds: number;
  connections: number;
  redisUrl: string;
}

export const REFERENCE_NAMES: Record<ReferenceKind, string> = {
  bare: 'Bare Fastify POST handler',
  sqlite: 'Fastify + one SQLite insert per request (WAL, NORMAL)',
  bullmq: 'Fastify + BullMQ (Redis) + one provider call per job',
};

/** The POST body of every single-message comparison (Tern's send body has the same fields). */
export function referenceMessage(i: number): string {
  return JSON.stringify({
    to: `+1415${String(5_000_000 + (i % 4_000_000)).padStart(7, '0')}`,
    text: `Bench message ${i}`,
  });
}

const QUEUE = 'tern-bench-send';
/** Jobs the worker runs at once: enough to hide the provider's round trip (~1 ms) behind Redis's. */
const WORKER_CONCURRENCY = 50;

function redisConnection(url: string) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
}

async function listen(app: FastifyInstance): Promise<void> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening on ${url}`);
  const stop = () => void app.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function serve(kind: string, args: { database?: string; redis: string; provider?: string }) {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  switch (kind) {
    case 'bare':
      app.post('/messages', () => ({ id: randomUUID(), status: 'queued' }));
      return listen(app);
    case 'sqlite': {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(args.database ?? ':memory:');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(
        'create table if not exists messages (id text primary key, to_number text not null, text text not null, status text not null, created_at text not null)',
      );
      const insert = db.prepare(
        'insert into messages (id, to_number, text, status, created_at) values (?, ?, ?, ?, ?)',
      );
      app.post<{ Body: { to: string; text: string } }>('/messages', (req) => {
        const id = randomUUID();
        insert.run(id, req.body.to, req.body.text, 'queued', new Date().toISOString());
        return { id, status: 'queued' };
      });
      app.addHook('onClose', () => db.close());
      return listen(app);
    }
    case 'provider': {
      // The bare fake provider: answers every send at once and counts them.
      let received = 0;
      app.post('/send', () => ({ messageId: randomUUID(), status: 'accepted', n: ++received }));
      app.get('/count', () => ({ received }));
      return listen(app);
    }
    case 'bullmq-api': {
      const { Queue } = await import('bullmq');
      const queue = new Queue(QUEUE, { connection: redisConnection(args.redis) });
      app.post<{ Body: { to: string; text: string } }>('/messages', async (req) => {
        const job = await queue.add('send', req.body, { removeOnComplete: true });
        return { id: job.id, status: 'queued' };
      });
      app.addHook('onClose', () => queue.close());
      return listen(app);
    }
    case 'bullmq-worker': {
      const { Worker } = await import('bullmq');
      const provider = new URL(args.provider ?? 'http://127.0.0.1:1');
      const pool = new Pool(provider.origin, { connections: WORKER_CONCURRENCY });
      const worker = new Worker(
        QUEUE,
        async (job) => {
          const res = await pool.request({
            method: 'POST',
            path: '/send',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(job.data),
          });
          if (res.statusCode !== 200) throw new Error(`provider: HTTP ${res.statusCode}`);
          await res.body.dump();
        },
        { connection: redisConnection(args.redis), concurrency: WORKER_CONCURRENCY },
      );
      await worker.waitUntilReady();
      console.log('listening on worker://ready');
      const stop = () =>
        void worker
          .close()
          .then(() => pool.close())
          .finally(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      return;
    }
    default:
      throw new Error(`unknown --serve ${kind}`);
  }
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** Starts this script with `--serve kind` in a child process and waits for its URL. */
async function start(kind: string, extra: string[] = []): Promise<Server> {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', kind, ...extra];
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function providerCount(url: string): Promise<number> {
  const res = await request(`${url}/count`);
  return ((await res.body.json()) as { received: number }).received;
}

/** Drops the benchmark's queue left by an earlier run (jobs, counters, events). */
async function emptyQueue(redisUrl: string): Promise<void> {
  const { Queue } = await import('bullmq');
  const queue = new Queue(QUEUE, { connection: redisConnection(redisUrl) });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}

async function load(url: string, options: ReferenceOptions): Promise<PostLoadResult> {
  progress.step(`${options.connections} connections, ${options.seconds} s`);
  const result = await postLoad({
    url,
    path: '/messages',
    connections: options.connections,
    seconds: options.seconds,
    body: referenceMessage,
    onProgress: (elapsed, n) => progress.timed(elapsed, options.seconds, `${count(n)} accepted`),
  });
  progress.result(
    `${count(result.acceptedPerSecond)} accepted/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(1)} ms, ${result.errors} errors`,
  );
  return result;
}

async function measureBullmq(options: ReferenceOptions): Promise<ReferenceFigures> {
  await emptyQueue(options.redisUrl);
  const provider = await start('provider');
  const servers: Server[] = [provider];
  try {
    servers.push(
      await start('bullmq-worker', ['--redis', options.redisUrl, '--provider', provider.url]),
    );
    const api = await start('bullmq-api', ['--redis', options.redisUrl]);
    servers.push(api);
    const started = performance.now();
    const result = await load(api.url, options);
    progress.step('waiting for the provider');
    for (;;) {
      const received = await providerCount(provider.url);
      progress.count(received, result.accepted, 'at the provider');
      if (received >= result.accepted) break;
      if (performance.now() - started > 600_000) throw new Error('BullMQ worker: timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
    const endToEnd = (result.accepted / (performance.now() - started)) * 1000;
    progress.result(`end to end ${count(endToEnd)} msg/s`);
    return {
      kind: 'bullmq',
      name: REFERENCE_NAMES.bullmq,
      load: result,
      endToEndPerSecond: endToEnd,
    };
  } finally {
    for (const s of servers.reverse()) await s.stop();
    await emptyQueue(options.redisUrl);
  }
}

/** The three references, one after the other, each server in its own process. */
export async function references(options: ReferenceOptions): Promise<ReferenceFigures[]> {
  const figures: ReferenceFigures[] = [];
  for (const kind of ['bare', 'sqlite'] as const) {
    progress.benchmark(`Reference: ${REFERENCE_NAMES[kind]}`);
    const dir = mkdtempSync(join(tmpdir(), 'tern-bench-ref-'));
    const server = await start(kind, kind === 'sqlite' ? ['--database', join(dir, 'ref.db')] : []);
    try {
      const result = await load(server.url, options);
      figures.push({ kind, name: REFERENCE_NAMES[kind], load: result, endToEndPerSecond: null });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  progress.benchmark(`Reference: ${REFERENCE_NAMES.bullmq}`);
  figures.push(await measureBullmq(options));
  return figures;
}

/** The figures as the lines this script prints. */
export function referenceLines(figures: readonly ReferenceFigures[]): string[] {
  return figures.map(
    (f) =>
      `${f.name.padEnd(56)} ${count(f.load.acceptedPerSecond).padStart(7)} accepted/s   p50 ${f.load.p50.toFixed(2)} ms   p99 ${f.load.p99.toFixed(1)} ms` +
      (f.endToEndPerSecond === null ? '' : `   end to end ${count(f.endToEndPerSecond)} msg/s`),
  );
}

export const DEFAULT_REDIS_URL = process.env.TERN_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      redis: { type: 'string', default: DEFAULT_REDIS_URL },
      serve: { type: 'string' },
      database: { type: 'string' },
      provider: { type: 'string' },
    },
  });
  if (values.serve !== undefined) {
    await serve(values.serve, {
      redis: values.redis,
      ...(values.database ? { database: values.database } : {}),
      ...(values.provider ? { provider: values.provider } : {}),
    });
  } else {
    const figures = await references({
      seconds: Number(values.seconds),
      connections: Number(values.connections),
      redisUrl: values.redis,
    });
    console.log(
      `\nSingle-message references (${values.connections} connections, ${values.seconds} s, one JSON message per POST)\n`,
    );
    for (const line of referenceLines(figures)) console.log(line);
  }
}
