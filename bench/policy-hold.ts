/**
 * A quiet-hours hold and its release at volume (issue 16's figures): 100,000 marketing texts to
 * Florida numbers accepted through the batch API's service at 20:30 Eastern (all held until
 * 08:00), then the clock set to the window's start and run 10× faster than wall time while the
 * send worker releases them to the simulator. Measured: the accept rate with the policy, how
 * long the release takes in wall time, and the provider's rate over 1 s windows against the
 * credential's rate (the worker's token bucket paces the release; the jitter spreads the due
 * times over the window's first 10 minutes, 1 minute of wall time at 10×).
 *
 *   npx tsx bench/policy-hold.ts [--messages 100000] [--rate 2000] [--no-pg] [--pg postgres://…]
 *                                [--docs]
 *
 * In-process (Tern's services, the worker and the simulator in one node process), so that the
 * clock can be moved: `tern serve` runs on the system clock. `--docs` writes this benchmark's
 * section of docs/benchmarks.md (between its markers) and nothing else.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Clock } from '../src/clock.js';
import { parseConfig } from '../src/config.js';
import { Keyring, secretKey } from '../src/crypto/secret-box.js';
import { openDatabase, type Db } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { SendWorker } from '../src/messages/worker.js';
import { verifyConnection } from '../src/providers/registry.js';
import { createServices } from '../src/services.js';
import { createSimulator } from '../simulator/src/index.js';
import { commitMeasured } from './lib/machine.js';
import { count, progress } from './lib/progress.js';
import { DEFAULT_PG_URL, freshPostgresDatabase, isMain } from './lib/script.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

export interface PolicyHoldOptions {
  messages: number;
  /** The credential's send rate, messages a second. */
  rate: number;
  postgresUrl: string | null;
}

export interface PolicyHoldFigures {
  database: 'SQLite' | 'PostgreSQL';
  messages: number;
  rate: number;
  acceptSeconds: number;
  held: number;
  /** Wall seconds from the window's start to the last message at the provider. */
  releaseSeconds: number;
  /** Wall seconds until the first message reached the provider after the window opened. */
  firstSeconds: number;
  /** Provider rate over the whole 1 s windows of the release (messages a second). */
  meanRate: number;
  fastestWindow: number;
  /** The same past the first second (which carries the token bucket's one-second reserve). */
  fastestAfterFirst: number;
  sent: number;
  /** Messages at the provider before the window's start (must be 0). */
  early: number;
}

const SIM_KEY = 'bench-policy-key-0000000000000000';
const EVENING = Date.parse('2026-12-03T01:30:00.000Z'); // 20:30 in New York and Miami
const WINDOW_OPENS = Date.parse('2026-12-03T13:00:00.000Z'); // 08:00 EST
const SPEED = 10;

/** A clock that stands still until told to run, then runs `speed` times faster than wall time. */
class BenchClock implements Clock {
  private base = EVENING;
  private startedAt: number | null = null;
  private speed = 1;
  now(): Date {
    return new Date(
      this.startedAt === null
        ? this.base
        : this.base + (performance.now() - this.startedAt) * this.speed,
    );
  }
  set(at: number): void {
    this.base = at;
    this.startedAt = null;
  }
  run(from: number, speed: number): void {
    this.base = from;
    this.speed = speed;
    this.startedAt = performance.now();
  }
}

async function runOne(db: Db, options: PolicyHoldOptions): Promise<PolicyHoldFigures> {
  const database = db.capabilities.name === 'postgres' ? 'PostgreSQL' : 'SQLite';
  progress.benchmark(`Quiet-hours hold and release, ${database} (${count(options.messages)})`);
  await migrateToLatest(db);
  const clock = new BenchClock();
  const sim = await createSimulator({
    apiKeys: [SIM_KEY],
    outcomeRules: [],
    // Reports held back: the send path is measured alone.
    reportDelayMs: 3_600_000,
    clock: () => clock.now().getTime(),
  });
  const simUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
  const config = parseConfig({
    TERN_PUBLIC_URL: 'http://tern.bench',
    TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
    LOG_LEVEL: 'warn',
  });
  const logger = createLogger('warn');
  const services = createServices({
    config,
    db,
    clock,
    keyring: new Keyring(secretKey(Buffer.alloc(32, 0x17))),
    checkConnection: (baseUrl, apiKey) =>
      verifyConnection('infobip', { baseUrl, apiKey, allowLoopback: true }),
  });
  await services.sandboxes.ensure('prod');
  const stored = await services.credentials.create('prod', SYSTEM_ACTOR, {
    name: 'sim',
    baseUrl: simUrl,
    apiKey: SIM_KEY,
    sendRatePerSecond: options.rate,
  });
  const channel = await services.channels.create('prod', SYSTEM_ACTOR, {
    name: 'promo',
    credentialId: stored.credential.id,
    sender: 'TERNSHOP',
    messageType: 'marketing',
    marketingFooter: 'Reply STOP to opt out',
  });

  progress.step(`${database}: accepting ${count(options.messages)} marketing texts at 20:30`);
  const acceptStarted = performance.now();
  let held = 0;
  for (let i = 0; i < options.messages; i += 1000) {
    const inputs = Array.from({ length: Math.min(1000, options.messages - i) }, (_, j) => ({
      channelConfigurationId: channel.id,
      to: `+1305${String(2_000_000 + i + j).padStart(7, '0')}`,
      text: 'Winter sale: 20% off until Sunday.',
    }));
    const outcomes = await services.messages.sendMany('prod', inputs);
    held += outcomes.filter((o) => o.ok && o.message.policy?.action === 'held').length;
  }
  const acceptSeconds = (performance.now() - acceptStarted) / 1000;

  const worker = new SendWorker(
    {
      db,
      clock,
      logger,
      credentials: services.credentials,
      sandboxes: services.sandboxes,
      publicUrl: 'http://tern.bench',
      policy: services.policy,
    },
    { allowLoopbackProvider: true, batchSize: 500 },
  );
  worker.start();
  // The evening passes: nothing may leave before 08:00.
  clock.set(WINDOW_OPENS - 1000);
  await new Promise((r) => setTimeout(r, 1500));
  const early = sim.messages().length;

  progress.step(`${database}: window opens, clock at ${SPEED}×, credential ${options.rate}/s`);
  clock.run(WINDOW_OPENS, SPEED);
  const started = performance.now();
  const samples: number[] = [];
  let first: number | null = null;
  const deadline = started + (options.messages / options.rate) * 4000 + 120_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const n = sim.messages().length;
    samples.push(n);
    if (first === null && n > early) first = (performance.now() - started) / 1000;
    if (n >= options.messages || performance.now() > deadline) break;
  }
  const releaseSeconds = (performance.now() - started) / 1000;
  await worker.stop();
  await sim.close();
  const perWindow = samples.map((n, i) => n - (i === 0 ? early : (samples[i - 1] ?? 0)));
  const sent = samples[samples.length - 1] ?? 0;
  return {
    database,
    messages: options.messages,
    rate: options.rate,
    acceptSeconds,
    held,
    releaseSeconds,
    firstSeconds: first ?? releaseSeconds,
    meanRate: (sent - early) / releaseSeconds,
    fastestWindow: Math.max(...perWindow),
    fastestAfterFirst: Math.max(0, ...perWindow.slice(1)),
    sent,
    early,
  };
}

/** Runs the benchmark on SQLite, then on PostgreSQL unless `postgresUrl` is null. */
export async function policyHoldBenchmark(
  options: PolicyHoldOptions,
): Promise<PolicyHoldFigures[]> {
  const figures: PolicyHoldFigures[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-policy-'));
  try {
    const db = openDatabase(join(dir, 'tern.db'));
    try {
      figures.push(await runOne(db, options));
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (options.postgresUrl !== null) {
    const db = openDatabase(await freshPostgresDatabase(options.postgresUrl));
    try {
      figures.push(await runOne(db, options));
    } finally {
      await db.close();
    }
  }
  return figures;
}

/** The lines of this benchmark's section of docs/benchmarks.md. */
export function policyHoldLines(figures: PolicyHoldFigures[]): string[] {
  const rows = figures.map(
    (f) =>
      `| ${f.database} | ${count(f.messages)} | ${count(f.held)} held in ${f.acceptSeconds.toFixed(1)} s (${count(Math.round(f.messages / f.acceptSeconds))}/s) | ${f.early} | ${f.firstSeconds.toFixed(1)} s | ${f.releaseSeconds.toFixed(1)} s | ${count(Math.round(f.meanRate))}/s | ${count(f.fastestWindow)} (${count(f.fastestAfterFirst)} after the first) | ${count(f.rate)}/s | ${count(f.sent)} |`,
  );
  return [
    '| database | messages | accepted at 20:30 Eastern | sent before 08:00 | first at the provider | release (wall) | mean rate | fastest 1 s | credential rate | sent |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

const START = '<!-- policy-hold:start -->';
const END = '<!-- policy-hold:end -->';

/** docs/benchmarks.md with this benchmark's section (between its markers) replaced or added. */
export function replacePolicyHoldSection(markdown: string, figures: PolicyHoldFigures[]): string {
  const section = [
    START,
    '## Quiet-hours hold and release (bench/policy-hold.ts)',
    '',
    `Marketing texts to Florida numbers accepted at 20:30 Eastern through the send service (all held until 08:00 by \`us-fl\`), then the clock set to 08:00 and run ${SPEED}× faster than wall time while the send worker releases them to the simulator (in one process; reports held back). Each held text is due at 08:00 plus a jitter drawn per number over the first 10 minutes (1 minute of wall time at ${SPEED}×), and the worker's token bucket holds the credential's rate. The release lasts the backlog over the credential's rate (100,000 / 1,000 = 100 s), not the jitter's minute; the mean rate is the credential's, while single sampled seconds reach 1.6–1.7× it because the worker claims 500 at a time from a bucket that keeps one second's reserve (a slow provider call followed by two claims lands 1,500 in one sample). Accepting goes through the batch API's service, 1,000 a request, with one grouped cap count per request. Measured at ${commitMeasured()}.`,
    '',
    ...policyHoldLines(figures),
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
      messages: { type: 'string', default: '100000' },
      rate: { type: 'string', default: '2000' },
      pg: { type: 'string', default: DEFAULT_PG_URL },
      'no-pg': { type: 'boolean', default: false },
      docs: { type: 'boolean', default: false },
    },
  });
  const figures = await policyHoldBenchmark({
    messages: Number(values.messages),
    rate: Number(values.rate),
    postgresUrl: values['no-pg'] ? null : values.pg,
  });
  console.log(policyHoldLines(figures).join('\n'));
  if (values.docs) {
    const path = resolve('docs/benchmarks.md');
    writeFileSync(path, replacePolicyHoldSection(readFileSync(path, 'utf8'), figures));
  }
}
