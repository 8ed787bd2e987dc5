/**
 * A campaign at volume (issue 15's figures): an audience of subscribed profiles loaded straight
 * into the database, then Tern driven over its API — the estimate, confirm, the fan-out into the
 * queue, the first message at the provider (the simulator), and the paced send measured at the
 * provider over windows. Per database, with a reference measured in the same run: the
 * campaign's messages written again by one plain `INSERT … SELECT` (the fan-out's ceiling).
 *
 *   npx tsx bench/campaign.ts [--profiles 100000] [--full] [--rate 1000] [--pace-seconds 30]
 *                             [--no-pg | --no-sqlite] [--pg postgres://…] [--docs]
 *
 * `--full`: 1,000,000 profiles and 60 s of pacing. `--docs` writes this benchmark's section of
 * docs/benchmarks.md (between its markers) and nothing else.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { loadAudience, plainInsertSelect } from './lib/campaign-load.js';
import { readMachine } from './lib/machine.js';
import { count, progress } from './lib/progress.js';
import {
  campaignLines,
  campaignSection,
  mergeFigures,
  replaceCampaignSection,
  sectionFigures,
} from './lib/report-campaign.js';
import { openTarget } from './lib/scale-load.js';
import { benchDatabaseName, DEFAULT_PG_URL, freshPostgresDatabase, isMain } from './lib/script.js';
import { simulatorState, startStack, type Stack } from './lib/stack.js';
import type { Database } from './outbound-throughput.js';

export interface CampaignOptions {
  profiles: number;
  /** The campaign's pacing, messages a second. */
  perSecond: number;
  /** How long the paced send is watched at the provider after its first message. */
  paceSeconds: number;
  postgresUrl: string | null;
  /** False: PostgreSQL alone (`--no-sqlite`). */
  sqlite?: boolean;
}

/** One window size of the paced send: the provider's rate in each, against the pacing. */
export interface PaceWindows {
  seconds: number;
  windows: number;
  /** The largest |rate − pacing| / pacing of any window (null: no whole window). */
  maxDeviation: number | null;
  /** The same over the windows that began after the fan-out had finished. */
  maxDeviationAfterFanOut: number | null;
  slowest: number | null;
  fastest: number | null;
}

export interface CampaignFigures {
  database: Database;
  profiles: number;
  loadSeconds: number;
  /** POST /campaigns/:id/estimate, in ms: the first call, then the second. */
  estimateMs: number[];
  eligible: number;
  /** The confirm request's own latency (it snapshots and queues the first chunk before answering). */
  confirmMs: number;
  /** From confirm sent to the whole audience in the snapshot. */
  snapshotSeconds: number;
  /** From confirm sent to every recipient turned into a queued message. */
  fanOutSeconds: number;
  fanOutPerSecond: number;
  queued: number;
  /** Recipients the fan-out did not queue: excluded (consent) or failed (render, rules). */
  notQueued?: { excluded: number; renderFailed: number };
  /** From confirm sent to the provider's first message. */
  firstMessageMs: number;
  perSecond: number;
  paceSeconds: number;
  /** Messages at the provider per second over the whole watched send. */
  meanPerSecond: number;
  pace: PaceWindows[];
  duplicates: number;
  reference: { rows: number; perSecond: number };
  /** Which run measured it (set when the figures are written into the docs). */
  run?: { startedAt: string; commit: string; loadAverage: number; command: string };
}

const BODY = 'Hi {{ profile.attributes.firstName | default: "there" }}, 20% off today only.';
/** How long the send is watched after the fan-out has finished (at least). */
const AFTER_FAN_OUT_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CampaignView {
  status: string;
  progress: {
    recipients: number;
    snapshotDone: boolean;
    fannedOut: number;
    queued: number;
    excluded: number;
    renderFailed: number;
  };
}

/** The provider's message count at `at` (ms), linear between the samples around it. */
function countAt(samples: { at: number; n: number }[], at: number): number {
  let i = samples.findIndex((s) => s.at >= at);
  if (i < 0) i = samples.length - 1;
  const b = samples[i];
  const a = samples[Math.max(0, i - 1)];
  if (!a || !b) return 0;
  if (b.at === a.at) return b.n;
  return a.n + ((b.n - a.n) * (at - a.at)) / (b.at - a.at);
}

/** The provider-side rate over back-to-back windows of `seconds` from the first message. */
export function paceWindows(
  samples: { at: number; n: number }[],
  from: number,
  until: number,
  fanOutDoneAt: number,
  perSecond: number,
  seconds: number,
): PaceWindows {
  const rates: { start: number; rate: number }[] = [];
  for (let start = from; start + seconds * 1000 <= until; start += seconds * 1000) {
    const n = countAt(samples, start + seconds * 1000) - countAt(samples, start);
    rates.push({ start, rate: n / seconds });
  }
  const dev = (r: number) => Math.abs(r - perSecond) / perSecond;
  const after = rates.filter((r) => r.start >= fanOutDoneAt);
  return {
    seconds,
    windows: rates.length,
    maxDeviation: rates.length ? Math.max(...rates.map((r) => dev(r.rate))) : null,
    maxDeviationAfterFanOut: after.length ? Math.max(...after.map((r) => dev(r.rate))) : null,
    slowest: rates.length ? Math.min(...rates.map((r) => r.rate)) : null,
    fastest: rates.length ? Math.max(...rates.map((r) => r.rate)) : null,
  };
}

async function runOne(
  database: Database,
  url: string,
  options: CampaignOptions,
): Promise<CampaignFigures> {
  const stack: Stack = await startStack(url);
  try {
    const channel = await stack.api<{ id: string }>('POST', '/api/v1/channel-configurations', {
      name: 'promo',
      credentialId: stack.credentialId,
      sender: 'TERN',
      messageType: 'marketing',
      marketingFooter: 'Reply STOP to opt out',
    });
    // `tern serve` runs on the system clock: at night in New Jersey (the profiles' +1 201) the
    // federal window would hold the whole audience. This benchmark measures the fan-out and the
    // pacing; bench/policy-hold.ts measures a hold and its release.
    await stack.api('PATCH', '/api/v1/policy/rules/us-federal', { enabled: false });
    await stack.stopTern();
    progress.step(`loading ${count(options.profiles)} profiles`);
    const loadStarted = performance.now();
    const target = openTarget(url);
    try {
      await loadAudience(target, { count: options.profiles, now: Date.now() }, (stage, done) =>
        progress.step(`${stage}: ${count(done)} of ${count(options.profiles)}`),
      );
    } finally {
      await target.close();
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await stack.startTern();

    const segment = await stack.api<{ id: string }>('POST', '/api/v1/segments', {
      name: 'offers',
      rule: { all: [{ keyword: 'OFFERS' }, { consent: { in: ['subscribed'] } }] },
    });
    const template = await stack.api<{ id: string }>('POST', '/api/v1/templates', {
      name: 'sale',
      body: BODY,
      messageType: 'marketing',
    });
    const campaign = await stack.api<{ id: string }>('POST', '/api/v1/campaigns', {
      name: 'Bench sale',
      audience: { segmentId: segment.id },
      templateId: template.id,
      channelConfigurationId: channel.id,
      pacing: { perSecond: options.perSecond },
    });
    const path = `/api/v1/campaigns/${campaign.id}`;

    progress.step('estimate');
    const estimateMs: number[] = [];
    let eligible = 0;
    for (let k = 0; k < 2; k++) {
      const started = performance.now();
      const estimate = await stack.api<{ eligible: number }>('POST', `${path}/estimate`, {});
      estimateMs.push(performance.now() - started);
      eligible = estimate.eligible;
    }

    progress.step('confirm, fan-out and the paced send');
    const base = (await simulatorState(stack)).messages;
    const confirmedAt = performance.now();
    let confirmMs = 0;
    const confirm = stack.api('POST', `${path}/confirm`, {}).then(() => {
      confirmMs = performance.now() - confirmedAt;
    });
    // The provider sampled every 20 ms until the end of the watched send.
    const samples: { at: number; n: number }[] = [];
    let firstAt: number | null = null;
    let snapshotAt: number | null = null;
    let fanOutAt: number | null = null;
    let queued = 0;
    let notQueued = { excluded: 0, renderFailed: 0 };
    const watchProvider = (async () => {
      for (;;) {
        const at = performance.now();
        const n = (await simulatorState(stack)).messages - base;
        samples.push({ at, n });
        if (firstAt === null && n > 0) firstAt = at;
        // And 20 s past the fan-out's end, so that the pace is also seen without it beside.
        const watched =
          firstAt !== null &&
          at - firstAt >= options.paceSeconds * 1000 &&
          fanOutAt !== null &&
          at - fanOutAt >= AFTER_FAN_OUT_MS;
        // Done: watched long enough, or every message is at the provider (a small audience).
        if (fanOutAt !== null && (watched || (queued > 0 && n >= queued))) return;
        if (at - confirmedAt > 30 * 60_000)
          throw new Error('the campaign did not finish in 30 min');
        await sleep(20);
      }
    })();
    const watchFanOut = (async () => {
      for (;;) {
        const view = await stack.api<CampaignView>('GET', path);
        const at = performance.now();
        if (snapshotAt === null && view.progress.snapshotDone) snapshotAt = at;
        if (
          view.progress.snapshotDone &&
          view.progress.fannedOut >= view.progress.recipients &&
          view.progress.recipients > 0
        ) {
          fanOutAt = at;
          queued = view.progress.queued;
          notQueued = {
            excluded: view.progress.excluded,
            renderFailed: view.progress.renderFailed,
          };
          return;
        }
        // Still a draft until the confirm's transaction commits (it snapshots a chunk first).
        if (view.status !== 'running' && !(view.status === 'draft' && confirmMs === 0))
          throw new Error(`the campaign is ${view.status}`);
        await sleep(50);
      }
    })();
    await Promise.all([confirm, watchProvider, watchFanOut]);
    const end = samples[samples.length - 1]?.at ?? confirmedAt;
    // The rest is not sent (unless the whole audience already was).
    if ((await stack.api<CampaignView>('GET', path)).status === 'running')
      await stack.api('POST', `${path}/cancel`, {});
    const { duplicateCount } = await simulatorState(stack);
    const first = firstAt ?? end;
    const fanOutDone = fanOutAt ?? end;
    const sent = countAt(samples, end) - countAt(samples, first);
    const figures = {
      database,
      profiles: options.profiles,
      loadSeconds,
      estimateMs,
      eligible,
      confirmMs,
      snapshotSeconds: ((snapshotAt ?? end) - confirmedAt) / 1000,
      fanOutSeconds: (fanOutDone - confirmedAt) / 1000,
      fanOutPerSecond: queued / ((fanOutDone - confirmedAt) / 1000),
      queued,
      notQueued,
      firstMessageMs: first - confirmedAt,
      perSecond: options.perSecond,
      paceSeconds: (end - first) / 1000,
      meanPerSecond: sent / ((end - first) / 1000),
      pace: [1, 5, 10].map((s) =>
        paceWindows(samples, first, end, fanOutDone, options.perSecond, s),
      ),
      duplicates: duplicateCount,
    };
    await stack.stopTern();
    progress.step('reference: one INSERT … SELECT of the same messages');
    const ref = openTarget(url);
    try {
      const { rows, seconds } = await plainInsertSelect(ref, campaign.id);
      return { ...figures, reference: { rows, perSecond: rows / seconds } };
    } finally {
      await ref.close();
    }
  } finally {
    await stack.stop();
  }
}

/** Its own database beside the others' (`tern_bench` → `tern_bench_campaign`). */
function campaignDatabaseUrl(url: string): string {
  const name = benchDatabaseName(url);
  return Object.assign(new URL(url), { pathname: `/${name}_campaign` }).toString();
}

/** SQLite (a fresh file), then PostgreSQL (a fresh database). */
export async function campaignBenchmark(options: CampaignOptions): Promise<CampaignFigures[]> {
  const figures: CampaignFigures[] = [];
  if (options.sqlite !== false) {
    progress.benchmark(`Campaign on SQLite: ${count(options.profiles)} profiles`);
    const dir = mkdtempSync(join(tmpdir(), 'tern-bench-campaign-'));
    try {
      figures.push(await runOne('SQLite', join(dir, 'tern.db'), options));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (options.postgresUrl !== null) {
    progress.benchmark(`Campaign on PostgreSQL: ${count(options.profiles)} profiles`);
    const url = await freshPostgresDatabase(campaignDatabaseUrl(options.postgresUrl));
    figures.push(await runOne('PostgreSQL', url, options));
  }
  return figures;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      profiles: { type: 'string', default: '100000' },
      full: { type: 'boolean', default: false },
      rate: { type: 'string', default: '1000' },
      'pace-seconds': { type: 'string' },
      pg: { type: 'string', default: DEFAULT_PG_URL },
      'no-pg': { type: 'boolean', default: false },
      'no-sqlite': { type: 'boolean', default: false },
      docs: { type: 'boolean', default: false },
    },
  });
  const options: CampaignOptions = {
    profiles: values.full ? 1_000_000 : Number(values.profiles),
    perSecond: Number(values.rate),
    paceSeconds: Number(values['pace-seconds'] ?? (values.full ? 60 : 30)),
    postgresUrl: values['no-pg'] ? null : values.pg,
    sqlite: !values['no-sqlite'],
  };
  const startedAt = new Date();
  const machine = await readMachine(options.postgresUrl);
  progress.plan((options.sqlite ? 1 : 0) + (options.postgresUrl === null ? 0 : 1));
  const figures = await campaignBenchmark(options);
  console.log(
    `\nCampaign (${machine.cores} cores, load average ${machine.loadAtStart.toFixed(2)})\n`,
  );
  for (const line of campaignLines(figures)) console.log(line);
  if (values.docs) {
    const page = resolve('docs/benchmarks.md');
    const run = {
      startedAt: startedAt.toISOString(),
      commit: machine.commit,
      loadAverage: machine.loadAtStart,
      command: `npx tsx bench/campaign.ts ${process.argv.slice(2).join(' ')}`.trim(),
    };
    const before = readFileSync(page, 'utf8');
    // Figures of other sizes or databases from earlier runs stay; the same ones are replaced.
    const section = campaignSection(
      mergeFigures(
        sectionFigures(before),
        figures.map((f) => ({ ...f, run })),
      ),
      machine,
    );
    const config = await prettier.resolveConfig(page);
    const next = await prettier.format(replaceCampaignSection(before, section), {
      ...config,
      parser: 'markdown',
    });
    writeFileSync(page, next);
    console.log(`\nWrote the campaign section of ${page}`);
  }
}
