/** Test helpers: a real HTTP receiver for webhooks, and a polling wait. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ALL_SCOPES,
  createSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../src/index.js';

/** A least-privileged sending key (the plain-string form: the sending scopes). */
export const KEY = 'test-key';
export const AUTH = { authorization: `App ${KEY}`, 'content-type': 'application/json' };
/** A key with every scope, `account-management:manage` included (needed for the balance). */
export const ADMIN_KEY = 'admin-key';
export const ADMIN_AUTH = { authorization: `App ${ADMIN_KEY}`, 'content-type': 'application/json' };

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer, in order; once used up, 200. */
  answers: number[];
  close(): Promise<void>;
}

export async function startReceiver(answers: number[] = []): Promise<Receiver> {
  const received: Received[] = [];
  const state = { answers: [...answers] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      });
      res.statusCode = state.answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get answers() {
      return state.answers;
    },
    set answers(value: number[]) {
      state.answers = value;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `check` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Messages show in the logs at once (the lag itself is tested in strict.test.ts). */
export async function noLogsLag(url: string): Promise<void> {
  const res = await fetch(`${url}/__sim/settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ logsLagMs: 0 }),
  });
  if (res.status !== 200) throw new Error(`settings: ${res.status}`);
}

/** A listening simulator with the test keys and fast timings; strict otherwise. */
export async function startSimulator(
  options: SimulatorOptions = {},
): Promise<{ sim: Simulator; url: string }> {
  const sim = await createSimulator({
    apiKeys: [KEY, { key: ADMIN_KEY, scopes: ALL_SCOPES }],
    reportDelayMs: 20,
    timeFactor: 0.0001,
    outcomeRules: [],
    ...options,
  });
  const url = await sim.listen({ port: 0 });
  return { sim, url };
}

export interface HttpAnswer<T> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export async function post<T = unknown>(
  url: string,
  body: unknown,
  headers: Record<string, string> = AUTH,
  method = 'POST',
): Promise<HttpAnswer<T>> {
  const res = await fetch(url, {
    method,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: (text ? JSON.parse(text) : undefined) as T,
    headers: res.headers,
  };
}

export async function get<T = unknown>(
  url: string,
  headers: Record<string, string> = AUTH,
): Promise<HttpAnswer<T>> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: (text ? JSON.parse(text) : undefined) as T,
    headers: res.headers,
  };
}

export interface Status {
  groupId: number;
  groupName: string;
  id: number;
  name: string;
  description: string;
}

export interface SendAnswer {
  bulkId?: string;
  messages: {
    to?: string;
    destination?: string;
    messageId: string;
    status: Status;
    smsCount?: number;
    details?: { messageCount: number };
  }[];
}

export interface Report {
  bulkId?: string;
  messageId: string;
  to: string;
  from?: string;
  sender?: string;
  sentAt: string;
  doneAt: string;
  smsCount?: number;
  messageCount?: number;
  callbackData?: string;
  price: { pricePerMessage: number; currency: string };
  status: Status;
  error: Status & { permanent: boolean };
  [key: string]: unknown;
}

export interface Results<T> {
  results: T[];
  messageCount?: number;
  pendingMessageCount?: number;
}
