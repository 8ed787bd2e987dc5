import type { FastifyInstance } from 'fastify';
import { LiveSegmentLoop } from './audiences/live-segments.js';
import { bootstrapAdminToken } from './auth/admin-tokens.js';
import { startCampaignRunner } from './campaigns/campaign-runner.js';
import { FlowRunner } from './flows/flow-runner.js';
import { buildApp } from './app.js';
import {
  publicUrlProblems,
  startupPublicUrlWarnings,
  type PublicUrlWarning,
} from './credentials/public-url-check.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { isMemoryDatabase, type Db } from './db/database.js';
import { WebhookDispatcher } from './events/webhook-dispatcher.js';
import { eventWebhookMetrics } from './events/webhook-metrics.js';
import { createLogger, type Logger } from './logger.js';
import { createRetentionJob } from './retention/retention.js';
import { createWorker, openRuntime, type Runtime } from './runtime.js';
import { startWorkerThread } from './worker-thread.js';
import { assertCanListen, listenError } from './startup-errors.js';

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

/** Opens and migrates the database, then listens. The only place that calls `listen`. */
export async function startServer(
  config: Config,
  options: { clock?: Clock; logger?: Logger; out?: NodeJS.WritableStream } = {},
): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const out = options.out ?? process.stdout;
  await assertCanListen(config.host, config.port);
  const runtime = await openRuntime(config, clock);
  const { db, services } = runtime;
  let app: FastifyInstance | undefined;
  try {
    if (runtime.applied.length > 0) logger.info({ applied: runtime.applied }, 'migrations applied');
    logger.info({ keySource: runtime.keySource }, 'encryption key loaded');
    for (const warning of runtime.warnings) logger.warn(warning);
    app = await buildApp({ config, db, clock, logger, services });
    const address = await app
      .listen({ port: config.port, host: config.host })
      .catch((error: unknown) => {
        throw listenError(error, config.host, config.port);
      });
    const url = address.replace('[::1]', 'localhost');
    logger.info({ url, database: db.describe }, 'tern listening');

    const token = await bootstrapAdminToken(db, clock, config.adminToken);
    const goingLive = await startupPublicUrlWarnings(db.kysely, config.publicUrl);
    for (const warning of goingLive.warnings)
      logger.warn(
        { code: warning.code, credentials: goingLive.credentials },
        `${goingLive.credentials} API credential(s) use a real Infobip host: ${warning.message}`,
      );
    out.write(banner(url, config.publicUrl, token, goingLive));

    const worker = await startSendWorker(runtime, logger);
    // Event webhooks: every process may run one (claims are leased), whatever TERN_WORKER says.
    const dispatcher = new WebhookDispatcher(
      {
        db,
        clock,
        logger,
        keyring: runtime.keyring,
        metrics: eventWebhookMetrics(services.metrics.registry),
      },
      { allowLoopback: config.allowLoopbackProvider },
    );
    dispatcher.start();
    const retention = startRetention(runtime, logger);
    // Campaigns: scheduled starts, the fan-out into the queue, completion and auto-pause.
    const campaigns = startCampaignRunner(services.campaigns, logger);
    // Flows: due runs (timers, replies, new runs) and the segment trigger.
    const flows = new FlowRunner({ db, clock, engine: services.flowEngine, logger });
    flows.start();
    // Live segments: segment.entered / segment.left within a second of the change.
    const liveSegments = new LiveSegmentLoop({
      db,
      clock,
      onError: (error) => logger.error({ err: error }, 'live segment loop failed; retrying'),
    });
    liveSegments.start();

    const listening = app;
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        // Stop taking requests and claims; finish the requests and provider calls in flight.
        // A client that never finishes its request must not hold the exit: after 10 s, cut it.
        const force = setTimeout(() => listening.server.closeAllConnections(), 10_000);
        await Promise.all([
          listening.close(),
          worker?.stop(),
          dispatcher.stop(),
          retention?.stop(),
          liveSegments.stop(),
          campaigns.stop(),
          flows.stop(),
        ]);
        clearTimeout(force);
        await db.close();
        logger.info('tern stopped');
      })());
    return { app, db, url, close };
  } catch (error) {
    await app?.close();
    await db.close();
    throw error;
  }
}

function banner(
  url: string,
  publicUrl: string,
  token: string | undefined,
  goingLive: { credentials: number; warnings: PublicUrlWarning[] },
): string {
  const lines = [
    '',
    `  Tern is running at ${url}`,
    `  API docs:  ${url}/docs`,
    `  Providers call back at ${publicUrl} (TERN_PUBLIC_URL)`,
  ];
  if (goingLive.warnings.length > 0) {
    lines.push(
      '',
      `  WARNING: ${goingLive.credentials} API credential(s) use a real Infobip host, but:`,
      ...goingLive.warnings.map((w) => `    - ${w.message}`),
      '  See "Connect a real Infobip account" in README.md.',
    );
  } else if (publicUrlProblems(publicUrl).length > 0) {
    // Not a warning yet (the simulator calls back locally), but say it before it matters.
    lines.push('  (fine for the simulator; a real Infobip account needs a public https URL)');
  }
  if (token) {
    lines.push(
      '',
      '  An admin token was created for you. It is shown only this once; keep it safe:',
      '',
      `    ${token}`,
      '',
      `  Try:  curl -H "Authorization: Bearer ${token}" ${url}/api/v1/me`,
    );
  }
  return `${lines.join('\n')}\n\n`;
}

/**
 * The send worker of `tern serve`: in a worker thread (the default), on the API's event loop
 * (`TERN_WORKER_THREAD=false`, or an in-memory database, which a second connection would not
 * see), or none (`TERN_WORKER=false`).
 */
async function startSendWorker(
  runtime: Runtime,
  logger: Logger,
): Promise<{ stop(): Promise<void> } | undefined> {
  const { config } = runtime;
  if (!config.worker) return undefined;
  if (config.workerThread && !isMemoryDatabase(config.databaseUrl)) {
    const thread = startWorkerThread(config, logger, runtime.services.metrics);
    const owner = await thread.ready;
    logger.info({ owner }, 'send worker running in its own thread');
    return thread;
  }
  const worker = createWorker(runtime, logger);
  worker.start();
  return worker;
}

/** The retention job (src/retention/), in every serve and worker process; none when it is off. */
function startRetention(runtime: Runtime, logger: Logger) {
  const { db, clock, config } = runtime;
  const job = createRetentionJob({ db, clock, logger, days: config.retentionDays });
  job?.start();
  return job;
}

/** Resolves on the first SIGTERM/SIGINT; a second one forces the exit. */
function untilSignalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.once(signal, () => process.exit(130));
      resolve(signal);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

/** `tern worker`: the send worker alone, without HTTP, until SIGTERM/SIGINT. */
export async function runWorkerUntilSignalled(config: Config): Promise<void> {
  const signalled = untilSignalled();
  const logger = createLogger(config.logLevel);
  const runtime = await openRuntime(config, systemClock);
  for (const warning of runtime.warnings) logger.warn(warning);
  const worker = createWorker(runtime, logger);
  worker.start();
  const retention = startRetention(runtime, logger);
  const campaigns = startCampaignRunner(runtime.services.campaigns, logger);
  const flows = new FlowRunner({
    db: runtime.db,
    clock: systemClock,
    engine: runtime.services.flowEngine,
    logger,
  });
  flows.start();
  logger.info({ owner: worker.owner, database: runtime.db.describe }, 'send worker running');
  process.stdout.write(`Tern send worker running (${worker.owner}) on ${runtime.db.describe}\n`);
  const signal = await signalled;
  logger.info({ signal }, 'stopping the send worker');
  await Promise.all([worker.stop(), retention?.stop(), campaigns.stop(), flows.stop()]);
  await runtime.close();
  logger.info('send worker stopped');
}

/**
 * Runs until SIGTERM/SIGINT, then shuts down gracefully (a second signal forces exit). The
 * handlers are installed before start-up, so a signal during start-up also stops cleanly.
 */
export async function serveUntilSignalled(config: Config): Promise<void> {
  const signalled = untilSignalled();
  const server = await startServer(config);
  const signal = await signalled;
  server.app.log.info({ signal }, 'shutting down');
  await server.close();
}
