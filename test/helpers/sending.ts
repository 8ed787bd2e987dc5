import { freePort } from './processes.js';

export { freePort };
import { ManualClock } from '../../src/clock.js';
import type { Db } from '../../src/db/database.js';
import { SendWorker, type WorkerDeps, type WorkerOptions } from '../../src/messages/worker.js';
import {
  createSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../../simulator/src/index.js';
import { buildTestApp, type TestApp } from './app.js';

export const SIM_KEY = 'sending-test-key-0000000000-abcd';

export interface SendingStack {
  t: TestApp;
  clock: ManualClock;
  sim: Simulator;
  worker: SendWorker;
  url: string;
  credentialId: string;
  smsChannelId: string;
  mmsChannelId: string;
  /** Runs worker passes until nothing is due (time does not move unless the test moves it). */
  pump(): Promise<void>;
  send(body: Record<string, unknown>): Promise<{ id: string; status: string }>;
  message(id: string): Promise<{
    message: { status: string; statusReason: string | null; attempts: number };
    history: { status: string }[];
    reports: unknown[];
  }>;
  close(): Promise<void>;
}

/**
 * Tern (listening, so that the simulator can post reports back), the simulator, a credential
 * and SMS/MMS channel configurations pointing at it, and a send worker driven by hand on a
 * manual clock: every retry and expiry is reached by moving time, never by sleeping.
 */
export async function startSendingStack(
  db: Db,
  options: {
    sim?: SimulatorOptions;
    credential?: Record<string, unknown>;
    worker?: Partial<WorkerOptions>;
    /** The worker's provider client for a credential (the registry's unless given). */
    providerClientFor?: WorkerDeps['providerClientFor'];
    /** More environment for Tern (e.g. LOG_LEVEL; warn unless given). */
    env?: Record<string, string>;
  } = {},
): Promise<SendingStack> {
  // Today at 18:00 UTC (13:00 in New York, 10:00 in California): marketing texts to US numbers
  // are inside every shipped quiet-hours window whenever the suite runs (issue 16).
  const clock = new ManualClock(new Date(`${new Date().toISOString().slice(0, 10)}T18:00:00.000Z`));
  const sim = await createSimulator({
    apiKeys: [SIM_KEY],
    outcomeRules: [],
    reportDelayMs: 10,
    // The simulator's time (logs lag, logs throttle) follows Tern's manual clock.
    clock: () => clock.now().getTime(),
    ...options.sim,
  });
  const simUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await buildTestApp(
    db,
    {
      TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
      TERN_PUBLIC_URL: url,
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    clock,
  );
  await t.app.listen({ port, host: '127.0.0.1' });

  const post = async (path: string, payload: object) => {
    const res = await t.app.inject({ method: 'POST', url: path, headers: t.auth, payload });
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
    return res.json<{ id: string }>();
  };
  const credentialId = (
    await post('/api/v1/credentials', {
      name: 'sim',
      baseUrl: simUrl,
      apiKey: SIM_KEY,
      sendRatePerSecond: 10_000,
      ...options.credential,
    })
  ).id;
  const smsChannelId = (
    await post('/api/v1/channel-configurations', { name: 'sms', credentialId, sender: 'TERN' })
  ).id;
  const mmsChannelId = (
    await post('/api/v1/channel-configurations', {
      name: 'mms',
      channel: 'mms',
      credentialId,
      sender: '+14155550100',
    })
  ).id;

  const worker = new SendWorker(
    {
      db,
      clock,
      logger: t.app.log as never,
      credentials: t.services.credentials,
      sandboxes: t.services.sandboxes,
      publicUrl: url,
      metrics: t.services.metrics,
      policy: t.services.policy,
      ...(options.providerClientFor ? { providerClientFor: options.providerClientFor } : {}),
    },
    { allowLoopbackProvider: true, retryBaseMs: 1000, retryMaxMs: 60_000, ...options.worker },
  );

  return {
    t,
    clock,
    sim,
    worker,
    url,
    credentialId,
    smsChannelId,
    mmsChannelId,
    async pump() {
      for (let i = 0; i < 100; i++) {
        const started = await worker.dispatchDue();
        await worker.drain();
        if (started === 0) return;
      }
      throw new Error('the worker kept finding work after 100 passes');
    },
    async send(body) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/messages',
        headers: t.auth,
        payload: { channelConfigurationId: smsChannelId, ...body },
      });
      if (res.statusCode !== 202) throw new Error(`send: ${res.statusCode} ${res.body}`);
      return res.json<{ id: string; status: string }>();
    },
    async message(id) {
      const res = await t.app.inject({ url: `/api/v1/messages/${id}`, headers: t.auth });
      return res.json();
    },
    async close() {
      await worker.stop();
      // The simulator first: its report POSTs in flight would otherwise hold Tern's close.
      await sim.close();
      await t.app.close();
    },
  };
}

/** Polls until `check` passes (delivery reports arrive over HTTP, asynchronously). */
export async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
