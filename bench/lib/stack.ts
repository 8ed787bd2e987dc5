/**
 * The outbound stack of a benchmark: the simulator (delivery reports held back) and `tern serve`
 * (API and send worker) in child processes, configured for each other through the REST API, and
 * the client verbs the benchmarks share: send through the batch or single API, wait until the
 * provider has accepted, read the simulator's state and Tern's message counts.
 */
import { request } from 'undici';
import type { SimMessage } from '../../simulator/src/store.js';
import { closedLoop, type LoopResult } from './load.js';
import { startSimulator, startTern, ternApi, type Child } from '../../test/helpers/processes.js';

const KEY = 'bench-outbound-key-000000000000';
const TOKEN = 'bench-admin-token-0123456789';
/** /metrics is off without a metrics token (TERN_METRICS_TOKEN). */
const METRICS_TOKEN = 'bench-metrics-token-0123456789';

/** The simulator's counters (`GET /__sim/state`). */
export interface SimulatorState {
  messages: number;
  duplicateCount: number;
}

export interface Stack {
  sim: Child;
  /** The running `tern serve` (replaced by {@link Stack.startTern}). */
  tern: Child;
  credentialId: string;
  channelId: string;
  /** The admin token's Authorization header. */
  authorization: string;
  /** Tern's API with the benchmark's admin token. */
  api<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T>;
  /** Stops `tern serve`, keeping the simulator. */
  stopTern(): Promise<void>;
  /** Starts `tern serve` again on the same database, after {@link Stack.stopTern}. */
  startTern(): Promise<void>;
  stop(): Promise<void>;
}

function serve(databaseUrl: string, extraEnv: Record<string, string>): Promise<Child> {
  return startTern(
    {
      DATABASE_URL: databaseUrl,
      TERN_ADMIN_TOKEN: TOKEN,
      TERN_METRICS_TOKEN: METRICS_TOKEN,
      TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
      TERN_SEND_BATCH_SIZE: '1000',
      // 60,000 a minute by default: the single API at 50 connections must not meet it.
      TERN_RATE_LIMIT_API_PER_MINUTE: '10000000',
      ...extraEnv,
    },
    'serve',
    { compiled: true },
  );
}

/**
 * Starts the simulator (reports held back for an hour, so that the send path is measured alone)
 * and `tern serve` on `databaseUrl`, with one credential (rate 10,000/s) and one channel.
 */
export async function startStack(
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<Stack> {
  const sim = await startSimulator(KEY, ['--dlr-delay-ms', '3600000']);
  let tern: Child | null = null;
  try {
    tern = await serve(databaseUrl, extraEnv);
    const api = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) => {
      if (tern === null) throw new Error('tern serve is stopped');
      return ternApi<T>(tern.url, TOKEN, method, path, body);
    };
    const credential = await api<{ id: string }>('POST', '/api/v1/credentials', {
      name: 'bench',
      baseUrl: sim.url,
      apiKey: KEY,
      sendRatePerSecond: 10_000,
    });
    const channel = await api<{ id: string }>('POST', '/api/v1/channel-configurations', {
      name: 'bench',
      credentialId: credential.id,
      sender: 'TERN',
    });
    const stack: Stack = {
      sim,
      tern,
      credentialId: credential.id,
      channelId: channel.id,
      authorization: `Bearer ${TOKEN}`,
      api,
      stopTern: async () => {
        await tern?.stop();
        tern = null;
      },
      startTern: async () => {
        if (tern !== null) throw new Error('tern serve is running');
        tern = await serve(databaseUrl, extraEnv);
        stack.tern = tern;
      },
      stop: async () => {
        await tern?.stop();
        tern = null;
        await sim.stop();
      },
    };
    return stack;
  } catch (error) {
    await tern?.stop();
    await sim.stop();
    throw error;
  }
}

/** The send body of message number `i` (a distinct US number each). */
export function benchMessage(stack: Stack, i: number) {
  return {
    channelConfigurationId: stack.channelId,
    to: `+1415${String(5_000_000 + i).padStart(7, '0')}`,
    text: `Bench message ${i}`,
  };
}

/** The simulator's counters. */
export async function simulatorState(stack: Stack): Promise<SimulatorState> {
  const res = await request(`${stack.sim.url}/__sim/state`);
  return (await res.body.json()) as SimulatorState;
}

/** The newest `limit` messages the simulator has accepted, oldest first. */
export async function simulatorMessages(stack: Stack, limit: number): Promise<SimMessage[]> {
  const res = await request(`${stack.sim.url}/__sim/messages?limit=${limit}`);
  return (await res.body.json()) as SimMessage[];
}

/**
 * Sends `count` messages numbered from `first` through the batch API (1,000 a request, 4 in
 * flight); throws if any is refused. Resolves when Tern's API has accepted them all.
 */
export function sendBatches(
  stack: Stack,
  first: number,
  count: number,
  onProgress?: (accepted: number) => void,
): Promise<LoopResult> {
  const perRequest = 1000;
  let accepted = 0;
  return closedLoop({
    concurrency: 4,
    count: Math.ceil(count / perRequest),
    task: async (r) => {
      const from = r * perRequest;
      const messages = Array.from({ length: Math.min(perRequest, count - from) }, (_, k) =>
        benchMessage(stack, first + from + k),
      );
      const res = await stack.api<{ refused: number }>('POST', '/api/v1/messages/batch', {
        messages,
      });
      if (res.refused > 0) throw new Error(`${res.refused} refused`);
      onProgress?.((accepted += messages.length));
    },
  });
}

/**
 * Waits until the simulator has accepted `target` messages in all (polling every 20 ms); resolves
 * with `performance.now()` at that moment. Gives up after `timeoutMs`.
 */
export async function waitForProvider(
  stack: Stack,
  target: number,
  onProgress?: (accepted: number) => void,
  timeoutMs = 600_000,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    const { messages } = await simulatorState(stack);
    onProgress?.(messages);
    if (messages >= target) return performance.now();
    if (performance.now() - start > timeoutMs)
      throw new Error(`timed out: the provider has ${messages} of ${target} messages`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Tern's message counts by status, read from `/metrics` (`tern_messages{status="…"}`). */
export async function ternMessageCounts(stack: Stack): Promise<Record<string, number>> {
  const res = await request(`${stack.tern.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await res.body.text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^tern_messages\{status="([a-z_]+)"\} (\d+)$/gm))
    if (match[1] && match[2]) counts[match[1]] = Number(match[2]);
  return counts;
}
