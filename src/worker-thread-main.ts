/**
 * The send worker's thread (see worker-thread.ts): opens its own runtime on the same database
 * and runs the send worker until told to stop. Provider outcomes go back to the main thread,
 * which owns `/metrics`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { CLI_BUSY_TIMEOUT_MS } from './db/database.js';
import { createLogger } from './logger.js';
import { createWorker, openRuntime } from './runtime.js';
import type { FromWorkerThread, ToWorkerThread, WorkerThreadData } from './worker-thread.js';

const port = parentPort;
if (!port) throw new Error('worker-thread-main runs only as a worker thread');
const post = (message: FromWorkerThread) => port.postMessage(message);

const data = workerData as WorkerThreadData;
const given = data.config;
// Structured cloning turns a Buffer into a Uint8Array.
const config: Config = Object.freeze({
  ...given,
  secretKey: given.secretKey ? Buffer.from(given.secretKey) : undefined,
});
// Readable lines when the main thread writes them (a terminal), JSON otherwise, as it does.
const logger = createLogger(config.logLevel, undefined, { terminal: data.logForTerminal });
// Waiting for SQLite's write lock (the API's commits hold it) stalls only this thread, so it
// waits as the CLI does rather than failing a claim or a settle after the API's 50 ms.
const runtime = await openRuntime(config, systemClock, { busyTimeoutMs: CLI_BUSY_TIMEOUT_MS });
const worker = createWorker(
  runtime,
  logger,
  {},
  {
    providerRequest: (outcome, seconds) => post({ type: 'provider_request', outcome, seconds }),
  },
);
worker.start();
logger.debug({ owner: worker.owner, database: runtime.db.describe }, 'send worker thread started');
post({ type: 'ready', owner: worker.owner });

port.on('message', (message: ToWorkerThread) => {
  if (message.type !== 'stop') return;
  void (async () => {
    try {
      await worker.stop();
    } finally {
      await runtime.close();
      port.close();
    }
  })();
});
