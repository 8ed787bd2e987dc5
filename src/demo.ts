/**
 * `tern demo`: the whole loop on one machine with no Infobip account. Starts the Infobip
 * simulator and Tern (SQLite in a demo folder, send worker on), configures them through Tern's
 * own REST API (credentials pointing at the simulator, a channel configuration, an admin token,
 * and the OFFERS automation: a keyword response and a follow-up flow), and prints where to click.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createAdminToken } from './auth/admin-tokens.js';
import { systemClock } from './clock.js';
import { parseConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer, type RunningServer } from './server.js';
import { createSimulator, type Simulator } from '../simulator/src/index.js';

export const DEMO_API_KEY = 'demo-api-key-0123456789';
/** The account's number in the simulator, in E.164 as Tern stores it. */
export const DEMO_INBOUND_NUMBER = '+447860099000';
export const DEMO_PHONE = '+447911123456';
const CREDENTIAL_NAME = 'Demo Infobip (simulator)';
const MARKETING_CHANNEL = 'demo-marketing';
const TRANSACTIONAL_CHANNEL = 'demo-transactional';
export const DEMO_OFFERS_LIST = 'Offers';
export const DEMO_OFFERS_FLOW = 'Offers follow-up';
const OFFERS_REPLY_TEMPLATE = 'offers-reply';
const OFFERS_FOLLOW_UP_TEMPLATE = 'offers-follow-up';
/** The first words of the demo's texts, for tests that watch the virtual phone. */
export const DEMO_OFFERS_REPLY_START = "Here are today's offers";
export const DEMO_FOLLOW_UP_START = 'Still thinking it over?';
/**
 * Flow waits run this many times faster than real time in the demo: the follow-up's day lasts
 * a minute. TERN_FLOW_TIME_SCALE in the environment wins.
 */
export const DEMO_FLOW_TIME_SCALE = 1440;

export interface DemoOptions {
  /** Tern's port; 0 picks a free one. Default 8080. */
  port?: number;
  /** The simulator's port; 0 picks a free one. Default 9090 (or a free one if taken). */
  simulatorPort?: number;
  /** Where the SQLite database lives. Default `./data/demo`. */
  dataDir?: string;
  /** Environment (for LOG_LEVEL and the like). */
  env?: Record<string, string | undefined>;
  out?: NodeJS.WritableStream;
}

export interface RunningDemo {
  tern: RunningServer;
  simulator: Simulator;
  token: string;
  consoleUrl: string;
  phoneUrl: string;
  credentialId: string;
  channelIds: { marketing: string; transactional: string };
  /** The OFFERS automation: its list, templates and flow. */
  offers: { listId: string; replyTemplateId: string; followUpTemplateId: string; flowId: string };
  /** Flow waits are divided by this (a day lasts 86,400 / timeScale seconds). */
  flowTimeScale: number;
  close(): Promise<void>;
}

/** A port nothing listens on right now (for a public URL that must name the real port). */
async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function listenSimulator(simulator: Simulator, port: number): Promise<string> {
  try {
    return await simulator.listen({ port, host: '127.0.0.1' });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE' || port === 0) throw error;
    return simulator.listen({ port: 0, host: '127.0.0.1' });
  }
}

/** Starts the simulator and Tern, and configures them for the demo. */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const env = options.env ?? process.env;
  const out = options.out ?? process.stdout;
  const dataDir = resolve(options.dataDir ?? './data/demo');
  mkdirSync(dataDir, { recursive: true });
  const port = options.port === undefined ? 8080 : options.port || (await freePort());

  const simulator = await createSimulator({
    apiKeys: [DEMO_API_KEY],
    reportDelayMs: 1500,
    balance: 100,
    currency: 'EUR',
  });
  let tern: RunningServer | undefined;
  try {
    const simulatorUrl = await listenSimulator(simulator, options.simulatorPort ?? 9090);
    const config = parseConfig({
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      TERN_HOST: env.TERN_HOST,
      TERN_PORT: String(port),
      TERN_PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: resolve(dataDir, 'tern.db'),
      TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
      TERN_WORKER: 'true',
      // Retries in seconds, not minutes: a demo should show a failure settle quickly.
      TERN_RETRY_BASE_MS: '1000',
      TERN_RETRY_MAX_MS: '10000',
      TERN_MAX_EVENT_LOOP_DELAY_MS: env.TERN_MAX_EVENT_LOOP_DELAY_MS,
      TERN_FLOW_TIME_SCALE: env.TERN_FLOW_TIME_SCALE ?? String(DEMO_FLOW_TIME_SCALE),
    });
    const flowTimeScale = Number(env.TERN_FLOW_TIME_SCALE ?? DEMO_FLOW_TIME_SCALE);
    const logger = createLogger(config.logLevel, out);
    // Tern's own first-start banner is not shown: the demo prints its own, with a fresh token.
    const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
    tern = await startServer(config, { logger, out: quiet });
    const server = tern;
    const { token } = await createAdminToken(server.db, systemClock, { name: 'demo console' });

    // Configure through the REST API, as any client would.
    const call = async <T>(method: string, url: string, payload?: unknown): Promise<T> => {
      const res = await server.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
      if (res.statusCode >= 300) {
        throw new Error(`demo set-up: ${method} ${url} answered ${res.statusCode}: ${res.body}`);
      }
      return res.json<T>();
    };
    const credentialFields = {
      name: CREDENTIAL_NAME,
      baseUrl: simulatorUrl,
      apiKey: DEMO_API_KEY,
      inboundNumber: DEMO_INBOUND_NUMBER,
      customInboundKeywords: ['OFFERS', 'DISCOUNT'],
      defaultInboundReply: 'Thanks for your message! Reply HELP for help or STOP to opt out.',
    };
    const found = await call<{ items: { id: string; name: string }[] }>(
      'GET',
      `/api/v1/credentials?name=${encodeURIComponent(CREDENTIAL_NAME)}`,
    );
    const existing = found.items.find((c) => c.name === CREDENTIAL_NAME);
    // A re-run reuses the demo's data; the simulator's port may have changed, so update it.
    const credential = existing
      ? await call<CredentialView>('PATCH', `/api/v1/credentials/${existing.id}`, {
          baseUrl: simulatorUrl,
          apiKey: DEMO_API_KEY,
        })
      : await call<CredentialView>('POST', '/api/v1/credentials', credentialFields);

    const channels = await call<{ items: { id: string; name: string }[] }>(
      'GET',
      `/api/v1/channel-configurations?credentialId=${credential.id}`,
    );
    const channel = async (name: string, messageType: 'marketing' | 'transactional') =>
      channels.items.find((c) => c.name === name)?.id ??
      (
        await call<{ id: string }>('POST', '/api/v1/channel-configurations', {
          name,
          description:
            messageType === 'marketing'
              ? 'Marketing: needs consent, suppressed after STOP'
              : 'Transactional: account and order notices',
          channel: 'sms',
          messageType,
          credentialId: credential.id,
          sender: DEMO_INBOUND_NUMBER,
          ...(messageType === 'marketing' ? { marketingFooter: 'Reply STOP to opt out' } : {}),
        })
      ).id;
    const channelIds = {
      marketing: await channel(MARKETING_CHANNEL, 'marketing'),
      transactional: await channel(TRANSACTIONAL_CHANNEL, 'transactional'),
    };

    const offers = await configureOffers(call, credential.id, channelIds.marketing);

    // Texts to the account's number go to Tern's inbound webhook for these credentials.
    simulator.setInboundNumber(DEMO_INBOUND_NUMBER.slice(1), credential.webhooks.inbound.url);

    const consoleUrl = `${server.url}/#token=${encodeURIComponent(token)}`;
    const phoneUrl = `${simulatorUrl}/__sim/phone`;
    out.write(banner({ consoleUrl, phoneUrl, url: server.url, dataDir, token, flowTimeScale }));

    let closing: Promise<void> | undefined;
    return {
      tern: server,
      simulator,
      token,
      consoleUrl,
      phoneUrl,
      credentialId: credential.id,
      channelIds,
      offers,
      flowTimeScale,
      close: () =>
        (closing ??= (async () => {
          await server.close();
          await simulator.close();
        })()),
    };
  } catch (error) {
    await tern?.close();
    await simulator.close();
    throw error;
  }
}

interface CredentialView {
  id: string;
  webhooks: { inbound: { url: string } };
}

type Call = <T>(method: string, url: string, payload?: unknown) => Promise<T>;

/** The item named exactly `name` among a list route's matches (`?name=` matches a substring). */
async function findNamed(call: Call, path: string, name: string): Promise<string | null> {
  const found = await call<{ items: { id: string; name: string }[] }>(
    'GET',
    `${path}?name=${encodeURIComponent(name)}&limit=100`,
  );
  return found.items.find((item) => item.name === name)?.id ?? null;
}

/**
 * The OFFERS automation: texting OFFERS asks for offers, so the keyword's response answers with
 * today's offers, adds the texter to the Offers list and subscribes them (the reply says so and
 * how to stop); a flow follows up on the marketing channel a day later. What a re-run finds
 * (by name, or the keyword's response) is kept as it is, edits included.
 */
async function configureOffers(
  call: Call,
  credentialId: string,
  marketingChannelId: string,
): Promise<RunningDemo['offers']> {
  const listId =
    (await findNamed(call, '/api/v1/lists', DEMO_OFFERS_LIST)) ??
    (
      await call<{ id: string }>('POST', '/api/v1/lists', {
        name: DEMO_OFFERS_LIST,
        description: 'People who texted OFFERS (added by the keyword response)',
      })
    ).id;
  const template = async (name: string, messageType: 'marketing' | 'transactional', body: string) =>
    (await findNamed(call, '/api/v1/templates', name)) ??
    (await call<{ id: string }>('POST', '/api/v1/templates', { name, messageType, body })).id;
  // A reply to the person's own request: transactional, sent at any hour (it answers a text).
  const replyTemplateId = await template(
    OFFERS_REPLY_TEMPLATE,
    'transactional',
    `${DEMO_OFFERS_REPLY_START}: 2 for 1 on coffee and 20% off pastries until midnight. ` +
      `You're subscribed to offers. Reply STOP to opt out.`,
  );
  // The marketing channel adds its footer ("Reply STOP to opt out").
  const followUpTemplateId = await template(
    OFFERS_FOLLOW_UP_TEMPLATE,
    'marketing',
    `${DEMO_FOLLOW_UP_START} Yesterday's offers are on until Sunday: show this text at the till.`,
  );

  const responses = await call<{ items: { keyword: string }[] }>(
    'GET',
    `/api/v1/credentials/${credentialId}/keyword-responses`,
  );
  if (!responses.items.some((r) => r.keyword === 'OFFERS')) {
    await call('PUT', `/api/v1/credentials/${credentialId}/keyword-responses/OFFERS`, {
      templateId: replyTemplateId,
      actions: [
        { type: 'add_to_list', listId },
        { type: 'set_consent', to: 'subscribed' },
      ],
    });
  }

  const flowId =
    (await findNamed(call, '/api/v1/flows', DEMO_OFFERS_FLOW)) ??
    (
      await call<{ id: string }>('POST', '/api/v1/flows', {
        name: DEMO_OFFERS_FLOW,
        status: 'active',
        definition: {
          trigger: { type: 'keyword', credentialId, keyword: 'OFFERS' },
          channelConfigurationId: marketingChannelId,
          settings: { oneRunPerPerson: true, maxSendsPerRun: 1, maxSendsPerDay: 1 },
          steps: [
            { id: 'wait-a-day', type: 'wait', seconds: 86_400 },
            { id: 'follow-up', type: 'send', templateId: followUpTemplateId },
          ],
        },
      })
    ).id;
  return { listId, replyTemplateId, followUpTemplateId, flowId };
}

function banner(d: {
  consoleUrl: string;
  phoneUrl: string;
  url: string;
  dataDir: string;
  token: string;
  flowTimeScale: number;
}): string {
  const phone = DEMO_PHONE;
  const day = dayLasts(d.flowTimeScale);
  return `
  Tern demo is running (Infobip simulator, no account needed). Ctrl-C stops both.

  Admin console:   ${d.consoleUrl}
  Virtual phone:   ${d.phoneUrl}
  API docs:        ${d.url}/docs
  Admin token:     ${d.token}
  Data:            ${d.dataDir} (delete it to start over)

  Four things to try:
    1. In the console, Messages › Send test message: channel "${MARKETING_CHANNEL}", to ${phone}.
       Watch it go queued → accepted → delivered.
    2. Open the virtual phone as ${phone.slice(1)}, reply STOP to ${DEMO_INBOUND_NUMBER.slice(1)}. The phone
       gets the opt-out reply; Audience › Profiles shows ${phone} unsubscribed, live.
    3. Send the marketing message again: it is suppressed (no consent), and so is a
       "${TRANSACTIONAL_CHANNEL}" one: after STOP a number gets only the opt-out confirmation.
       Text START to subscribe again, and both go through.
    4. Text OFFERS from the virtual phone (as a new number, e.g. 447911123499): the offers
       reply comes at once, and the number is on the "${DEMO_OFFERS_LIST}" list, subscribed.
       The "${DEMO_OFFERS_FLOW}" flow texts again a day later (flows run a day in ${day}
       here), unless you text STOP in between. A +44 number has no quiet hours in the
       shipped send-time policy, so it comes at any hour (at night a US number's waits for 08:00).

`;
}

/** How long a flow's day lasts on the demo's clock, in words. */
function dayLasts(timeScale: number): string {
  const seconds = 86_400 / timeScale;
  if (seconds >= 7200) return `${Math.round(seconds / 3600)} hours`;
  if (seconds >= 120) return `${Math.round(seconds / 60)} minutes`;
  if (seconds === 60) return 'a minute';
  return `${Math.max(1, Math.round(seconds))} seconds`;
}

/** Runs the demo until SIGINT/SIGTERM, then stops Tern and the simulator. */
export async function runDemoUntilSignalled(options: DemoOptions = {}): Promise<void> {
  const signalled = new Promise<NodeJS.Signals>((done) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.once(signal, () => process.exit(130));
      done(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const demo = await startDemo(options);
  await signalled;
  (options.out ?? process.stdout).write('\n  Stopping the demo…\n');
  await demo.close();
}
