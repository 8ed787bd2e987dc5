import type { Clock } from '../clock.js';
import type { RetentionDays } from '../config.js';
import type { Db } from '../db/database.js';
import { isDatabaseUnavailable } from '../db/dialect.js';
import type { Logger } from '../logger.js';
import { PollLoop } from '../poll-loop.js';
import { PRUNE_TARGETS, pruneChunk, TARGET_GROUP, type PruneTarget } from './prune.js';

/**
 * The retention job: deletes messages (with their history and raw reports), inbound texts,
 * webhook rejects, events and event-webhook deliveries older than their configured age, in
 * small chunks that never hold the database for long, so sending does not stall while it runs.
 */
export interface RetentionOptions {
  /** Rows a chunk may take at most (a message counts once; its history and reports go with it). */
  maxChunkRows: number;
  /** The delete transaction a chunk aims for; the chunk size adapts to keep under it. */
  targetChunkMs: number;
  /** The pause after a chunk is at least this, and at least `pauseFactor` × its transaction. */
  minPauseMs: number;
  pauseFactor: number;
  /** How often a pass starts (after the last one ended). */
  intervalMs: number;
  /** A progress line at most this often during a pass. */
  progressEveryMs: number;
}

/**
 * At most 500 messages a chunk (with their history and reports, ~2,500 rows), sized to hold the
 * database ~5 ms: on SQLite that is the write lock every writer waits for. At 1M messages one
 * message with its rows took ~0.6 ms to delete (12 indexes on messages; a loaded 2-core
 * machine), so chunks settled at ~10 messages, p50 7 ms. The pause of at least 4× the chunk
 * keeps the job to a fifth of the database's write time. Hourly passes: each deletes what aged
 * out in the hour since the last.
 */
export const RETENTION_DEFAULTS: RetentionOptions = {
  maxChunkRows: 500,
  targetChunkMs: 5,
  minPauseMs: 5,
  pauseFactor: 4,
  intervalMs: 3_600_000,
  progressEveryMs: 10_000,
};
const MIN_CHUNK_ROWS = 10;

/**
 * The options for `db`. A database several processes share (PostgreSQL) locks rows, not the
 * file: a chunk blocks no other writer, and its 6 round trips alone were ~12 ms under load, so
 * its chunks aim at 50 ms (at 5 ms they stayed at ~10 messages, 131 messages/s at 1M).
 */
export function retentionOptions(db: Db): RetentionOptions {
  return db.capabilities.multiProcess
    ? { ...RETENTION_DEFAULTS, targetChunkMs: 50 }
    : RETENTION_DEFAULTS;
}

/** What one pass did: rows deleted per table, chunks run, and the longest chunk transaction. */
export interface PassSummary {
  deleted: Record<string, number>;
  chunks: number;
  maxChunkMs: number;
  elapsedMs: number;
  /** Per target: the cutoff used (rows created before it were pruned), or null when kept forever. */
  cutoffs: Record<PruneTarget, string | null>;
}

export interface RetentionDeps {
  db: Db;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  days: RetentionDays;
}

const DAY_MS = 86_400_000;

/** True when every kind is kept forever: no job is started. */
export function retentionOff(days: RetentionDays): boolean {
  return days.messages === 0 && days.inbound === 0 && days.events === 0;
}

/**
 * One pass, resumable chunk by chunk: {@link step} deletes one chunk and says how long to pause
 * before the next. The job and `tern prune` share it.
 */
export class RetentionPass {
  readonly summary: PassSummary;
  private readonly startedAt = performance.now();
  private targetIndex = 0;
  private after: string | undefined;
  private chunkRows: number;
  private lastProgressAt = performance.now();
  private readonly chunkMs: number[] = [];

  constructor(
    private readonly deps: RetentionDeps,
    private readonly options: RetentionOptions = retentionOptions(deps.db),
    private readonly onProgress?: (summary: PassSummary, target: PruneTarget) => void,
  ) {
    const now = deps.clock.now().getTime();
    const cutoff = (target: PruneTarget) => {
      const days = deps.days[TARGET_GROUP[target]];
      return days === 0 ? null : new Date(now - days * DAY_MS).toISOString();
    };
    this.summary = {
      deleted: {},
      chunks: 0,
      maxChunkMs: 0,
      elapsedMs: 0,
      cutoffs: Object.fromEntries(
        PRUNE_TARGETS.map((t) => [t, cutoff(t)]),
      ) as PassSummary['cutoffs'],
    };
    this.chunkRows = Math.min(100, options.maxChunkRows);
  }

  get done(): boolean {
    return this.targetIndex >= PRUNE_TARGETS.length;
  }

  /** Deletes one chunk; returns the pause before the next (0 when the pass is done). */
  async step(): Promise<number> {
    const target = PRUNE_TARGETS[this.targetIndex];
    if (target === undefined) return 0;
    const cutoff = this.summary.cutoffs[target];
    if (cutoff === null) {
      this.nextTarget();
      return 0;
    }
    const limit = this.chunkRows;
    const chunk = await pruneChunk(this.deps.db, target, cutoff, this.after, limit);
    if (chunk.busy) return this.options.intervalMs / 60; // another process prunes: a minute
    const deletedRows = Object.values(chunk.deleted).reduce<number>((a, b) => a + (b ?? 0), 0);
    for (const [table, n] of Object.entries(chunk.deleted))
      this.summary.deleted[table] = (this.summary.deleted[table] ?? 0) + (n ?? 0);
    if (chunk.candidates > 0) {
      this.summary.chunks += 1;
      this.summary.maxChunkMs = Math.max(this.summary.maxChunkMs, chunk.transactionMs);
      if (this.chunkMs.length < 100_000) this.chunkMs.push(chunk.transactionMs);
      this.adapt(chunk.transactionMs);
    }
    // Fewer candidates than asked: nothing older is left. Otherwise go on from the last one
    // read (in-flight messages among them are stepped over); a full chunk of rows all as old as
    // the last one, none deleted, would be read again forever: leave them to the next pass.
    if (chunk.candidates < limit || (deletedRows === 0 && chunk.lastAt === this.after))
      this.nextTarget();
    else this.after = chunk.lastAt;
    this.summary.elapsedMs = performance.now() - this.startedAt;
    if (performance.now() - this.lastProgressAt >= this.options.progressEveryMs || this.done) {
      this.lastProgressAt = performance.now();
      this.onProgress?.(this.summary, target);
    }
    if (this.done) return 0;
    return Math.max(
      this.options.minPauseMs,
      Math.ceil(chunk.transactionMs * this.options.pauseFactor),
    );
  }

  /** The p-th percentile (0-100) of the chunk transactions so far (the first 100,000). */
  chunkPercentile(p: number): number {
    const sorted = [...this.chunkMs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
  }

  private nextTarget(): void {
    this.targetIndex += 1;
    this.after = undefined;
  }

  /** Aims the next chunk's size at the target time: at most doubling, halving or less. */
  private adapt(ms: number): void {
    const { maxChunkRows, targetChunkMs } = this.options;
    const scaled = Math.floor((this.chunkRows * targetChunkMs) / Math.max(ms, 0.1));
    this.chunkRows = Math.max(MIN_CHUNK_ROWS, Math.min(maxChunkRows, this.chunkRows * 2, scaled));
  }
}

/** Runs one whole pass, pausing between chunks as the job does. */
export async function runRetentionPass(
  deps: RetentionDeps,
  options: RetentionOptions = retentionOptions(deps.db),
  onProgress?: (summary: PassSummary, target: PruneTarget) => void,
): Promise<PassSummary> {
  const pass = new RetentionPass(deps, options, onProgress);
  while (!pass.done) {
    const pause = await pass.step();
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  return pass.summary;
}

/** The background loop: a pass every `intervalMs`, one chunk per step. */
export class RetentionJob {
  private readonly loop: PollLoop;
  private pass: RetentionPass | undefined;

  constructor(
    private readonly deps: RetentionDeps,
    private readonly options: RetentionOptions = retentionOptions(deps.db),
  ) {
    this.loop = new PollLoop(
      () => this.step(),
      (error) => {
        // PostgreSQL down or restarting (SQLite's busy lock is retried in step): later.
        if (isDatabaseUnavailable(error))
          deps.logger.warn({ err: error }, 'retention: database unavailable, retrying');
        else deps.logger.error({ err: error }, 'retention chunk failed');
      },
      60_000,
    );
  }

  start(): void {
    this.deps.logger.info({ retentionDays: this.deps.days }, 'retention job started');
    this.loop.start();
  }

  /** Stops after the chunk in flight (a chunk is a few ms). */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async step(): Promise<number> {
    this.pass ??= new RetentionPass(this.deps, this.options, (summary, target) =>
      this.deps.logger.info({ target, ...progress(summary) }, 'retention: pruning'),
    );
    let pause: number;
    try {
      pause = await this.pass.step();
    } catch (error) {
      // SQLite's write lock held by another connection (a send worker thread, `tern prune`)
      // past the busy timeout: the same chunk again in a second, not a failure worth a minute.
      if (!isDatabaseUnavailable(error) || this.deps.db.capabilities.multiProcess) throw error;
      this.deps.logger.debug({ err: error }, 'retention: database busy, retrying the chunk');
      return 1000;
    }
    if (!this.pass.done) return pause;
    const { summary } = this.pass;
    this.pass = undefined;
    const total = Object.values(summary.deleted).reduce((a, b) => a + b, 0);
    if (total > 0) this.deps.logger.info(progress(summary), 'retention pass done');
    else this.deps.logger.debug(progress(summary), 'retention pass done: nothing to prune');
    return this.options.intervalMs;
  }
}

function progress(summary: PassSummary) {
  const total = Object.values(summary.deleted).reduce((a, b) => a + b, 0);
  return {
    deleted: summary.deleted,
    chunks: summary.chunks,
    maxChunkMs: Math.round(summary.maxChunkMs * 10) / 10,
    rowsPerSecond: summary.elapsedMs > 0 ? Math.round((total * 1000) / summary.elapsedMs) : 0,
  };
}

/** The job over an opened runtime's database, or undefined when retention is off. */
export function createRetentionJob(deps: RetentionDeps): RetentionJob | undefined {
  return retentionOff(deps.days) ? undefined : new RetentionJob(deps);
}
