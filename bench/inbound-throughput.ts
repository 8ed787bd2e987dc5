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
 *
 * bench/flows.ts reuses it with automations (the flow runner on): `--keywords N` (the texts
 * rotate through N custom keywords, OFFERS and DEAL1…; the credential also has IDLE1…IDLE100)
 * and `--flows N` active flows (send, wait a day for a reply, branch, send), one per texted
 * keyword (`--flows-on texted`) or per IDLE keyword, with `--waiting-runs N` runs of other numbers
 * waiting for replies (`--flows-on idle`), to compare Tern with and without flows on the same
 * texts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  closedLoop,
  openLoop,
  poolFor,
  post,
  type LatencyResult,
  type LoopResult,
} from './lib/load.js';
import { count, progress, rate as formatRate } from './lib/progress.js';
import type * as AppModule from '../src/app.js';
import type * as AdminTokens from '../src/auth/admin-tokens.js';
import type * as ClockModule from '../src/clock.js';
import type * as ConfigModule from '../src/config.js';
import type * as SecretBox from '../src/crypto/secret-box.js';
import type * as DatabaseModule from '../src/db/database.js';
import type * as FlowRunnerModule from '../src/flows/flow-runner.js';
import type * as MigrateModule from '../src/db/migrate.js';
import type * as LoggerModule from '../src/logger.js';
import type * as ServicesModule from '../src/services.js';
import { assertBuildFresh } from '../test/helpers/processes.js';
import { isMain } from './lib/script.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

const NUMBER = '14155550100';
const TEXTS = ['STOP', 'START', 'HELP', 'OFFERS', 'JOIN', 'hello there', 'YES', 'what time?'];

/** The texted custom keywords: OFFERS, then DEAL1, DEAL2… */
export function customKeywords(n: number): string[] {
  return ['OFFERS', ...Array.from({ length: Math.max(0, n - 1) }, (_, i) => `DEAL${i + 1}`)];
}
/** Custom keywords no text uses, for flows that are active but not triggered. */
const IDLE_KEYWORDS = Array.from({ length: 100 }, (_, i) => `IDLE${i + 1}`);

/** Flows in the server (bench/flows.ts); absent: as before, no flow runner. */
export interface Automations {
  /** Custom keywords the texts rotate through. */
  keywords: number;
  flows: number;
  /** The flows' trigger keywords: the texted ones, or IDLE ones no text uses. */
  flowsOn: 'texted' | 'idle';
  /** Runs of other numbers, started before the load, waiting a day for a reply. */
  waitingRuns: number;
}

async function serveBare(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.post('/webhook', () => ({ received: 1 }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening on ${url}/webhook`);
}

/** Tern's modules from the build in dist/ (what `npm start` runs), typed by their sources. */
async function serveTern(
  database: string | undefined,
  automations: Automations | null,
): Promise<void> {
  assertBuildFresh();
  const built = <T>(path: string) => import(`../dist/src/${path}`) as Promise<T>;
  const { buildApp } = await built<typeof AppModule>('app.js');
  const { createAdminToken } = await built<typeof AdminTokens>('auth/admin-tokens.js');
  const { systemClock } = await built<typeof ClockModule>('clock.js');
  const { parseConfig } = await built<typeof ConfigModule>('config.js');
  const { Keyring, secretKey } = await built<typeof SecretBox>('crypto/secret-box.js');
  const { openDatabase } = await built<typeof DatabaseModule>('db/database.js');
  const { migrateToLatest } = await built<typeof MigrateModule>('db/migrate.js');
  const { createLogger } = await built<typeof LoggerModule>('logger.js');
  const { createServices } = await built<typeof ServicesModule>('services.js');
  const { FlowRunner } = await built<typeof FlowRunnerModule>('flows/flow-runner.js');

  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-'));
  const url = database ?? join(dir, 'tern.db');
  // Limits off: this measures processing, not the protections in front of it.
  const config = parseConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    TERN_RATE_LIMIT_WEBHOOK_PER_MINUTE: '10000000',
    TERN_INBOUND_REPLIES_PER_CREDENTIAL_PER_MINUTE: '10000000',
    // The per-number limit's ceiling is 1,000,000 an hour (src/config.ts).
    TERN_INBOUND_REPLIES_PER_NUMBER_PER_HOUR: '1000000',
    TERN_MAX_EVENT_LOOP_DELAY_MS: '0',
  });
  const db = openDatabase(url);
  await migrateToLatest(db);
  const keyring = new Keyring(secretKey(Buffer.alloc(32, 7)));
  const { token } = await createAdminToken(db, systemClock, { name: 'bench' });
  const services = createServices({
    config,
    db,
    clock: systemClock,
    keyring,
    checkConnection: () => Promise.reject(new Error('not in the benchmark')),
  });
  await services.sandboxes.ensure('prod');
  const stored = await services.credentials.create('prod', SYSTEM_ACTOR, {
    name: `bench-${Date.now()}`,
    baseUrl: 'https://ggx5k8.api.infobip.com',
    apiKey: 'bench-key-0123456789abcdef',
    inboundNumber: `+${NUMBER}`,
    doubleOptInKeywords: 'JOIN',
    customInboundKeywords: automations
      ? [...customKeywords(automations.keywords), ...IDLE_KEYWORDS]
      : customKeywords(1),
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
  // With automations, the flow runner runs (with or without flows), as in `tern serve`.
  const runner = automations
    ? await startFlows(app, token, stored.credential.id, automations, {
        start: () => {
          const flows = new FlowRunner({ db, clock: systemClock, engine: services.flowEngine });
          flows.start();
          return flows;
        },
        startRuns: (flowIds, count) =>
          db.kysely.transaction().execute(async (trx) => {
            for (let i = 0; i < count; i++)
              await services.flowEngine.startRun(trx, {
                sandbox: 'prod',
                flowId: flowIds[i % flowIds.length] ?? '',
                phone: `+1415${String(6_000_000 + i)}`,
                profileId: null,
                credentialId: stored.credential.id,
                trigger: 'bench',
              });
          }),
        due: async () =>
          Number(
            (
              await db.kysely
                .selectFrom('flow_runs')
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .where('status', '=', 'active')
                .where('due_at', '<=', new Date().toISOString())
                .executeTakeFirstOrThrow()
            ).n,
          ),
      })
    : null;
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening on ${base}${webhook}`);
  const stop = () => {
    void (runner?.stop() ?? Promise.resolve())
      .then(() => app.close())
      .then(() => db.close())
      .finally(() => {
        if (!database) rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * The flows through the API (send, wait a day for a reply, branch on it, send) on a
 * transactional channel, the waiting runs of other numbers, then the flow runner, once the
 * waiting runs' first steps are taken (none is due when the load starts).
 */
async function startFlows(
  app: Awaited<ReturnType<typeof AppModule.buildApp>>,
  token: string,
  credentialId: string,
  automations: Automations,
  runner: {
    start: () => { stop(): Promise<void> };
    startRuns: (flowIds: string[], count: number) => Promise<void>;
    due: () => Promise<number>;
  },
): Promise<{ stop(): Promise<void> }> {
  const call = async <T>(url: string, payload: Record<string, unknown>): Promise<T> => {
    const res = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}` },
      payload,
    });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };
  const channel = await call<{ id: string }>('/api/v1/channel-configurations', {
    name: 'bench-flows',
    credentialId,
    sender: 'TERN',
    messageType: 'transactional',
  });
  const template = (name: string, body: string) =>
    call<{ id: string }>('/api/v1/templates', { name, body, messageType: 'transactional' });
  const ask = await template('bench-ask', 'Did you find what you wanted? Reply with a word.');
  const thanks = await template('bench-thanks', 'Thanks for telling us.');
  const triggers =
    automations.flowsOn === 'texted' ? customKeywords(automations.keywords) : IDLE_KEYWORDS;
  const flowIds: string[] = [];
  for (const keyword of triggers.slice(0, automations.flows)) {
    const flow = await call<{ id: string }>('/api/v1/flows', {
      name: `bench ${keyword}`,
      status: 'active',
      definition: {
        trigger: { type: 'keyword', credentialId, keyword },
        channelConfigurationId: channel.id,
        steps: [
          { id: 'ask', type: 'send', templateId: ask.id },
          { id: 'listen', type: 'wait', seconds: 86_400, untilReply: true },
          {
            id: 'route',
            type: 'branch',
            cases: [{ match: { any: true }, goto: 'thanks' }],
            noReply: 'done',
          },
          { id: 'thanks', type: 'send', templateId: thanks.id },
          { id: 'done', type: 'end' },
        ],
      },
    });
    flowIds.push(flow.id);
  }
  if (automations.waitingRuns > 0 && flowIds.length > 0)
    await runner.startRuns(flowIds, automations.waitingRuns);
  const running = runner.start();
  for (let waited = 0; (await runner.due()) > 0; waited += 200) {
    if (waited > 300_000) throw new Error('the waiting runs took over 5 minutes to start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return running;
}

interface Server {
  url: string;
  /** The server's CPU time so far (user + system), ms; null where /proc is not there. */
  cpuMs(): number | null;
  stop(): Promise<void>;
}

/** A process's CPU time (user + system) in ms, from /proc (Linux); null elsewhere. */
function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Starts this script with `--serve kind` in a child process and waits for its URL. */
async function start(
  kind: 'bare' | 'tern',
  database: string | undefined,
  automations: Automations | null,
): Promise<Server> {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', kind];
  if (database) args.push('--database', database);
  if (automations)
    args.push(
      '--keywords',
      String(automations.keywords),
      '--flows',
      String(automations.flows),
      '--flows-on',
      automations.flowsOn,
      '--waiting-runs',
      String(automations.waitingRuns),
    );
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
    cpuMs: () => processCpuMs(child.pid),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

let sequence = 0;
/** The keywords OFFERS rotates through (customKeywords). */
let keywords = ['OFFERS'];
function body(): string {
  sequence++;
  // With several keywords (bench/flows.ts), a number's texts shift through the mix each round
  // (5,000 is a multiple of the 8 texts: without the shift a number always sends the same one),
  // so a number that started a run later replies, texts STOP, START or HELP, or another keyword.
  const shift = keywords.length > 1 ? Math.floor(sequence / 5000) : 0;
  const from = String(14155000000 + ((sequence + shift) % 5000));
  const base = TEXTS[sequence % TEXTS.length] ?? 'hello';
  const text =
    base === 'OFFERS'
      ? (keywords[Math.floor(sequence / TEXTS.length) % keywords.length] ?? base)
      : base;
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

/**
 * Closed loop: `connections` requests in flight at all times; requests/second after a 1 s
 * warm-up, and every request counted in `sent` (for the server's CPU per request).
 */
async function throughput(
  url: string,
  seconds: number,
  connections: number,
  sent: { n: number },
): Promise<LoopResult> {
  const pool = poolFor(url, connections);
  const path = new URL(url).pathname;
  const started = performance.now();
  try {
    return await closedLoop({
      concurrency: connections,
      seconds,
      warmUpSeconds: 1,
      task: async () => {
        await post(pool, path, body());
        sent.n++;
      },
      onProgress: (done) =>
        progress.timed(
          (performance.now() - started) / 1000 - 1,
          seconds,
          `${count(done)} requests`,
        ),
    });
  } finally {
    await pool.close();
  }
}

/** Open loop at a fixed rate (100 connections): latency from when each request was due. */
async function latency(url: string, seconds: number, rate: number): Promise<LatencyResult> {
  const pool = poolFor(url, 100);
  const path = new URL(url).pathname;
  try {
    return await openLoop({
      rate,
      seconds,
      task: () => post(pool, path, body()),
      onProgress: (sent) => progress.timed(sent / rate, seconds, `${count(sent)} sent`),
    });
  } finally {
    await pool.close();
  }
}

/** One server's figures. */
export interface HandlerFigures {
  /** Requests per second with `connections` in flight. */
  requestsPerSecond: number;
  /** Latency at the fixed rate, in milliseconds. */
  latency: LatencyResult;
  /**
   * The server's CPU time per request during the throughput run, µs (null without /proc): on a
   * machine shared with other work it moves less than the throughput does.
   */
  cpuMicrosPerRequest: number | null;
}

export interface InboundFigures {
  /** `SQLite` or `PostgreSQL`. */
  database: 'SQLite' | 'PostgreSQL';
  seconds: number;
  connections: number;
  rate: number;
  bare: HandlerFigures;
  tern: HandlerFigures;
}

export interface InboundOptions {
  /** Seconds of each measurement (after a 1 s warm-up for the throughput). */
  seconds: number;
  connections: number;
  /** The fixed rate of the latency measurement, requests per second. */
  rate: number;
  /** A SQLite path or a postgres:// URL; a fresh SQLite file when absent. */
  database?: string;
  /** Only Tern's server (the bare reference is skipped; its figures are then Tern's). */
  only?: 'tern';
  /** Flows in the server, and the flow runner (absent: neither). */
  automations?: Automations;
}

/** The bare Fastify handler, then Tern's inbound webhook: throughput, then latency at a fixed rate. */
export async function inboundThroughput(options: InboundOptions): Promise<InboundFigures> {
  const { seconds, connections, rate, database } = options;
  const store = database?.startsWith('postgres') ? 'PostgreSQL' : 'SQLite';
  const automations = options.automations ?? null;
  keywords = customKeywords(automations?.keywords ?? 1);
  const measured: Partial<Record<'bare' | 'tern', HandlerFigures>> = {};
  for (const kind of options.only ? [options.only] : (['bare', 'tern'] as const)) {
    progress.benchmark(
      kind === 'bare'
        ? 'Bare Fastify POST handler (the reference)'
        : `Inbound webhooks on ${store}: full processing, one text per POST` +
            (automations
              ? `, ${automations.flows} active flows (${automations.flowsOn}), ${automations.waitingRuns} waiting runs`
              : ''),
    );
    progress.step(`starting the ${kind === 'bare' ? 'bare Fastify' : 'Tern'} server`);
    const server = await start(kind, database, automations);
    try {
      progress.step(`throughput: ${connections} connections, ${seconds} s after a 1 s warm-up`);
      const cpuBefore = server.cpuMs();
      const sent = { n: 0 };
      const loop = await throughput(server.url, seconds, connections, sent);
      const cpuAfter = server.cpuMs();
      const cpuMicrosPerRequest =
        cpuBefore === null || cpuAfter === null || sent.n === 0
          ? null
          : ((cpuAfter - cpuBefore) * 1000) / sent.n;
      progress.result(
        `${formatRate(loop.rate)} req/s` +
          (cpuMicrosPerRequest === null
            ? ''
            : `, server CPU ${cpuMicrosPerRequest.toFixed(0)} µs/request`),
      );
      progress.step(`latency: ${rate} requests/s for ${seconds} s`);
      const lat = await latency(server.url, seconds, rate);
      progress.result(
        `p50 ${lat.p50.toFixed(2)} ms, p99 ${lat.p99.toFixed(2)} ms, errors ${lat.errors}/${lat.sent}`,
      );
      measured[kind] = { requestsPerSecond: loop.rate, latency: lat, cpuMicrosPerRequest };
    } finally {
      await server.stop();
    }
  }
  measured.bare ??= measured.tern;
  if (!measured.bare || !measured.tern) throw new Error('unreachable');
  return { database: store, seconds, connections, rate, bare: measured.bare, tern: measured.tern };
}

/** The figures as the lines this script prints. */
export function inboundLines(f: InboundFigures): string[] {
  const line = (name: string, h: HandlerFigures) =>
    `${name.padEnd(40)} ${h.requestsPerSecond.toFixed(0).padStart(7)} req/s   at ${f.rate}/s: p50 ${h.latency.p50.toFixed(2)} ms, p99 ${h.latency.p99.toFixed(2)} ms, max ${h.latency.max.toFixed(1)} ms, errors ${h.latency.errors}/${h.latency.sent}`;
  return [
    `inbound webhook benchmark: ${f.seconds}s per run, ${f.connections} connections, fixed rate ${f.rate}/s, store ${f.database === 'SQLite' ? 'SQLite (WAL, synchronous=NORMAL)' : f.database}`,
    line('bare Fastify POST handler', f.bare),
    line('Tern inbound webhook (full processing)', f.tern),
  ];
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      rate: { type: 'string', default: '1000' },
      database: { type: 'string' },
      serve: { type: 'string' },
      keywords: { type: 'string' },
      flows: { type: 'string' },
      'flows-on': { type: 'string' },
      'waiting-runs': { type: 'string' },
    },
  });
  if (values.serve === 'bare') await serveBare();
  else if (values.serve === 'tern')
    await serveTern(
      values.database,
      values.keywords === undefined
        ? null
        : {
            keywords: Number(values.keywords),
            flows: Number(values.flows ?? 0),
            flowsOn: values['flows-on'] === 'idle' ? 'idle' : 'texted',
            waitingRuns: Number(values['waiting-runs'] ?? 0),
          },
    );
  else {
    const figures = await inboundThroughput({
      seconds: Number(values.seconds),
      connections: Number(values.connections),
      rate: Number(values.rate),
      ...(values.database ? { database: values.database } : {}),
    });
    for (const line of inboundLines(figures)) console.log(line);
  }
}
