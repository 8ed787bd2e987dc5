/**
 * `tern demo`: the whole loop on one machine with no Infobip account. Starts the Infobip
 * simulator and Tern (SQLite in a demo folder, send worker on), configures them through Tern's
 * own REST API (credentials pointing at the simulator, a channel configuration, an admin token),
 * and prints where to click.
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
    });
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

    // Texts to the account's number go to Tern's inbound webhook for these credentials.
    simulator.setInboundNumber(DEMO_INBOUND_NUMBER.slice(1), credential.webhooks.inbound.url);

    const consoleUrl = `${server.url}/#token=${encodeURIComponent(token)}`;
    const phoneUrl = `${simulatorUrl}/__sim/phone`;
    out.write(banner({ consoleUrl, phoneUrl, url: server.url, dataDir, token }));

    let closing: Promise<void> | undefined;
    return {
      tern: server,
      simulator,
      token,
      consoleUrl,
      phoneUrl,
      credentialId: credential.id,
      channelIds,
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

function banner(d: {
  consoleUrl: string;
  phoneUrl: string;
  url: string;
  dataDir: string;
  token: string;
}): string {
  const phone = DEMO_PHONE;
  return `
  Tern demo is running (Infobip simulator, no account needed). Ctrl-C stops both.

  Admin console:   ${d.consoleUrl}
  Virtual phone:   ${d.phoneUrl}
  API docs:        ${d.url}/docs
  Admin token:     ${d.token}
  Data:            ${d.dataDir} (delete it to start over)

  Three things to try:
    1. In the console, Messages › Send test message: channel "${MARKETING_CHANNEL}", to ${phone}.
       Watch it go queued → accepted → delivered.
    2. Open the virtual phone as ${phone.slice(1)}, reply STOP to ${DEMO_INBOUND_NUMBER.slice(1)}. The phone
       gets the opt-out reply; Audience › Profiles shows ${phone} unsubscribed, live.
    3. Send the marketing message again: it is suppressed (no consent), and so is a
       "${TRANSACTIONAL_CHANNEL}" one: after STOP a number gets only the opt-out confirmation.
       Text START to subscribe again, and both go through.

`;
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
