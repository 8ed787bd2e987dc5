import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { CLI_BUSY_TIMEOUT_MS, openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { PRUNE_TARGETS } from './prune.js';
import { retentionOff, runRetentionPass, type PassSummary } from './retention.js';

/**
 * `tern prune`: one retention pass now, with the same chunks and pauses as the background job
 * (beside a running server on SQLite it takes the write lock a few ms at a time), printing a
 * progress line every few seconds and the totals at the end.
 */
export async function pruneCommand(config: Config, flags: { json?: boolean }): Promise<void> {
  const days = config.retentionDays;
  if (retentionOff(days)) {
    if (flags.json) console.log(JSON.stringify({ off: true, deleted: {} }));
    else console.log('Retention is off (TERN_RETENTION_DAYS=off): nothing is pruned.');
    return;
  }
  const db = openDatabase(config.databaseUrl, { busyTimeoutMs: CLI_BUSY_TIMEOUT_MS });
  try {
    await migrateToLatest(db);
    const noisy = !flags.json;
    if (noisy)
      console.log(
        `Pruning: messages older than ${label(days.messages)}, inbound texts ${label(days.inbound)}, events ${label(days.events)}`,
      );
    const summary = await runRetentionPass(
      { db, clock: systemClock, logger: silent, days },
      undefined,
      (s, target) => {
        if (noisy) console.log(`  ${target}: ${line(s)}`);
      },
    );
    if (flags.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(`Done: ${line(summary)}`);
      for (const target of PRUNE_TARGETS)
        if (summary.cutoffs[target] === null) console.log(`  ${target}: kept forever`);
    }
  } finally {
    await db.close();
  }
}

const label = (d: number) => (d === 0 ? 'never' : `${d} days`);

function line(s: PassSummary): string {
  const total = Object.values(s.deleted).reduce((a, b) => a + b, 0);
  const parts = Object.entries(s.deleted).map(([table, n]) => `${table} ${n}`);
  const rate = s.elapsedMs > 0 ? Math.round((total * 1000) / s.elapsedMs) : 0;
  return `${total} rows deleted (${parts.join(', ') || 'none'}) in ${(s.elapsedMs / 1000).toFixed(1)} s, ${rate} rows/s, ${s.chunks} chunks, longest ${s.maxChunkMs.toFixed(1)} ms`;
}

const noop = () => undefined;
const silent = { info: noop, warn: noop, error: noop, debug: noop };
