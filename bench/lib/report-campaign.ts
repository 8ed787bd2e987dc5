/**
 * The issue 15 part of the report: the campaign benchmark's figures (bench/campaign.ts) as a
 * terminal table, a Markdown section of docs/benchmarks.md between its own markers, and the
 * issue's aims judged on them.
 */
import type { CampaignFigures } from '../campaign.js';
import type { Machine } from './machine.js';
import { count } from './progress.js';
import { markdownTable, textTable, type Table } from './report.js';

/** The markers around this section: `bench/campaign.ts --docs` replaces only what lies between. */
export const SECTION_START = '<!-- bench/campaign.ts: start -->';
export const SECTION_END = '<!-- bench/campaign.ts: end -->';

const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(0)} ms`;
const pct = (n: number | null) => (n === null ? '—' : `${(n * 100).toFixed(1)} %`);

/**
 * What holds the fan-out back, from a CPU profile (not remeasured by each run: it says when and
 * on which code it was taken).
 */
const FAN_OUT_PROFILE = `What holds the fan-out back (\`node --cpu-prof\` of the campaign runner's steps in one
process, 100,000 recipients on SQLite, 2026-12-01, code 4fd97e4, 19,348 recipients/s, 5.2 s):
writing, 2.37 s (47 %) — the 2,000-row message insert \`enqueueMessages\`
(src/messages/message.repository.ts:112 → src/db/prepared.ts:84, 1.48 s, SQLite's own time in
the messages table and its indexes), the history rows (\`appendMessageEvents\`, 0.24 s) and the
recipient marks (\`markRecipients\`, src/campaigns/fan-out.ts:365, 0.21 s); judging, 1.90 s
(37 %) — \`checkMessage\` (src/campaigns/fan-out.ts:121, 1.14 s) of which 0.93 s (9.3 µs a
recipient) is parsing the number again with libphonenumber (src/messages/message.rules.ts:74 →
src/phone.ts:26; the 10,000-number memo misses on an audience of distinct numbers, whose phones
are stored normalised already), the Liquid render (src/campaigns/fan-out.ts:115 →
src/templates/render.ts:165, 0.46 s) and \`checkRendered\` (0.12 s); garbage collection 0.53 s.
The writes alone come to ~24 µs a recipient (≈ 42,000/s), so 50,000/s needs a cheaper message
insert as well as a judge without the second phone parse. Two fixes came out of these runs: the
campaign runner now gives the event loop a turn between chunks (before, on SQLite the API and
the sender stood still for the whole fan-out: first message 6.2 s after confirm at 100,000,
src/campaigns/campaign-runner.ts), and the recipient marks bound their scan by the chunk's seq
range (before, PostgreSQL with no statistics on a fresh snapshot hashed every recipient per
statement: a 1M fan-out ran at ~900 recipients/s, src/campaigns/fan-out.ts markRecipients).`;

/** One row per database: every figure of the run. */
export function campaignTable(figures: readonly CampaignFigures[]): Table {
  return {
    header: [
      'database',
      'profiles',
      'load',
      'estimate (1st / 2nd)',
      'confirm answered',
      'fan-out into the queue',
      'INSERT … SELECT reference',
      'fan-out ÷ reference',
      'first message at the provider',
      'pacing',
      'provider rate (mean)',
      'max deviation, 1 s / 5 s / 10 s windows',
      'after the fan-out, 1 s / 5 s / 10 s',
      'duplicates',
    ],
    rows: figures.map((f) => [
      f.database,
      count(f.profiles),
      `${f.loadSeconds.toFixed(0)} s`,
      f.estimateMs.map(ms).join(' / '),
      ms(f.confirmMs),
      `${count(f.fanOutPerSecond)} recipients/s (${count(f.queued)} queued in ${f.fanOutSeconds.toFixed(1)} s${f.notQueued && f.notQueued.excluded + f.notQueued.renderFailed > 0 ? `; ${f.notQueued.excluded} excluded, ${f.notQueued.renderFailed} failed` : ''})`,
      `${count(f.reference.perSecond)} rows/s`,
      `${(f.fanOutPerSecond / f.reference.perSecond).toFixed(2)}×`,
      ms(f.firstMessageMs),
      `${count(f.perSecond)}/s for ${f.paceSeconds.toFixed(0)} s`,
      `${count(f.meanPerSecond)}/s`,
      f.pace.map((p) => pct(p.maxDeviation)).join(' / '),
      f.pace.map((p) => pct(p.maxDeviationAfterFanOut)).join(' / '),
      String(f.duplicates),
    ]),
    numeric: [false, true, true, true, true, true, true, true, true, true, true, true, true, true],
  };
}

/** The issue's figures, judged on this run; an aim at 1M is not judged on a smaller run. */
export function campaignAims(figures: readonly CampaignFigures[]): Table {
  const rows: string[][] = [];
  for (const f of figures) {
    const full = f.profiles >= 1_000_000;
    const at = `${f.database}, ${count(f.profiles)} profiles`;
    const judge = (ok: boolean, aimAtFull: boolean) =>
      aimAtFull && !full ? 'not judged (below 1M)' : ok ? 'met' : 'not met';
    rows.push(
      [
        `fan-out ≥ 50,000 recipients/s${f.database === 'SQLite' ? '' : ' (say the figure)'}`,
        at,
        `${count(f.fanOutPerSecond)}/s`,
        f.database === 'SQLite' ? judge(f.fanOutPerSecond >= 50_000, false) : 'reported',
      ],
      [
        'first message at the provider ≤ 2 s after confirm',
        at,
        ms(f.firstMessageMs),
        judge(f.firstMessageMs <= 2000, false),
      ],
      [
        'the send paced at the configured rate, held within 5 % (10 s windows)',
        at,
        `${pct(f.pace.find((p) => p.seconds === 10)?.maxDeviation ?? null)} at ${count(f.perSecond)}/s`,
        judge((f.pace.find((p) => p.seconds === 10)?.maxDeviation ?? Infinity) <= 0.05, false),
      ],
      [
        'estimate for 1M profiles ≤ 2 s',
        at,
        ms(Math.min(...f.estimateMs)),
        judge(Math.min(...f.estimateMs) <= 2000, true),
      ],
    );
  }
  return {
    header: ['aim', 'run', 'figure', 'verdict'],
    rows,
    numeric: [false, false, true, false],
  };
}

/** The terminal lines of a run. */
export function campaignLines(figures: readonly CampaignFigures[]): string[] {
  const t = campaignTable(figures);
  // Transposed: one line per figure, one column per database (the table is wide).
  const rows = t.header.map((h, c) => [h, ...t.rows.map((r) => r[c] ?? '')]);
  return [
    textTable({
      header: rows[0] ?? [],
      rows: rows.slice(1),
      numeric: rows[0]?.map((_, i) => i > 0) ?? [],
    }),
    '',
    textTable(campaignAims(figures)),
  ];
}

/** The figures kept in the section (a comment), so that a later run adds to them. */
const FIGURES = /<!-- figures: (.*?) -->/s;

export function sectionFigures(page: string): CampaignFigures[] {
  const start = page.indexOf(SECTION_START);
  const end = page.indexOf(SECTION_END);
  if (start < 0 || end < start) return [];
  const json = FIGURES.exec(page.slice(start, end))?.[1];
  return json ? (JSON.parse(json) as CampaignFigures[]) : [];
}

/** Earlier figures with the new ones in place of those of the same database and size. */
export function mergeFigures(
  earlier: readonly CampaignFigures[],
  latest: readonly CampaignFigures[],
): CampaignFigures[] {
  const key = (f: CampaignFigures) => `${f.database} ${f.profiles}`;
  const fresh = new Set(latest.map(key));
  return [...earlier.filter((f) => !fresh.has(key(f))), ...latest].sort(
    // SQLite first, then by size.
    (a, b) => b.database.localeCompare(a.database) || a.profiles - b.profiles,
  );
}

/** This benchmark's section of docs/benchmarks.md, markers included. */
export function campaignSection(figures: readonly CampaignFigures[], m: Machine): string {
  const t = campaignTable(figures);
  const transposed = t.header.map((h, c) => [h, ...t.rows.map((r) => r[c] ?? '')]);
  // One line per run: its command, time, code and load, and what it measured.
  const byRun = new Map<string, CampaignFigures[]>();
  for (const f of figures) {
    const key = f.run?.startedAt ?? '';
    byRun.set(key, [...(byRun.get(key) ?? []), f]);
  }
  const runs = [...byRun.values()]
    .map((fs) => {
      const r = fs[0]?.run;
      const what = fs.map((f) => `${f.database} ${count(f.profiles)} profiles`).join(', ');
      if (!r) return `- \`npm run bench\` (this page's run): ${what}`;
      const commit = r.commit.split(' ')[0] ?? '';
      const dirty = r.commit.includes('uncommitted') ? ' + uncommitted changes' : '';
      return `- \`${r.command}\`, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, code ${commit}${dirty}, load average ${r.loadAverage.toFixed(2)} at the start: ${what}`;
    })
    .join('\n');
  return `${SECTION_START}
<!-- figures: ${JSON.stringify(figures)} -->

## Campaigns

${m.cores} cores, ${m.cpuModel}, Node ${m.node}, SQLite ${m.sqlite}${m.postgres ? `, ${m.postgres}` : ''}. The runs:

${runs}

${markdownTable({ header: transposed[0] ?? [], rows: transposed.slice(1), numeric: transposed[0]?.map((_, i) => i > 0) ?? [] })}

${markdownTable(campaignAims(figures))}

How it is measured: on a fresh database \`tern serve\` makes the credential (10,000/s) and a
marketing channel configuration (with its opt-out footer) through the API; with Tern stopped,
\`bench/lib/campaign-load.ts\` writes the profiles straight into the database (\`INSERT … SELECT\`
over a number series, 100,000 a statement, indexes built after): all subscribed, each having
texted OFFERS, with a first name. Then, over the API: a segment (texted OFFERS and subscribed), a
Liquid template with the first name, a campaign paced at the rate shown; the estimate twice; then
confirm, while the script polls the campaign (every 50 ms) for its snapshot and fan-out progress
and the simulator (every 20 ms) for the messages it has accepted. "Fan-out" runs from the confirm
request to the moment every recipient is a queued message. The provider's rate is taken over
back-to-back windows from the first message on, for the time shown (the remaining messages are
then cancelled); "deviation" is |rate − pacing| / pacing of the worst window, also over the
windows that began after the fan-out had finished (the fan-out and the sender share the process).
The reference: with Tern stopped, the campaign's messages written again into \`messages\` by one
plain \`INSERT … SELECT\` (every index and trigger, as queued messages) inside a transaction that
is rolled back: the rate of the database alone for the same rows. The fan-out also renders and
checks every text, writes each message's history row and marks each recipient.

${FAN_OUT_PROFILE}
${SECTION_END}`;
}

/**
 * The page with this section replaced (or, the first time, put before "## How each is
 * measured"); the rest of the page is left as it is.
 */
export function replaceCampaignSection(page: string, section: string): string {
  const start = page.indexOf(SECTION_START);
  const end = page.indexOf(SECTION_END);
  if (start >= 0 && end > start)
    return page.slice(0, start) + section + page.slice(end + SECTION_END.length);
  const before = page.indexOf('\n## How each is measured');
  if (before < 0) return `${page.trimEnd()}\n\n${section}\n`;
  return `${page.slice(0, before)}\n${section}\n${page.slice(before)}`;
}
