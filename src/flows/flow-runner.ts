import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { eventsAfter, idBoundary, latestEventId } from '../events/events.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { PollLoop } from '../poll-loop.js';
import type { FlowEngine } from './flow-engine.js';
import { claimDueRuns } from './flow.repository.js';

/** Runs claimed per poll. */
const BATCH = 100;
/** Sleep when no run is due. Guess: 100 ms keeps a due step's latency far under a second. */
const IDLE_MS = 100;
/**
 * How long a claim holds a run. A step is one transaction of a few queries (milliseconds); a
 * runner that has not finished one in 30 s has died or hung, and another may take the run.
 */
export const FLOW_LEASE_MS = 30_000;
const SEGMENT_BATCH = 500;
/** PostgreSQL: how far the segment trigger's cursor stays behind the newest event (as live-segments.ts). */
const SEGMENT_SETTLE_MS = 1_000;
/** A run whose step failed is due again after this, not at once (a failure that repeats). */
const STEP_RETRY_MS = 1_000;

export interface FlowRunnerOptions {
  /** This runner's name in the leases (default: a fresh id). */
  owner?: string;
  leaseMs?: number;
  batch?: number;
  idleMs?: number;
  /** How far the segment trigger's cursor stays behind (default: 1 s on PostgreSQL, 0 on SQLite). */
  settleMs?: number;
}

/**
 * The flows' background loop, in every `tern serve` and `tern worker` process: claims due runs
 * (timers passed, replies stored, new runs) with a lease and takes each one's step (FlowEngine),
 * then starts runs for `segment.entered` events. Several runners (PostgreSQL, several processes)
 * claim side by side with SKIP LOCKED; a runner that dies holds its runs only until its lease
 * runs out, then another takes them; the step itself is guarded by the lease and the run's
 * version, so no step is taken twice and none is lost.
 */
export class FlowRunner {
  readonly owner: string;
  private readonly loop: PollLoop;
  private readonly leaseMs: number;
  private readonly batch: number;
  private readonly settleMs: number;

  constructor(
    private readonly deps: { db: Db; clock: Clock; engine: FlowEngine; logger?: Logger },
    options: FlowRunnerOptions = {},
  ) {
    this.owner = options.owner ?? `flows-${newId()}`;
    this.leaseMs = options.leaseMs ?? FLOW_LEASE_MS;
    this.batch = options.batch ?? BATCH;
    this.settleMs = options.settleMs ?? (deps.db.capabilities.multiProcess ? SEGMENT_SETTLE_MS : 0);
    const idle = options.idleMs ?? IDLE_MS;
    this.loop = new PollLoop(
      async () => {
        const stepped = await this.runDue();
        await this.segmentTriggers();
        if (stepped === 0) return idle;
        // SQLite never waits for I/O: give timers and sockets a turn between batches.
        await new Promise((resolve) => setImmediate(resolve));
        return 0;
      },
      (error) => deps.logger?.error({ err: error }, 'flow runner: step failed'),
      1_000,
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Claims one batch of due runs and takes their steps; how many runs were claimed. */
  async runDue(): Promise<number> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const claimed = await claimDueRuns(db.kysely, db.capabilities, {
      now: now.toISOString(),
      owner: this.owner,
      leaseUntil: new Date(now.getTime() + this.leaseMs).toISOString(),
      limit: this.batch,
    });
    // PostgreSQL takes several steps side by side (distinct runs, each holding only its own
    // row), one per writer the dialect allows; SQLite has one writer: one after the other.
    let next = 0;
    const worker = async () => {
      for (let run = claimed[next++]; run !== undefined; run = claimed[next++])
        await this.stepOne(run);
    };
    const width = Math.min(db.capabilities.concurrentWriters, claimed.length);
    await Promise.all(Array.from({ length: width }, worker));
    return claimed.length;
  }

  private async stepOne(run: { sandbox: string; id: string; flow_id: string; phone: string }) {
    const { engine } = this.deps;
    try {
      await engine.step(run, this.owner);
    } catch (error) {
      // One run's failed step (a deadlock with an inbound text on PostgreSQL, the database
      // away) rolled back whole: it is tried again in a second, and the batch goes on.
      this.deps.logger?.error({ err: error, runId: run.id }, 'flow runner: a step failed');
      await engine.retryLater(run, this.owner, STEP_RETRY_MS).catch(() => undefined);
    }
  }

  /**
   * Starts runs of the active `segment_entered` flows for the sandbox's new `segment.entered`
   * events, after a cursor per sandbox (flow_cursors). The cursor moves only from the value read,
   * in the transaction that starts the runs, so two processes never start from the same read;
   * an event read again (the settle window) finds its run by its trigger and starts nothing.
   */
  async segmentTriggers(): Promise<number> {
    const { db, engine } = this.deps;
    const sandboxes = await db.kysely
      .selectFrom('flows')
      .select('sandbox')
      .distinct()
      .where('trigger_type', '=', 'segment_entered')
      .where('status', '=', 'active')
      .execute();
    let started = 0;
    for (const { sandbox } of sandboxes) {
      const row = await db.kysely
        .selectFrom('flow_cursors')
        .select('cursor')
        .where('sandbox', '=', sandbox)
        .executeTakeFirst();
      if (!row) {
        // From now on: a flow activated today does not start for last year's entries.
        const latest = await latestEventId(db.kysely, sandbox);
        await db.kysely
          .insertInto('flow_cursors')
          .values({ sandbox, cursor: latest ?? idBoundary(0) })
          .onConflict((oc) => oc.column('sandbox').doNothing())
          .execute();
        continue;
      }
      const events = await eventsAfter(db.kysely, sandbox, row.cursor, {
        limit: SEGMENT_BATCH,
        types: ['segment.entered'],
      });
      const last = events[events.length - 1];
      if (!last) continue;
      // PostgreSQL commits out of id order: the cursor stays SEGMENT_SETTLE_MS behind the clock
      // (a full batch moves it to its end), and events after it are read again, started once.
      const boundary =
        this.settleMs > 0 && events.length < SEGMENT_BATCH
          ? idBoundary(Date.now() - this.settleMs)
          : last.id;
      const next = last.id < boundary ? last.id : boundary > row.cursor ? boundary : row.cursor;
      started += await db.kysely.transaction().execute(async (trx) => {
        const moved = await trx
          .updateTable('flow_cursors')
          .set({ cursor: next })
          .where('sandbox', '=', sandbox)
          .where('cursor', '=', row.cursor)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return 0;
        const flows = await trx
          .selectFrom('flows')
          .select(['id', 'trigger_key'])
          .where('sandbox', '=', sandbox)
          .where('trigger_type', '=', 'segment_entered')
          .where('status', '=', 'active')
          .execute();
        let n = 0;
        for (const event of events) {
          const segmentId = event.payload.segmentId;
          const phone = event.payload.phone;
          if (typeof segmentId !== 'string' || typeof phone !== 'string') continue;
          const profileId =
            typeof event.payload.profileId === 'string' ? event.payload.profileId : null;
          const name =
            typeof event.payload.segmentName === 'string' ? event.payload.segmentName : segmentId;
          // The event's id makes the trigger unique: an event read again starts nothing.
          const trigger = `entered segment "${name.slice(0, 100)}" (event ${event.id})`;
          for (const flow of flows.filter((f) => f.trigger_key === segmentId)) {
            const seen = await trx
              .selectFrom('flow_runs')
              .select('id')
              .where('sandbox', '=', sandbox)
              .where('flow_id', '=', flow.id)
              .where('phone', '=', phone)
              .where('trigger', '=', trigger)
              .executeTakeFirst();
            if (seen) continue;
            const r = await engine.startRun(trx, {
              sandbox,
              flowId: flow.id,
              phone,
              profileId,
              credentialId: null,
              trigger,
            });
            if (r.started) n++;
          }
        }
        return n;
      });
    }
    return started;
  }
}
