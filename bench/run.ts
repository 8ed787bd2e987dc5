/**
 * `npm run bench`: every benchmark in one run, then the report.
 *
 *   npm run bench [-- --no-pg] [-- --pg postgres://…/tern_bench] [-- --quick] [-- --full]
 *                 [-- --out DIR]
 *
 * Runs the single-message references (bare Fastify, Fastify + one SQLite insert, Fastify +
 * BullMQ), outbound (SQLite, PostgreSQL; batch and single API), delivery reports (100 per POST),
 * inbound webhooks with the bare Fastify reference, the simulator, and the scale benchmark
 * (100,000 messages; `--full`: 1M and 10M, about an hour more), and the campaign benchmark
 * (100,000 profiles; `--full`: 1M), the quiet-hours hold, and flows (10,000 concurrent runs, a
 * SIGKILL, inbound with and without flows); shows progress on stderr;
 * prints the results on stdout; writes `benchmarks.md` and `benchmarks.svg` into `docs/` (or
 * `--out`). `--quick` uses small counts and short durations to check the runner itself, and
 * writes into a temporary directory unless `--out` is given.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { campaignBenchmark, type CampaignOptions } from './campaign.js';
import { deliveryReportThroughput } from './delivery-report-throughput.js';
import { flowsBenchmark, flowsLines, replaceFlowsSection } from './flows.js';
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
import { campaignLines } from './lib/report-campaign.js';
import { issue14Aims, referencesTable } from './lib/report-scale.js';
import { benchDatabaseName, DEFAULT_PG_URL } from './lib/script.js';
import { outboundThroughput } from './outbound-throughput.js';
import { policyHoldBenchmark, policyHoldLines, replacePolicyHoldSection } from './policy-hold.js';
import { DEFAULT_REDIS_URL, references as referenceBenchmarks } from './references.js';
import { scale, scaleLines, type ScaleOptions } from './scale.js';
import { simulatorThroughput } from './simulator-throughput.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pg: { type: 'string', default: DEFAULT_PG_URL },
    'no-pg': { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    redis: { type: 'string', default: DEFAULT_REDIS_URL },
    out: { type: 'string' },
  },
});
const quick = values.quick;
const postgresUrl = values['no-pg'] ? null : values.pg;
if (postgresUrl !== null) benchDatabaseName(postgresUrl);
const outDir = resolve(values.out ?? (quick ? join(os.tmpdir(), 'tern-bench-quick') : 'docs'));

// Full run: the sizes of the figures in docs/benchmarks.md. Quick: seconds, to check the runner.
const sizes = quick
  ? { batch: 2000, reports: 500, seconds: 1, simulatorSeconds: 1 }
  : { batch: 10_000, reports: 10_000, seconds: 10, simulatorSeconds: 5 };
// Scale: the default fits a ~15-minute run; --full is the issue's sizes.
const scaleOptions: ScaleOptions = values.full
  ? {
      sizes: [1_000_000, 10_000_000],
      profiles: () => 1_000_000,
      backlog: () => 1_000_000,
      seconds: 10,
      readSeconds: 20,
      batchMessages: 10_000,
      postgresUrl,
    }
  : quick
    ? {
        sizes: [5000],
        backlog: () => 20_000,
        seconds: 1,
        readSeconds: 1,
        batchMessages: 2000,
        postgresUrl,
      }
    : { sizes: [100_000], seconds: 5, readSeconds: 10, batchMessages: 10_000, postgresUrl };

// Campaign: 100,000 profiles by default; --full is the issue's 1,000,000.
const campaignOptions: CampaignOptions = {
  profiles: values.full ? 1_000_000 : quick ? 5000 : 100_000,
  perSecond: 1000,
  paceSeconds: values.full ? 60 : quick ? 3 : 30,
  postgresUrl,
};

const startedAt = new Date();
const started = performance.now();
const machine = await readMachine(postgresUrl);
console.error(
  `Tern benchmarks${quick ? ' (quick)' : ''}: ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, ` +
    `SQLite ${machine.sqlite}${machine.postgres ? `, ${machine.postgres}` : ''}; load average ${machine.loadAtStart.toFixed(2)}`,
);
const databases = postgresUrl === null ? 1 : 2;
// references 3; outbound and reports once per database; bare Fastify, inbound, simulator
// twice; scale once per database and size; the campaign once per database
// and the quiet-hours hold once per database; flows once, with its six inbound servers
progress.plan(3 + 2 * databases + 4 + databases * scaleOptions.sizes.length + 2 * databases + 7);

const references = await referenceBenchmarks({
  seconds: sizes.seconds,
  connections: 50,
  redisUrl: values.redis,
});
const outbound = await outboundThroughput({
  batchMessages: sizes.batch,
  singleSeconds: sizes.seconds,
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
  references,
  scale: await scale(scaleOptions),
  scaleFull: values.full,
  campaign: await campaignBenchmark(campaignOptions),
};
// Quick: 2,000 texts (the release then takes the jitter's minute of wall time).
const policyHold = await policyHoldBenchmark({
  messages: quick ? 2_000 : 100_000,
  rate: 1_000,
  postgresUrl,
});

// Flows (SQLite): 10,000 concurrent runs, a SIGKILL, inbound with and without flows.
const flows = await flowsBenchmark({
  runs: quick ? 400 : 10_000,
  waitSeconds: quick ? 15 : 120,
  inboundSeconds: sizes.seconds,
});

mkdirSync(outDir, { recursive: true });
const pagePath = join(outDir, 'benchmarks.md');
const chartFile = 'benchmarks.svg';
writeFileSync(join(outDir, chartFile), chartSvg(results));
const config = await prettier.resolveConfig(resolve('docs/benchmarks.md'));
writeFileSync(
  pagePath,
  await prettier.format(
    replaceFlowsSection(
      replacePolicyHoldSection(markdownPage(results, chartFile), policyHold),
      flows,
    ),
    { ...config, parser: 'markdown' },
  ),
);

console.log(
  `\nResults (${Math.round(results.seconds)} s; ${machine.cores} cores, ${machine.cpuModel}, ` +
    `load average ${machine.loadAtStart.toFixed(2)} → ${results.loadAtEnd.toFixed(2)})\n`,
);
console.log(textTable(resultsTable(results)));
console.log('\nAgainst bare Fastify (same run)\n');
console.log(textTable(bareFastifyTable(results)));
console.log('\nSingle-message API against the references (same run, same client)\n');
console.log(textTable(referencesTable(results)));
console.log('\nScale\n');
for (const line of scaleLines(results.scale)) console.log(line);
console.log('\nCampaign\n');
for (const line of campaignLines(results.campaign)) console.log(line);
console.log('\nQuiet-hours hold and release\n');
for (const line of policyHoldLines(policyHold)) console.log(line);
console.log('\nFlows\n');
for (const line of flowsLines(flows)) console.log(line);
if (!quick) {
  console.log('\nIssue 14 aims\n');
  console.log(textTable(issue14Aims(results)));
}
console.log(`\nWrote ${pagePath} and ${join(outDir, chartFile)}`);
