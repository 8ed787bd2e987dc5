import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints a SQLite WAL from a worker thread, off the event loop.
 *
 * In WAL mode every commit appends pages to the log, and something must copy them back into the
 * database file (a checkpoint) before the log grows without bound. SQLite's automatic
 * checkpoint runs inside whichever commit crosses the threshold, on the connection that commits:
 * on Tern's one connection that stalled every request in flight (measured: p99 of inbound
 * webhooks 36 ms with a 10,000-page threshold, 8 ms without the stall but 10 % fewer texts a
 * second with the default 1,000). A PASSIVE checkpoint from a second connection copies what it
 * can without ever blocking the writer, so the work moves to the other core instead.
 *
 * The main connection keeps a high automatic threshold as a safety net: should this thread
 * stop, or fall behind, the log is still checkpointed, only in the slow way.
 */
export interface Checkpointer {
  stop(): Promise<void>;
}

/** Runs in the worker: a plain CommonJS script, so that it needs no loader or build step. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(
  file: string,
  options: { intervalMs?: number; onError?: (message: string) => void } = {},
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver, intervalMs: options.intervalMs ?? 100 },
  });
  // A failed checkpoint is retried on the next tick; the automatic one remains behind it.
  worker.on('message', (m: { error?: string }) => {
    if (m.error) options.onError?.(m.error);
  });
  worker.on('error', (error) => options.onError?.(error.message));
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: async () => {
      // Referenced again so that the process waits for the thread to close its connection.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
