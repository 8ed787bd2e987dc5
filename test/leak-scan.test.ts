import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../simulator/src/index.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { observeRecords, pending } from './helpers/leak-record.js';
import { findLeaks, formatLeaks, type LeakRecord } from './helpers/leak-scan.js';

const KEY = 'c0ffee00c0ffee00c0ffee00-beef';
const HOOK = 'hook-secret-0123456789abcdef';
const TOKEN = 'admin-token-0123456789abcdefghij';

const secret = (kind: 'api_key' | 'webhook_secret' | 'admin_token', value: string): LeakRecord => ({
  type: 'secret',
  kind,
  value,
  origin: 'a test',
});
const log = (text: string): LeakRecord => ({ type: 'output', kind: 'log', origin: 'b', text });
const answer = (
  method: string,
  url: string,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): Extract<LeakRecord, { type: 'output' }> => ({
  type: 'output',
  kind: 'response',
  origin: 'c',
  text: JSON.stringify(body),
  headers: JSON.stringify(headers),
  request: { method, url, statusCode },
});
const credential = (extra: Record<string, unknown> = {}) => ({
  id: 'cred-1',
  apiKeyHint: '••••beef',
  webhooks: {
    inbound: { url: `http://tern.test/webhooks/infobip/cred-1/inbound/${HOOK}`, secret: HOOK },
    deliveryReports: { url: 'http://tern.test/webhooks/infobip/cred-1/reports/x', secret: 'x' },
  },
  ...extra,
});
const secrets = [
  secret('api_key', KEY),
  secret('webhook_secret', HOOK),
  secret('admin_token', TOKEN),
];
const leaked = (records: LeakRecord[]) =>
  findLeaks([...secrets, ...records]).map((l) => l.secret.value);

describe('the secrets scan', () => {
  it('finds a secret anywhere in a log line, an answer or its headers', () => {
    expect(leaked([log(`{"level":20,"msg":"calling with ${KEY}"}`)])).toEqual([KEY]);
    expect(leaked([answer('GET', '/api/v1/me', 200, { note: `xx${TOKEN}yy` })])).toEqual([TOKEN]);
    expect(leaked([answer('GET', '/api/v1/me', 200, {}, { 'x-debug': HOOK })])).toEqual([HOOK]);
    expect(
      leaked([{ type: 'output', kind: 'metrics', origin: 'd', text: `m{k="${KEY}"} 1` }]),
    ).toEqual([KEY]);
    expect(leaked([log('{"msg":"nothing to see"}')])).toEqual([]);
  });

  it('allows the webhook URLs and secret in credential answers, and nowhere else', () => {
    expect(leaked([answer('GET', '/api/v1/credentials/cred-1', 200, credential())])).toEqual([]);
    expect(
      leaked([answer('GET', '/api/v1/credentials?limit=5', 200, { items: [credential()] })]),
    ).toEqual([]);
    // The same secret elsewhere in a credential answer, or in any other answer, is a leak.
    expect(
      leaked([answer('GET', '/api/v1/credentials/cred-1', 200, credential({ name: HOOK }))]),
    ).toEqual([HOOK]);
    expect(leaked([answer('GET', '/api/v1/channel-configurations', 200, credential())])).toEqual([
      HOOK,
      HOOK,
    ]);
    // An API key has no exception, not even in a credential answer.
    expect(
      leaked([answer('POST', '/api/v1/credentials', 201, credential({ apiKeyHint: KEY }))]),
    ).toEqual([KEY]);
    // The CLI prints the same objects.
    const cli = (argv: string[]): LeakRecord => ({
      type: 'output',
      kind: 'child_output',
      origin: 'e',
      text: JSON.stringify(credential()),
      argv,
    });
    expect(leaked([cli(['credentials', 'show', 'cred-1', '--json'])])).toEqual([]);
    expect(leaked([cli(['channels', 'list', '--json'])])).toEqual([HOOK, HOOK]);
  });

  it('allows a token and an event-webhook secret in their creation answers only', () => {
    expect(leaked([answer('POST', '/api/v1/tokens', 201, { id: 't', token: TOKEN })])).toEqual([]);
    expect(leaked([answer('GET', '/api/v1/tokens', 200, [{ id: 't', token: TOKEN }])])).toEqual([
      TOKEN,
    ]);
    expect(
      leaked([answer('POST', '/api/v1/event-webhooks', 201, { id: 'w', secret: TOKEN })]),
    ).toEqual([]);
    expect(
      leaked([answer('GET', '/api/v1/event-webhooks/w', 200, { id: 'w', secret: TOKEN })]),
    ).toEqual([TOKEN]);
  });

  it("does not count a secret the caller put in the URL, echoed to it or in that request's log", () => {
    const asked = (url: string, body: unknown): LeakRecord => ({
      ...answer('GET', url, 404, body),
      requestId: 'req-1',
    });
    const logged = (url: string) => log(`{"level":30,"reqId":"req-1","req":{"url":"${url}"}}`);
    const wrongId = `/api/v1/credentials/${HOOK}`;
    expect(
      leaked([asked(wrongId, { error: `No API credential ${HOOK}` }), logged(wrongId)]),
    ).toEqual([]);
    // Another request's log line, or an answer to a request that did not carry it: a leak.
    expect(
      leaked([asked('/api/v1/me', {}), log(`{"reqId":"req-2","req":{"url":"${wrongId}"}}`)]),
    ).toEqual([HOOK]);
    expect(leaked([asked('/api/v1/me', { error: HOOK })])).toEqual([HOOK]);
    // A provider webhook URL carries the secret by design: its log lines must mask it.
    const hook = `/webhooks/infobip/cred-1/inbound/${HOOK}`;
    expect(leaked([asked(hook, {}), logged(hook)])).toEqual([HOOK]);
    const misplaced = `/webhooks/infobip/${HOOK}/inbound/x`;
    expect(leaked([asked(misplaced, {}), logged(misplaced)])).toEqual([]);
  });

  it('ignores secrets too short to search, and says where a leak came from', () => {
    expect(findLeaks([secret('api_key', 'k'), log('k k k')])).toEqual([]);
    const leaks = findLeaks([...secrets, answer('GET', '/api/v1/me?x=1', 200, { a: KEY })]);
    const report = formatLeaks(leaks);
    expect(report).toContain('1 secret leak(s)');
    expect(report).toContain(`api_key "${KEY}" (from: a test)`);
    expect(report).toContain('in response (GET /api/v1/me?x=1 → 200) of: c');
  });
});

let simulator: Simulator;
let url: string;
beforeAll(async () => {
  simulator = await createSimulator({ apiKeys: [KEY] });
  url = await simulator.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => simulator.close());

describeEachDialect('the secrets recorder', ({ db }) => {
  it('sees the secrets and every output of a test app', async () => {
    observeRecords(true);
    try {
      const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/credentials',
        headers: t.auth,
        payload: { name: 'scan', baseUrl: url, apiKey: KEY },
      });
      expect(res.statusCode).toBe(201);
      const webhookSecret = res.json<{ webhooks: { inbound: { secret: string } } }>().webhooks
        .inbound.secret;
      const token = await t.app.inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: t.auth,
        payload: { name: 'another' },
      });
      expect(token.statusCode).toBe(201);
      // Refused before any route runs (auth hook), unknown route, and a streamed answer.
      expect((await t.app.inject({ url: '/api/v1/me' })).statusCode).toBe(401);
      expect((await t.app.inject({ url: '/nowhere', headers: t.auth })).statusCode).toBe(404);
      const csv = await t.app.inject({ url: '/api/v1/profiles/consent.csv', headers: t.auth });
      expect(csv.body).toContain('phone,consent');
      await t.app.close();

      const secretsSeen = pending.flatMap((r) => (r.type === 'secret' ? [r.value] : []));
      expect(secretsSeen).toEqual(
        expect.arrayContaining([
          t.token,
          KEY,
          webhookSecret,
          token.json<{ token: string }>().token,
        ]),
      );
      const kinds = new Set(pending.flatMap((r) => (r.type === 'output' ? [r.kind] : [])));
      expect([...kinds].sort()).toEqual(['audit', 'log', 'metrics', 'response']);
      const created = pending.find(
        (r) => r.type === 'output' && r.request?.url === '/api/v1/credentials',
      );
      expect(created && created.type === 'output' && created.text).toBe(res.body);
      const answered = (url: string) =>
        pending.flatMap((r) => (r.type === 'output' && r.request?.url === url ? [r.text] : []));
      expect(answered('/api/v1/me')).toHaveLength(1);
      expect(answered('/nowhere')).toHaveLength(1);
      expect(answered('/api/v1/profiles/consent.csv')).toEqual([csv.body]);
      expect(findLeaks(pending)).toEqual([]);
    } finally {
      observeRecords(false);
    }
  });
});
