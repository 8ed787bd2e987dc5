/**
 * The chaos run: `tern serve` under a mixed load (batch sends, inbound texts with STOP/START
 * from some numbers, delivery reports from the simulator), killed with SIGKILL at random moments
 * and restarted each time. Afterwards, with Tern up and the load stopped, everything settles and
 * the run counts what an operator must be able to rely on:
 *
 * - every message the API acknowledged (2xx) exists and reached a final status;
 * - every inbound text the webhook acknowledged (2xx) is stored, by provider messageId (texts
 *   whose POST failed are posted again with the same messageId, as Infobip retries);
 * - no message reached the provider for a number whose latest consent event at that moment was
 *   an opt-out (the opt-out confirmation itself aside), from the simulator's observations and
 *   the profile API's consent ledger;
 * - duplicate message ids at the provider (reconciliation through the provider logs should
 *   leave none), each explained from Tern's message row.
 *
 * Shared by `bench/chaos.ts` (full run) and `test/chaos.test.ts` (a few kills per dialect).
 * Loopback only: Tern, the simulator and the load all on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { openDatabase, type Db } from '../../src/db/database.js';
import type { MessageStatus } from '../../src/messages/message.js';
import { isFinal } from '../../src/messages/status.js';
import { dropPgDatabase, freshPgDatabase } from '../../test/helpers/pg-database.js';
import {
  freePort,
  startSimulator,
  startTern,
  ternApi,
  type Child,
} from '../../test/helpers/processes.js';

export interface ChaosOptions {
  dialect: 'sqlite' | 'postgres';
  /** PostgreSQL: a server URL; the run makes (and drops) a database of its own on it. */
  postgresUrl?: string;
  /** SIGKILLs during the load. */
  kills: number;
  /** Tern runs for a random time in this range (ms, after it is ready) before each kill. */
  upMs?: [number, number];
  /** How long Tern stays dead after a kill (random in this range, ms). */
  downMs?: [number, number];
  /** How long everything may take to settle after the load stops. */
  settleTimeoutMs?: number;
  /** Messages per batch request and batch requests a second. */
  batchSize?: number;
  batchesPerSecond?: number;
  /** Inbound texts a second (from the consent numbers). */
  inboundPerSecond?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Keeps the database (SQLite file / PostgreSQL database) for inspection. */
  keep?: boolean;
}

export interface ChaosCounts {
  dialect: string;
  kills: number;
  durationMs: number;
  batchRequests: { sent: number; acknowledged: number; failed: number };
  /**
   * Why load requests failed: `ECONNREFUSED` (Tern dead), socket errors (killed mid-request),
   * or an HTTP status Tern answered (which should not happen while it is up).
   */
  failures: Record<string, number>;
  messages: {
    acknowledged: number;
    /** Acknowledged but not in the database: lost. */
    missing: number;
    /** Rows in the database (acknowledged ones, replies, and batches whose answer a kill cut). */
    stored: number;
    /** Rows still queued, sending or accepted (awaiting their report) after settling. */
    notFinal: number;
    byStatus: Record<string, number>;
  };
  inbound: {
    /** Distinct texts posted (each until it got a 2xx). */
    posted: number;
    acknowledged: number;
    /** POSTs that failed (Tern dead or killed mid-request) and were posted again later. */
    retriedPosts: number;
    /** Acknowledged but not stored: lost. */
    missing: number;
    stored: number;
  };
  provider: {
    /** Destinations the simulator accepted (duplicates included). */
    messages: number;
    duplicates: number;
    duplicateIds: string[];
    /** One line per duplicate: what Tern recorded for it. */
    duplicateExplanations: string[];
    /** Messages sent by the provider whose final report was still undelivered after settling. */
    pendingReports: number;
    /**
     * Messages the provider accepted that Tern records as never sent (suppressed, failed,
     * expired before acceptance, or unknown): Tern's record contradicts the provider's. Must be 0.
     */
    contradicted: number;
    contradictions: string[];
  };
  consent: {
    /** Numbers that texted STOP/START. */
    numbers: number;
    optOutEvents: number;
    /** Provider-accepted messages to those numbers (opt-out confirmations excluded). */
    checkedMessages: number;
    /**
     * Of those, accepted by the provider after an opt-out was surely committed (its webhook
     * answered, or the process that took it died) with no opt-in since, by more than a provider
     * call's time. Must be 0.
     */
    sentAfterOptOut: number;
    /**
     * Accepted while the opt-out was still being committed: after its ledger time, before its
     * commit was certain (plus one provider call). The worker reads consent right before the
     * provider call; an opt-out committing during that call cannot stop it. Each listed.
     */
    racingOptOut: number;
    details: string[];
  };
}

const KEY = 'chaos-simulator-key-0000000000';
const TOKEN = 'chaos-admin-token-0123456789';
const INBOUND_NUMBER = '+14155550999';
const OPT_OUT_MESSAGE = 'CHAOS: you are unsubscribed. Reply START to subscribe again.';
const CONSENT_NUMBERS = Array.from(
  { length: 30 },
  (_, i) => `+1415700${String(i).padStart(4, '0')}`,
);
const INBOUND_TEXTS = ['STOP', 'START', 'STOP', 'HELP', 'hello there', 'START', 'stop.', 'Yes'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = ([lo, hi]: [number, number]) => lo + Math.random() * (hi - lo);
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const digits = (phone: string) => phone.replace(/^\+/, '');

interface SimMessage {
  messageId: string;
  to: string;
  text: string;
  acceptedAt: number;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await request(url);
  if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${await res.body.text()}`);
  return (await res.body.json()) as T;
}

/** A database for one run, on the chosen dialect. */
async function makeDatabase(
  options: ChaosOptions,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (options.dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tern-chaos-'));
    return {
      url: join(dir, 'tern.db'),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const admin = options.postgresUrl;
  if (!admin) throw new Error('the PostgreSQL chaos run needs postgresUrl');
  const url = await freshPgDatabase(admin, 'tern_chaos');
  return { url, drop: () => dropPgDatabase(admin, url) };
}

/** Runs the chaos scenario once and returns its counts (it throws only if it cannot run at all). */
export async function runChaos(options: ChaosOptions): Promise<ChaosCounts> {
  const log = options.log ?? (() => undefined);
  const upMs = options.upMs ?? [200, 3000];
  const downMs = options.downMs ?? [0, 500];
  const batchSize = options.batchSize ?? 40;
  const batchEveryMs = 1000 / (options.batchesPerSecond ?? 8);
  const inboundEveryMs = 1000 / (options.inboundPerSecond ?? 25);
  const started = Date.now();
  const database = await makeDatabase(options);
  // Reports come 300 ms after acceptance; the simulator's webhook retries (1 min + n² min) are
  // scaled by 0.01 so that a report refused by a dead Tern is posted again within seconds.
  // Lenient on purpose: the run counts what survives kills within its own few minutes; with
  // the strict logs lag and throttle an uncertain send needs the whole 5-minute lookup window
  // before any resend (test/reconciliation.test.ts covers those against the strict defaults),
  // and without the lag Tern's shorter window below is safe (see TERN_UNCERTAIN_LOOKUP_…).
  const sim = await startSimulator(KEY, [
    '--dlr-delay-ms',
    '300',
    '--time-factor',
    '0.01',
    '--logs-lag-ms',
    '0',
    '--duplicate-message-ids',
    'accept',
    '--logs-per-minute',
    '0',
  ]);
  // One port for every incarnation: the webhook URLs handed to the provider stay valid.
  const port = String(await freePort());
  const env = {
    DATABASE_URL: database.url,
    TERN_PORT: port,
    TERN_ADMIN_TOKEN: TOKEN,
    TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
    TERN_SECRET_KEY: 'cd'.repeat(32),
    TERN_SEND_BATCH_SIZE: '100',
    // A killed worker's claims are taken over (as uncertain, so looked up first) after 3 s.
    TERN_SEND_LEASE_MS: '3000',
    TERN_RETRY_BASE_MS: '500',
    TERN_RETRY_MAX_MS: '5000',
    // A kill between a claim and its provider call leaves a batch that never reached the
    // provider; taken over as uncertain, it is resent only after the last lookup finds nothing:
    // 5 min by default, past this run's settle window (42 messages of one batch still queued
    // 60 s after the load in a 12-kill run). The simulator's logs have no lag here, so a
    // message it holds is found at the first lookup: the default's first three lookups (15 s)
    // decide as safely. The 5-minute window under strict logs: test/reconciliation.test.ts.
    TERN_UNCERTAIN_LOOKUP_SCHEDULE_MS: '2000,5000,15000',
    LOG_LEVEL: 'error',
  };
  let tern: Child | undefined = await startTern(env);
  const base = tern.url;
  const api = <T>(method: 'GET' | 'POST', path: string, body?: unknown) =>
    ternApi<T>(base, TOKEN, method, path, body);
  // Load requests give up after 10 s, so that a request to a process that died cannot hang.
  const agent = new Agent({
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    connect: { timeout: 2000 },
  });

  const counts: ChaosCounts = {
    dialect: options.dialect,
    kills: 0,
    durationMs: 0,
    batchRequests: { sent: 0, acknowledged: 0, failed: 0 },
    failures: {},
    messages: { acknowledged: 0, missing: 0, stored: 0, notFinal: 0, byStatus: {} },
    inbound: { posted: 0, acknowledged: 0, retriedPosts: 0, missing: 0, stored: 0 },
    provider: {
      messages: 0,
      duplicates: 0,
      duplicateIds: [],
      duplicateExplanations: [],
      pendingReports: 0,
      contradicted: 0,
      contradictions: [],
    },
    consent: {
      numbers: CONSENT_NUMBERS.length,
      optOutEvents: 0,
      checkedMessages: 0,
      sentAfterOptOut: 0,
      racingOptOut: 0,
      details: [],
    },
  };

  try {
    const credential = await api<{ id: string; webhooks: { inbound: { url: string } } }>(
      'POST',
      '/api/v1/credentials',
      {
        name: 'chaos',
        baseUrl: sim.url,
        apiKey: KEY,
        sendRatePerSecond: 10_000,
        inboundNumber: INBOUND_NUMBER,
        optOutMessage: OPT_OUT_MESSAGE,
        defaultInboundReply: 'CHAOS: thanks for your text.',
      },
    );
    const channels = await Promise.all(
      (['marketing', 'transactional'] as const).map((messageType) =>
        api<{ id: string }>('POST', '/api/v1/channel-configurations', {
          name: `chaos-${messageType}`,
          credentialId: credential.id,
          sender: 'TERN',
          messageType,
        }),
      ),
    );
    const inboundPath = new URL(credential.webhooks.inbound.url).pathname;

    // --- the load ---------------------------------------------------------------------------
    const acknowledged = new Set<string>();
    const inboundAcked = new Set<string>();
    const inboundRetry: string[] = [];
    const inboundBodies = new Map<string, string>();
    // When each POST of an inbound text that reached Tern ended (answered, or cut by a kill; a
    // refused connection never reached it). The one that committed the text is the first to
    // end after the text's ledger time: its end bounds the commit.
    const postEnds = new Map<string, number[]>();
    const ended = (messageId: string) => {
      const ends = postEnds.get(messageId) ?? [];
      ends.push(Date.now());
      postEnds.set(messageId, ends);
    };
    let loading = true;
    let sequence = 0;
    const failed = (what: string, why: string) => {
      const key = `${what} ${why}`;
      counts.failures[key] = (counts.failures[key] ?? 0) + 1;
    };
    const reason = (error: unknown) =>
      (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));

    const sendBatch = async () => {
      const messages = Array.from({ length: batchSize }, () => {
        const consentNumber = Math.random() < 0.3;
        return {
          channelConfigurationId: pick(channels).id,
          to: consentNumber
            ? pick(CONSENT_NUMBERS)
            : `+1415600${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`,
          text: `chaos ${++sequence}`,
        };
      });
      counts.batchRequests.sent++;
      try {
        const res = await request(`${base}/api/v1/messages/batch`, {
          method: 'POST',
          dispatcher: agent,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ messages }),
        });
        const text = await res.body.text();
        if (res.statusCode >= 300) {
          counts.batchRequests.failed++;
          return failed('batch', `HTTP ${res.statusCode}`);
        }
        const answer = JSON.parse(text) as { results: { message?: { id: string } }[] };
        for (const r of answer.results) if (r.message) acknowledged.add(r.message.id);
        counts.batchRequests.acknowledged++;
      } catch (error) {
        counts.batchRequests.failed++; // Tern dead, or killed while answering: not acknowledged
        failed('batch', reason(error));
      }
    };

    const postInbound = async (messageId: string): Promise<boolean> => {
      try {
        const res = await request(`${base}${inboundPath}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: inboundBodies.get(messageId) ?? '',
        });
        await res.body.dump();
        ended(messageId);
        if (res.statusCode >= 300) {
          failed('inbound', `HTTP ${res.statusCode}`);
          return false;
        }
        inboundAcked.add(messageId);
        return true;
      } catch (error) {
        failed('inbound', reason(error));
        const refused = (error as { code?: string }).code === 'ECONNREFUSED';
        if (!refused) ended(messageId);
        return false;
      }
    };

    const sendInbound = async () => {
      // A text whose POST failed goes again first, with the same messageId (a provider retry).
      let messageId = inboundRetry.shift();
      if (messageId) counts.inbound.retriedPosts++;
      else {
        messageId = `chaos-mo-${++sequence}`;
        const text = pick(INBOUND_TEXTS);
        inboundBodies.set(
          messageId,
          JSON.stringify({
            results: [
              {
                messageId,
                from: digits(pick(CONSENT_NUMBERS)),
                to: digits(INBOUND_NUMBER),
                text,
                cleanText: text,
                keyword: text.split(' ')[0]?.toUpperCase() ?? '',
                receivedAt: new Date().toISOString().replace('Z', '+0000'),
                smsCount: 1,
                price: { pricePerMessage: 0, currency: 'EUR' },
              },
            ],
            messageCount: 1,
            pendingMessageCount: 0,
          }),
        );
      }
      if (!(await postInbound(messageId))) inboundRetry.push(messageId);
    };

    /** Calls `work` every `everyMs` (never two at once) until the load stops; pauses on failure. */
    const every = async (everyMs: number, work: () => Promise<void>) => {
      while (loading) {
        const t0 = Date.now();
        await work();
        await sleep(Math.max(0, everyMs - (Date.now() - t0)));
      }
    };
    const load = Promise.all([
      every(batchEveryMs, sendBatch),
      every(inboundEveryMs, sendInbound),
      every(inboundEveryMs, sendInbound),
    ]);

    // --- the kills --------------------------------------------------------------------------
    for (let k = 1; k <= options.kills; k++) {
      await sleep(between(upMs));
      await tern.stop('SIGKILL');
      tern = undefined;
      counts.kills++;
      await sleep(between(downMs));
      const t0 = Date.now();
      tern = await startTern(env);
      log(
        `kill ${k}/${options.kills}: restarted in ${Date.now() - t0} ms; ${acknowledged.size} messages and ${inboundAcked.size} inbound texts acknowledged so far`,
      );
    }
    await sleep(between(upMs));
    loading = false;
    await load;

    // Texts still unacknowledged are posted again until Tern takes them (it is up now).
    for (let attempt = 0; inboundRetry.length > 0 && attempt < 50; attempt++) {
      const retry = inboundRetry.splice(0);
      counts.inbound.retriedPosts += retry.length;
      for (const id of retry) if (!(await postInbound(id))) inboundRetry.push(id);
      if (inboundRetry.length > 0) await sleep(200);
    }
    counts.inbound.posted = inboundBodies.size;
    counts.inbound.acknowledged = inboundAcked.size;
    counts.messages.acknowledged = acknowledged.size;
    log(
      `load stopped after ${counts.kills} kills: ${acknowledged.size} messages, ${inboundAcked.size} inbound texts acknowledged; settling`,
    );

    // --- settle and count -------------------------------------------------------------------
    const db = openDatabase(database.url);
    try {
      await settle(db, sim, options.settleTimeoutMs ?? 90_000, log);
      await countMessages(db, acknowledged, counts);
      await countInbound(db, inboundAcked, counts);
      await countProvider(db, sim, counts);
      await countConsent(db, sim, api, postEnds, counts);
    } finally {
      await db.close();
    }
  } finally {
    counts.durationMs = Date.now() - started;
    await tern?.stop();
    await sim.stop();
    await agent.close();
    if (options.keep) log(`database kept: ${database.url}`);
    else await database.drop();
  }
  return counts;
}

/** Waits until no message is queued, sending or awaiting its report, and the provider has no report left to post. */
async function settle(
  db: Db,
  sim: Child,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const rows = await db.kysely
      .selectFrom('messages')
      .select(['status', db.kysely.fn.countAll<number>().as('n')])
      .where('status', 'in', ['queued', 'sending', 'accepted'])
      .groupBy('status')
      .execute();
    const state = await getJson<{ pendingReports: number; pendingRetries: number }>(
      `${sim.url}/__sim/state`,
    );
    const open = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    const line = `not final: ${JSON.stringify(open)}; provider reports pending ${state.pendingReports}, webhook retries pending ${state.pendingRetries}`;
    if (rows.length === 0 && state.pendingReports === 0 && state.pendingRetries === 0) return;
    if (Date.now() > deadline) {
      log(`gave up settling: ${line}`);
      return;
    }
    if (line !== last) log(`settling… ${line}`);
    last = line;
    await sleep(500);
  }
}

async function countMessages(db: Db, acknowledged: Set<string>, counts: ChaosCounts) {
  const rows = await db.kysely.selectFrom('messages').select(['id', 'status']).execute();
  const status = new Map(rows.map((r) => [r.id, r.status]));
  counts.messages.stored = rows.length;
  for (const row of rows) {
    counts.messages.byStatus[row.status] = (counts.messages.byStatus[row.status] ?? 0) + 1;
    if (!isFinal(row.status as MessageStatus)) counts.messages.notFinal++;
  }
  for (const id of acknowledged) if (!status.has(id)) counts.messages.missing++;
}

async function countInbound(db: Db, acked: Set<string>, counts: ChaosCounts) {
  const rows = await db.kysely
    .selectFrom('inbound_messages')
    .select('provider_message_id')
    .execute();
  const stored = new Set(rows.map((r) => r.provider_message_id));
  counts.inbound.stored = rows.length;
  for (const id of acked) if (!stored.has(id)) counts.inbound.missing++;
}

async function countProvider(db: Db, sim: Child, counts: ChaosCounts) {
  const state = await getJson<{ messages: number; pendingReports: number }>(
    `${sim.url}/__sim/state`,
  );
  const duplicates = await getJson<{ count: number; messageIds: string[] }>(
    `${sim.url}/__sim/duplicates`,
  );
  counts.provider.messages = state.messages;
  counts.provider.pendingReports = state.pendingReports;
  counts.provider.duplicates = duplicates.count;
  counts.provider.duplicateIds = duplicates.messageIds;
  const received = await getJson<SimMessage[]>(`${sim.url}/__sim/messages?limit=100000000`);
  for (let i = 0; i < received.length; i += 500) {
    const chunk = received.slice(i, i + 500);
    const rows = await db.kysely
      .selectFrom('messages')
      .select(['id', 'status', 'status_reason', 'accepted_at', 'attempts'])
      .where(
        'id',
        'in',
        chunk.map((m) => m.messageId),
      )
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const m of chunk) {
      const row = byId.get(m.messageId);
      const neverSent =
        !row ||
        row.status === 'suppressed' ||
        row.status === 'failed' ||
        (row.status === 'expired' && row.accepted_at === null);
      if (!neverSent) continue;
      counts.provider.contradicted++;
      counts.provider.contradictions.push(
        `${m.messageId} to ${m.to}: ${row ? `${row.status} after ${row.attempts} claims (${row.status_reason ?? ''})` : 'not in Tern'}`,
      );
    }
  }
  for (const id of duplicates.messageIds) {
    const row = await db.kysely
      .selectFrom('messages')
      .select(['status', 'attempts', 'origin', 'uncertain'])
      .where('id', '=', id)
      .executeTakeFirst();
    const events = await db.kysely
      .selectFrom('message_events')
      .select(['status', 'reason', 'at'])
      .where('message_id', '=', id)
      .orderBy('at')
      .execute();
    counts.provider.duplicateExplanations.push(
      `${id}: ${row ? `${row.status} after ${row.attempts} claims (origin ${row.origin})` : 'not in Tern'}; history ${events
        .map((e) => `${e.at} ${e.status}${e.reason ? ` (${e.reason})` : ''}`)
        .join(' → ')}`,
    );
  }
}

/**
 * The worker reads consent right before its provider call, and the simulator stamps a message
 * when the call reaches it: measured 1–40 ms later here, more when the machine stalls. An
 * acceptance within this allowance after an opt-out's commit became certain may have been
 * decided before that commit, so it counts as racing (and is listed). A lost or ignored opt-out
 * shows up differently: sends seconds after it, across a restart.
 */
const PROVIDER_CALL_ALLOWANCE_MS = 500;

/**
 * For every provider-accepted message to a number that texted STOP/START: the number's latest
 * consent event (from the profile API's ledger) at the moment the provider accepted it. Only the
 * opt-out confirmation may go to a number whose latest event is an opt-out. An opt-out counts
 * from its commit, which lies between its ledger time and the end of the POST that carried it.
 */
async function countConsent(
  db: Db,
  sim: Child,
  api: <T>(method: 'GET' | 'POST', path: string) => Promise<T>,
  postEnds: Map<string, number[]>,
  counts: ChaosCounts,
) {
  const providerIds = new Map(
    (
      await db.kysely.selectFrom('inbound_messages').select(['id', 'provider_message_id']).execute()
    ).map((r) => [r.id, r.provider_message_id]),
  );
  for (const phone of CONSENT_NUMBERS) {
    let history: { to: string; at: string; inboundMessageId: string | null }[];
    try {
      history = (
        await api<{ consentHistory: typeof history }>(
          'GET',
          `/api/v1/profiles/${encodeURIComponent(phone)}`,
        )
      ).consentHistory;
    } catch (error) {
      if (String(error).includes(': 404')) history = [];
      else throw error;
    }
    const events = history
      .map((e) => {
        const at = Date.parse(e.at);
        const providerId = e.inboundMessageId ? providerIds.get(e.inboundMessageId) : undefined;
        // Without its inbound text's POST times, an event is taken as committed at its ledger time.
        const committed = (providerId ? (postEnds.get(providerId) ?? []) : []).find((t) => t >= at);
        return { to: e.to, at, committed: committed ?? at };
      })
      .sort((a, b) => a.at - b.at);
    counts.consent.optOutEvents += events.filter((e) => e.to === 'unsubscribed').length;
    const received = await getJson<SimMessage[]>(
      `${sim.url}/__sim/messages?to=${digits(phone)}&limit=1000000`,
    );
    const origins = new Map<string, string>();
    const ids = received.map((m) => m.messageId);
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await db.kysely
        .selectFrom('messages')
        .select(['id', 'origin'])
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const row of rows) origins.set(row.id, row.origin);
    }
    for (const m of received) {
      if (origins.get(m.messageId) === 'opt_out_reply') continue;
      counts.consent.checkedMessages++;
      let latest: (typeof events)[number] | undefined;
      for (const e of events) if (e.at <= m.acceptedAt) latest = e;
      if (latest?.to !== 'unsubscribed') continue;
      const racing = m.acceptedAt <= latest.committed + PROVIDER_CALL_ALLOWANCE_MS;
      if (racing) counts.consent.racingOptOut++;
      else counts.consent.sentAfterOptOut++;
      counts.consent.details.push(
        `${racing ? 'racing' : 'SENT AFTER OPT-OUT'}: ${m.messageId} to ${phone} (${origins.get(m.messageId) ?? 'not in Tern'}, "${m.text}") accepted ${m.acceptedAt - latest.at} ms after the opt-out's ledger time, ${m.acceptedAt - latest.committed} ms after its commit was certain`,
      );
    }
  }
}

/** The counts as a two-column table, one block per run. */
export function formatCounts(all: ChaosCounts[]): string {
  const rows: [string, ...string[]][] = [
    ['', ...all.map((c) => c.dialect)],
    ['SIGKILLs', ...all.map((c) => String(c.kills))],
    ['duration (s)', ...all.map((c) => (c.durationMs / 1000).toFixed(0))],
    ['batch requests sent', ...all.map((c) => String(c.batchRequests.sent))],
    ['  answered 2xx', ...all.map((c) => String(c.batchRequests.acknowledged))],
    ['  failed (Tern dead / killed)', ...all.map((c) => String(c.batchRequests.failed))],
    ['messages acknowledged (2xx)', ...all.map((c) => String(c.messages.acknowledged))],
    ['  missing from the database', ...all.map((c) => String(c.messages.missing))],
    ['messages stored (incl. replies)', ...all.map((c) => String(c.messages.stored))],
    ['  not final after settling', ...all.map((c) => String(c.messages.notFinal))],
    [
      '  by status',
      ...all.map((c) =>
        Object.entries(c.messages.byStatus)
          .sort()
          .map(([s, n]) => `${s} ${n}`)
          .join(', '),
      ),
    ],
    ['inbound texts posted', ...all.map((c) => String(c.inbound.posted))],
    ['  answered 2xx', ...all.map((c) => String(c.inbound.acknowledged))],
    ['  POSTs retried after a failure', ...all.map((c) => String(c.inbound.retriedPosts))],
    ['  acknowledged but not stored', ...all.map((c) => String(c.inbound.missing))],
    ['inbound rows stored', ...all.map((c) => String(c.inbound.stored))],
    ['provider: messages accepted', ...all.map((c) => String(c.provider.messages))],
    ['provider: duplicate message ids', ...all.map((c) => String(c.provider.duplicates))],
    ['provider: reports not yet posted', ...all.map((c) => String(c.provider.pendingReports))],
    ['provider has it, Tern says never sent', ...all.map((c) => String(c.provider.contradicted))],
    ['consent: opt-out events (30 numbers)', ...all.map((c) => String(c.consent.optOutEvents))],
    ['consent: messages to them checked', ...all.map((c) => String(c.consent.checkedMessages))],
    ['  sent after an opt-out committed', ...all.map((c) => String(c.consent.sentAfterOptOut))],
    ['  sent while an opt-out committed', ...all.map((c) => String(c.consent.racingOptOut))],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
  for (const c of all) {
    const failures = Object.entries(c.failures).sort();
    lines.push(`${c.dialect} failed requests: ${failures.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const line of c.provider.duplicateExplanations)
      lines.push(`${c.dialect} duplicate: ${line}`);
    for (const line of c.provider.contradictions)
      lines.push(`${c.dialect} provider has it, Tern says never sent: ${line}`);
    for (const line of c.consent.details) lines.push(`${c.dialect} consent: ${line}`);
  }
  return lines.join('\n');
}
