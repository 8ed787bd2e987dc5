/**
 * `npm run bench`: every benchmark in one run, then the report.
 *
 *   npm run bench [-- --no-pg] [-- --pg postgres://…/tern_bench] [-- --quick] [-- --out DIR]
 *
 * Runs outbound (SQLite, PostgreSQL; batch and single API), delivery reports (100 per POST),
 * inbound webhooks with the bare Fastify reference, and the simulator; shows progress on stderr;
 * prints the results on stdout; writes `benchmarks.md` and `benchmarks.svg` into `docs/` (or
 * `--out`). `--quick` uses small counts and short durations to check the runner itself, and
 * writes into a temporary directory unless `--out` is given.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { deliveryReportThroughput } from './delivery-report-throughput.js';
import { inboundThroughput } from './inbound-throughput.js';
import { readMachine } from './lib/machine.js';
import { progress } from './lib/progress.js';
import {
  bareFastifyTable,
  chartSvg,
  markdownPage,
  resultsTable,
  textTable,
  type RunResults,
} from './lib/report.js';
import { benchDatabaseName, DEFAULT_PG_URL } from './lib/script.js';
import { outboundThroughput } from './outbound-throughput.js';
import { simulatorThroughput } from './simulator-throughput.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pg: { type: 'string', default: DEFAULT_PG_URL },
    'no-pg': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const quick = values.quick;
const postgresUrl = values['no-pg'] ? null : values.pg;
if (postgresUrl !== null) benchDatabaseName(postgresUrl);
const outDir = resolve(values.out ?? (quick ? join(os.tmpdir(), 'tern-bench-quick') : 'docs'));

// Full run: the sizes of the figures in docs/benchmarks.md. Quick: seconds, to check the runner.
const sizes = quick
  ? { batch: 2000, single: 200, reports: 500, seconds: 1, simulatorSeconds: 1 }
  : { batch: 10_000, single: 2000, reports: 10_000, seconds: 10, simulatorSeconds: 5 };

const startedAt = new Date();
const started = performance.now();
const machine = await readMachine(postgresUrl);
console.error(
  `Tern benchmarks${quick ? ' (quick)' : ''}: ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, ` +
    `SQLite ${machine.sqlite}${machine.postgres ? `, ${machine.postgres}` : ''}; load average ${machine.loadAtStart.toFixed(2)}`,
);
const databases = postgresUrl === null ? 1 : 2;
// outbound and reports once per database, bare Fastify, inbound, simulator twice
progress.plan(2 * databases + 4);

const outbound = await outboundThroughput({
  batchMessages: sizes.batch,
  singleMessages: sizes.single,
  postgresUrl,
});
const reports = await deliveryReportThroughput({
  reports: sizes.reports,
  connections: 8,
  postgresUrl,
});
const inbound = await inboundThroughput({
  seconds: sizes.seconds,
  connections: 50,
  rate: 1000,
});
const simulator = [
  await simulatorThroughput({
    seconds: sizes.simulatorSeconds,
    batch: 1000,
    concurrency: 8,
    api: 'v2',
    reports: false,
  }),
  await simulatorThroughput({
    seconds: sizes.simulatorSeconds,
    batch: 1000,
    concurrency: 8,
    api: 'v2',
    reports: true,
  }),
];

const results: RunResults = {
  quick,
  startedAt,
  seconds: (performance.now() - started) / 1000,
  machine,
  loadAtEnd: os.loadavg()[0] ?? 0,
  outbound,
  reports,
  inbound,
  simulator,
};

mkdirSync(outDir, { recursive: true });
const pagePath = join(outDir, 'benchmarks.md');
const chartFile = 'benchmarks.svg';
writeFileSync(join(outDir, chartFile), chartSvg(results));
const config = await prettier.resolveConfig(resolve('docs/benchmarks.md'));
writeFileSync(
  pagePath,
  await prettier.format(markdownPage(results, chartFile), { ...config, parser: 'markdown' }),
);

console.log(
  `\nResults (${Math.round(results.seconds)} s; ${machine.cores} cores, ${machine.cpuModel}, ` +
    `load average ${machine.loadAtStart.toFixed(2)} → ${results.loadAtEnd.toFixed(2)})\n`,
);
console.log(textTable(resultsTable(results)));
console.log('\nAgainst bare Fastify (same run)\n');
console.log(textTable(bareFastifyTable(results)));
console.log(`\nWrote ${pagePath} and ${join(outDir, chartFile)}`);
