import { Worker } from 'node:worker_threads';
import type { Config } from './config.js';
import { writesForTerminal, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** What the thread starts with: the configuration, and whether the main thread's log is a terminal's. */
export interface WorkerThreadData {
  config: Config;
  logForTerminal: boolean;
}

/** What the main thread tells the send worker's thread. */
export type ToWorkerThread = { type: 'stop' };

/** What the send worker's thread tells the main thread. */
export type FromWorkerThread =
  { type: 'ready'; owner: string } | { type: 'provider_request'; outcome: string; seconds: number };

/** A thread that died unasked is started again after this pause (its leases run out meanwhile). */
const RESTART_PAUSE_MS = 1000;
/** How long `stop()` waits for the provider calls in flight before it ends the thread. */
const STOP_TIMEOUT_MS = 45_000;

export interface WorkerThread {
  /** Resolves once the thread's worker is running; rejects if it could not start. */
  ready: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Runs the send worker in a worker thread of its own, on its own database connection, so that
 * claiming, building provider requests and settling batches never hold the API's event loop (a
 * list read took 300 ms while the worker drained 333,000 messages on the same loop). SQLite
 * serialises the two connections' writes with its write lock; PostgreSQL runs them side by side.
 */
export function startWorkerThread(config: Config, logger: Logger, metrics: Metrics): WorkerThread {
  let stopping = false;
  let current: Worker;
  let readyResolve: (owner: string) => void;
  let readyReject: (error: unknown) => void;
  const ready = new Promise<string>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  const entry = threadEntry();

  let alive = false;
  let everStarted = false;
  const spawn = () => {
    // The thread's stdout is piped into this one's: its lines take the same form as ours.
    const workerData: WorkerThreadData = { config, logForTerminal: writesForTerminal(logger) };
    const thread = new Worker(entry.script, { ...entry.options, workerData });
    current = thread;
    alive = true;
    thread.on('message', (message: FromWorkerThread) => {
      if (message.type === 'ready') {
        everStarted = true;
        readyResolve(message.owner);
      } else metrics.providerRequest(message.outcome, message.seconds);
    });
    thread.on('error', (error) => {
      logger.error({ err: error }, 'send worker thread failed');
      if (!everStarted) readyReject(error);
    });
    thread.on('exit', (code) => {
      alive = false;
      // A first start that failed fails `tern serve`; later, the thread is started again until
      // it runs (the database may be away for a while: each attempt fails at opening it).
      if (stopping || !everStarted) return;
      logger.error({ code }, 'send worker thread stopped unasked: starting it again');
      setTimeout(() => {
        if (!stopping) spawn();
      }, RESTART_PAUSE_MS).unref();
    });
  };
  spawn();

  return {
    ready,
    async stop() {
      stopping = true;
      const thread = current;
      if (!alive) return;
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      thread.postMessage({ type: 'stop' } satisfies ToWorkerThread);
      const timer = setTimeout(() => void thread.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The thread's entry: the built `worker-thread-main.js`, or, running from source under tsx
 * (tests, `npx tsx src/cli.ts`), the .ts file with tsx's loader registered in the thread first
 * (a thread does not inherit the loader that `--import tsx` registered in the main thread).
 */
function threadEntry(): { script: URL | string; options: { eval?: boolean } } {
  if (!import.meta.url.endsWith('.ts'))
    return { script: new URL('./worker-thread-main.js', import.meta.url), options: {} };
  const main = new URL('./worker-thread-main.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return {
    script: `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(main)}); });`,
    options: { eval: true },
  };
}
