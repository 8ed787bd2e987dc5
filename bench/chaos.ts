/**
 * Chaos run: `tern serve` on SQLite and on PostgreSQL under batch sends, inbound texts
 * (STOP/START from some numbers) and delivery reports, SIGKILLed at random moments and restarted
 * each time; then the counts that must hold (see bench/lib/chaos.ts).
 *
 *   npx tsx bench/chaos.ts [--kills 20] [--no-pg] [--no-sqlite] [--database-url postgres://…]
 *
 * PostgreSQL uses --database-url, else TERN_TEST_DATABASE_URL (a database of its own is made
 * on that server and dropped afterwards). Exits non-zero when a count shows a loss.
 */
import { parseArgs } from 'node:util';
import { formatCounts, runChaos, type ChaosCounts } from './lib/chaos.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' },
    'no-pg': { type: 'boolean', default: false },
    'no-sqlite': { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const kills = Number(values.kills);
if (!Number.isInteger(kills) || kills < 1) throw new Error('--kills must be a positive integer');
const postgresUrl = values['database-url'] ?? process.env.TERN_TEST_DATABASE_URL;
const dialects: ('sqlite' | 'postgres')[] = [];
if (!values['no-sqlite']) dialects.push('sqlite');
if (!values['no-pg']) {
  if (postgresUrl) dialects.push('postgres');
  else console.log('PostgreSQL skipped: no --database-url and no TERN_TEST_DATABASE_URL');
}

const results: ChaosCounts[] = [];
for (const dialect of dialects) {
  console.log(`\n== ${dialect}: ${kills} kills ==`);
  const t0 = Date.now();
  try {
    results.push(
      await runChaos({
        dialect,
        kills,
        ...(postgresUrl ? { postgresUrl } : {}),
        keep: values.keep,
        log: (line) =>
          console.log(`[${dialect} ${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`),
      }),
    );
  } catch (error) {
    console.log(`${dialect}: the run failed: ${String(error)}`);
    process.exitCode = 1;
  }
}

console.log(`\n${formatCounts(results)}\n`);
const bad = results.filter(
  (c) =>
    c.messages.missing > 0 ||
    c.messages.notFinal > 0 ||
    c.inbound.missing > 0 ||
    c.consent.sentAfterOptOut > 0 ||
    c.provider.contradicted > 0 ||
    c.provider.duplicates > 0,
);
if (bad.length > 0) {
  console.log(`Not clean: ${bad.map((c) => c.dialect).join(', ')}`);
  process.exitCode = 1;
}
