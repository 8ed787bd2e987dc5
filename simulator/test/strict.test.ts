/**
 * The simulator's strict defaults, each as Infobip's OpenAPI document 3.210.0 has it (issue 13,
 * "The simulator, as strict as Infobip"), and the option or control route that relaxes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALL_SCOPES,
  createSimulator,
  DEFAULT_API_KEY,
  type InboundMmsRecord,
  type Simulator,
  type SimulatorOptions,
} from '../src/index.js';
import { parseSimulatorArgs } from '../src/cli.js';
import {
  get,
  post,
  startReceiver,
  waitFor,
  type Receiver,
  type Report,
  type Results,
  type SendAnswer,
} from './helpers.js';

let sim: Simulator | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = undefined;
  receiver = undefined;
});

const JSON_HEADERS = { 'content-type': 'application/json' };
const auth = (key: string) => ({ authorization: `App ${key}`, 'content-type': 'application/json' });
const DEFAULT_AUTH = auth(DEFAULT_API_KEY);

/** Infobip's defaults but for fast reports and no outcome rules. */
async function strict(options: SimulatorOptions = {}): Promise<string> {
  sim = await createSimulator({ reportDelayMs: 20, outcomeRules: [], ...options });
  return sim.listen({ port: 0 });
}

const SMS_V3 = (messageId?: string, to = '41793026727') => ({
  messages: [
    {
      sender: 'Tern',
      destinations: [{ to, ...(messageId ? { messageId } : {}) }],
      content: { text: 'hi' },
    },
  ],
});
const MMS = {
  messages: [
    {
      sender: '25256',
      destinations: [{ to: '15551234567' }],
      content: { messageSegments: [{ type: 'TEXT', text: 'hi' }] },
    },
  ],
};

const E403 = {
  errorCode: 'E403',
  description: 'Insufficient permissions to access the requested resource.',
  action: 'Repeat the request with new or different credentials.',
  violations: [],
  resources: [
    {
      name: 'API Scopes',
      url: 'https://www.infobip.com/docs/essentials/api-essentials/api-authorization#api-scopes',
    },
  ],
};
const LEGACY_403 = {
  requestError: { serviceException: { messageId: 'FORBIDDEN', text: 'Forbidden' } },
};

describe('API-key scopes (item 1)', () => {
  it('the default key is a least-privileged sending key: it sends, reads logs, reports and inbound, and gets 403 on the balance', async () => {
    const url = await strict({ logsLagMs: 0 });
    expect((await post(`${url}/sms/3/messages`, SMS_V3(), DEFAULT_AUTH)).status).toBe(200);
    expect((await post(`${url}/mms/2/messages`, MMS, DEFAULT_AUTH)).status).toBe(200);
    for (const path of [
      '/sms/3/logs',
      '/sms/1/logs',
      '/mms/2/logs',
      '/sms/3/reports',
      '/sms/1/reports',
      '/mms/2/reports',
      '/sms/1/inbox/reports',
      '/mms/1/inbox/reports',
    ]) {
      expect((await get(`${url}${path}`, DEFAULT_AUTH)).status, path).toBe(200);
    }
    const balance = await get(`${url}/account/1/balance`, DEFAULT_AUTH);
    expect(balance.status).toBe(403);
    expect(balance.body).toEqual(LEGACY_403);
  });

  it('answers 403 with the ApiError body outside a key’s scopes, per endpoint, and accepts any one of the listed scopes', async () => {
    const url = await strict({
      logsLagMs: 0,
      apiKeys: [
        { key: 'send-only', scopes: ['sms:message:send'] },
        { key: 'generic-send', scopes: ['message:send'] },
        { key: 'sms-manage', scopes: ['sms:manage'] },
        { key: 'admin', scopes: ['account-management:manage'] },
      ],
    });
    const sendOnly = auth('send-only');
    expect((await post(`${url}/sms/3/messages`, SMS_V3(), sendOnly)).status).toBe(200);
    expect(
      (
        await post(
          `${url}/sms/2/text/advanced`,
          { messages: [{ destinations: [{ to: '1' }], text: 'x' }] },
          sendOnly,
        )
      ).status,
    ).toBe(200);
    const logs = await get(`${url}/sms/3/logs`, sendOnly);
    expect(logs.status).toBe(403);
    expect(logs.body).toEqual(E403);
    const mms = await post(`${url}/mms/2/messages`, MMS, sendOnly);
    expect(mms.status).toBe(403);
    expect(mms.body).toEqual(E403);
    expect(sim!.messages().filter((m) => m.api === 'mms-v2')).toHaveLength(0);
    expect((await get(`${url}/sms/1/inbox/reports`, sendOnly)).body).toEqual(LEGACY_403);
    // message:send covers both channels' sends and report pulls, not logs.
    const generic = auth('generic-send');
    expect((await post(`${url}/mms/2/messages`, MMS, generic)).status).toBe(200);
    expect((await get(`${url}/mms/2/reports`, generic)).status).toBe(200);
    expect((await get(`${url}/mms/2/logs`, generic)).status).toBe(403);
    // sms:manage covers every SMS route, no MMS route and not the balance.
    const manage = auth('sms-manage');
    for (const path of ['/sms/3/logs', '/sms/3/reports', '/sms/1/inbox/reports']) {
      expect((await get(`${url}${path}`, manage)).status, path).toBe(200);
    }
    expect((await get(`${url}/mms/2/logs`, manage)).status).toBe(403);
    expect((await get(`${url}/account/1/balance`, manage)).status).toBe(403);
    // account-management:manage alone reads the balance and nothing else.
    const admin = auth('admin');
    expect((await get(`${url}/account/1/balance`, admin)).status).toBe(200);
    expect((await post(`${url}/sms/3/messages`, SMS_V3(), admin)).status).toBe(403);
    // A wrong key is still 401, not 403.
    expect((await get(`${url}/sms/3/logs`, auth('nope'))).status).toBe(401);
  });

  it('creates keys and changes their scopes at run time through /__sim/keys, and refuses unknown scopes', async () => {
    const url = await strict();
    expect((await get(`${url}/account/1/balance`, auth('k2'))).status).toBe(401);
    const created = await post(
      `${url}/__sim/keys/k2`,
      { scopes: ['account-management:manage'] },
      JSON_HEADERS,
      'PUT',
    );
    expect(created).toMatchObject({
      status: 200,
      body: { key: 'k2', scopes: ['account-management:manage'] },
    });
    expect((await get(`${url}/account/1/balance`, auth('k2'))).status).toBe(200);
    // Without scopes: the sending scopes.
    await post(`${url}/__sim/keys/k2`, {}, JSON_HEADERS, 'PUT');
    expect((await get(`${url}/account/1/balance`, auth('k2'))).status).toBe(403);
    expect((await get(`${url}/__sim/keys`, {})).body).toContainEqual({
      key: 'k2',
      scopes: [
        'sms:message:send',
        'sms:logs:read',
        'sms:inbound-message:read',
        'mms:message:send',
        'mms:logs:read',
        'mms:inbound-message:read',
      ],
    });
    const bad = await post(
      `${url}/__sim/keys/k3`,
      { scopes: ['sms:everything'] },
      JSON_HEADERS,
      'PUT',
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: { code: 'invalid_request', details: [expect.stringContaining('scopes[0]')] },
    });
    expect((await post(`${url}/__sim/keys/k2`, undefined, {}, 'DELETE')).status).toBe(204);
    expect((await get(`${url}/sms/3/logs`, auth('k2'))).status).toBe(401);
    sim!.setApiKey('k4', ALL_SCOPES);
    expect((await get(`${url}/account/1/balance`, auth('k4'))).status).toBe(200);
    await expect(
      createSimulator({ apiKeys: [{ key: 'x', scopes: ['nope' as never] }] }),
    ).rejects.toThrow(/apiKeys\[0\]\.scopes\[0\]/);
  });

  it('takes scopes on the command line: KEY=scope,scope or KEY=all; a plain key holds the sending scopes', () => {
    const { options } = parseSimulatorArgs(
      ['--api-key', 'plain', '--api-key', 'a=sms:logs:read,sms:manage', '--api-key', 'b=all'],
      {},
    );
    expect(options.apiKeys).toEqual([
      'plain',
      { key: 'a', scopes: ['sms:logs:read', 'sms:manage'] },
      { key: 'b', scopes: [...ALL_SCOPES] },
    ]);
    expect(() => parseSimulatorArgs(['--api-key', 'a=sms:root'], {})).toThrow(
      /--api-key a\[0\] must be one of/,
    );
  });
});

describe('logs: visibility lag and the 120/min throttle (item 2)', () => {
  it('shows a message in /sms/3/logs and /mms/2/logs only logsLagMs after acceptance (default 2000 ms)', async () => {
    let now = 1_700_000_000_000;
    const url = await strict({ clock: () => now });
    expect(sim!.options.logsLagMs).toBe(2000);
    await post(`${url}/sms/3/messages`, SMS_V3('lagged'), DEFAULT_AUTH);
    const mms = await post<SendAnswer>(`${url}/mms/2/messages`, MMS, DEFAULT_AUTH);
    const mmsId = mms.body.messages[0]!.messageId;
    const find = async (path: string, id: string) =>
      (await get<Results<{ messageId: string }>>(`${url}${path}?messageId=${id}`, DEFAULT_AUTH))
        .body.results.length;
    expect(await find('/sms/3/logs', 'lagged')).toBe(0);
    expect(await find('/sms/1/logs', 'lagged')).toBe(0);
    expect(await find('/mms/2/logs', mmsId)).toBe(0);
    now += 1999;
    expect(await find('/sms/3/logs', 'lagged')).toBe(0);
    now += 1;
    expect(await find('/sms/3/logs', 'lagged')).toBe(1);
    expect(await find('/mms/2/logs', mmsId)).toBe(1);
    // The control API can change it at run time.
    await post(`${url}/sms/3/messages`, SMS_V3('at-once'), DEFAULT_AUTH);
    expect(await find('/sms/3/logs', 'at-once')).toBe(0);
    const set = await post(`${url}/__sim/settings`, { logsLagMs: 0 }, JSON_HEADERS, 'PUT');
    expect(set.body).toMatchObject({ logsLagMs: 0 });
    expect(await find('/sms/3/logs', 'at-once')).toBe(1);
  });

  it('answers 429 with Infobip’s body after 120 logs requests a minute per key and endpoint', async () => {
    let now = 1_700_000_000_000;
    const url = await strict({
      clock: () => now,
      apiKeys: [DEFAULT_API_KEY, { key: 'other', scopes: ['sms:logs:read'] }],
    });
    for (let i = 0; i < 120; i++) {
      expect((await get(`${url}/sms/3/logs`, DEFAULT_AUTH)).status).toBe(200);
      now += 100; // 120 requests over 12 s
    }
    const refused = await get(`${url}/sms/3/logs`, DEFAULT_AUTH);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      errorCode: 'E429',
      description: 'Too many requests sent.',
      action: 'Check request rate limit specified in the API endpoint documentation resource.',
      violations: [],
      resources: [
        {
          name: 'Throttling handling errors',
          url: 'https://www.infobip.com/docs/essentials/integration-best-practices#throttling-handling-errors',
        },
      ],
    });
    // Per key, and per endpoint.
    expect((await get(`${url}/sms/3/logs`, auth('other'))).status).toBe(200);
    expect((await get(`${url}/mms/2/logs`, DEFAULT_AUTH)).status).toBe(200);
    const legacy = await get(`${url}/sms/1/logs`, DEFAULT_AUTH);
    expect(legacy.status).toBe(200);
    // Sliding window: the first request leaves the window 60 s after it was made.
    now = 1_700_000_000_000 + 60_000;
    expect((await get(`${url}/sms/3/logs`, DEFAULT_AUTH)).status).toBe(200);
    expect((await get(`${url}/sms/3/logs`, DEFAULT_AUTH)).status).toBe(429);
    // Sends are not throttled.
    expect((await post(`${url}/sms/3/messages`, SMS_V3(), DEFAULT_AUTH)).status).toBe(200);
  });

  it('answers the legacy TOO_MANY_REQUESTS body on /sms/1/logs, and can be switched off', async () => {
    const url = await strict({ logsRateLimit: { requests: 2, windowMs: 60_000 } });
    await get(`${url}/sms/1/logs`, DEFAULT_AUTH);
    await get(`${url}/sms/1/logs`, DEFAULT_AUTH);
    const refused = await get(`${url}/sms/1/logs`, DEFAULT_AUTH);
    expect(refused).toMatchObject({
      status: 429,
      body: {
        requestError: {
          serviceException: { messageId: 'TOO_MANY_REQUESTS', text: 'Too many requests' },
        },
      },
    });
    await post(`${url}/__sim/settings`, { logsRateLimit: false }, JSON_HEADERS, 'PUT');
    for (let i = 0; i < 5; i++)
      expect((await get(`${url}/sms/1/logs`, DEFAULT_AUTH)).status).toBe(200);
    const bad = await post(
      `${url}/__sim/settings`,
      { logsRateLimit: { requests: 0 } },
      JSON_HEADERS,
      'PUT',
    );
    expect(bad.status).toBe(400);
  });
});

describe('duplicate messageId (item 3)', () => {
  it('rejects a messageId already used with 23 REJECTED_DUPLICATE_MESSAGE_ID (group 5) in the 200 and in its report; the first copy is delivered', async () => {
    receiver = await startReceiver();
    const url = await strict({ logsLagMs: 0 });
    const body = (id: string) => ({
      messages: [
        {
          sender: 'Tern',
          destinations: [{ to: '41793026727', messageId: id }],
          content: { text: 'code 1234' },
          webhooks: { delivery: { url: receiver!.url } },
        },
      ],
    });
    const first = await post<SendAnswer>(`${url}/sms/3/messages`, body('m-1'), DEFAULT_AUTH);
    expect(first.body.messages[0]!.status.name).toBe('PENDING_ACCEPTED');
    const again = await post<SendAnswer>(`${url}/sms/3/messages`, body('m-1'), DEFAULT_AUTH);
    expect(again.status).toBe(200);
    expect(again.body.messages[0]).toMatchObject({
      messageId: 'm-1',
      status: { groupId: 5, groupName: 'REJECTED', id: 23, name: 'REJECTED_DUPLICATE_MESSAGE_ID' },
    });
    await sim!.flushReports();
    const reports = receiver.received.flatMap((r) => (r.body as Results<Report>).results);
    expect(reports.map((r) => [r.messageId, r.status.name]).sort()).toEqual([
      ['m-1', 'DELIVERED_TO_HANDSET'],
      ['m-1', 'REJECTED_DUPLICATE_MESSAGE_ID'],
    ]);
    // The first copy stays the message of that id; both show in the logs.
    expect(sim!.message('m-1')?.status.name).toBe('DELIVERED_TO_HANDSET');
    const logs = await get<Results<{ status: { id: number } }>>(
      `${url}/sms/3/logs?messageId=m-1`,
      DEFAULT_AUTH,
    );
    expect(logs.body.results.map((r) => r.status.id).sort()).toEqual([23, 5]);
    expect(sim!.duplicateCount()).toBe(1);
    // The control API switches back to resending.
    await post(`${url}/__sim/settings`, { duplicateMessageIds: 'accept' }, JSON_HEADERS, 'PUT');
    const third = await post<SendAnswer>(`${url}/sms/3/messages`, body('m-1'), DEFAULT_AUTH);
    expect(third.body.messages[0]!.status.id).toBe(26);
  });
});

describe('short-code and alphanumeric MO (item 4)', () => {
  it('forwards an MO to a short code with `to` as the code, and one from an alphanumeric id, in MO_JSON_2', async () => {
    receiver = await startReceiver();
    const url = await strict({ inboundNumbers: { '25256': receiver.url } });
    const stop = await post<{ message: { to: string; from: string } }>(
      `${url}/__sim/inbound`,
      { from: '+41793026727', to: '25256', text: 'STOP' },
      JSON_HEADERS,
    );
    expect(stop.status).toBe(201);
    expect(stop.body.message).toMatchObject({ from: '41793026727', to: '25256' });
    const alpha = await post(
      `${url}/__sim/inbound`,
      { from: 'InfoSMS', to: '25256', text: 'hello' },
      JSON_HEADERS,
    );
    expect(alpha.status).toBe(201);
    await waitFor(() => receiver!.received.length === 2);
    expect(
      receiver.received.map(
        (r) => (r.body as Results<{ to: string; from: string; keyword: string }>).results[0],
      ),
    ).toMatchObject([
      { from: '41793026727', to: '25256', keyword: 'STOP' },
      { from: 'InfoSMS', to: '25256' },
    ]);
    // An alphanumeric inbound id can be configured and receives texts as is.
    await post(
      `${url}/__sim/numbers/TernAlerts`,
      { forwardUrl: receiver.url },
      JSON_HEADERS,
      'PUT',
    );
    await post(
      `${url}/__sim/inbound`,
      { from: '41793026727', to: 'TernAlerts', text: 'STOP' },
      JSON_HEADERS,
    );
    await waitFor(() => receiver!.received.length === 3);
    expect((receiver.received[2]!.body as Results<{ to: string }>).results[0]!.to).toBe(
      'TernAlerts',
    );
  });

  it('refuses an address that is neither a number, a short code nor an alphanumeric id', async () => {
    const url = await strict();
    for (const to of ['', '12', 'Way too long alpha', '+', 'x'.repeat(65), '#$%']) {
      const res = await post(
        `${url}/__sim/inbound`,
        { from: '41793026727', to, text: 'x' },
        JSON_HEADERS,
      );
      expect(res.status, JSON.stringify(to)).toBe(400);
      expect(res.body).toMatchObject({
        error: { details: [expect.stringContaining('to must be')] },
      });
    }
  });
});

describe('MO_MMS_2 (item 5)', () => {
  it('forwards an inbound MMS in Infobip’s MO_MMS_2 shape to the number’s MMS forwarding URL', async () => {
    receiver = await startReceiver();
    const url = await strict();
    const set = await post(
      `${url}/__sim/mms-numbers/25256`,
      { forwardUrl: receiver.url },
      JSON_HEADERS,
      'PUT',
    );
    expect(set.status).toBe(200);
    const injected = await post<InboundMmsRecord>(
      `${url}/__sim/inbound/mms`,
      {
        from: '41793026727',
        to: '25256',
        parts: [
          { contentType: 'image/jpeg', url: 'https://example.com/cat.jpg' },
          { contentType: 'text/plain', value: 'look' },
        ],
        group: [{ to: '25256' }, { cc: '41793026888' }],
        userAgent: 'iPhone_12_Pro_Max_A2342',
        callbackData: 'cb',
      },
      JSON_HEADERS,
    );
    expect(injected.status).toBe(201);
    await waitFor(() => receiver!.received.length === 1);
    const body = receiver.received[0]!.body as Results<Record<string, unknown>>;
    expect(body).toEqual({
      results: [
        {
          from: '41793026727',
          to: '25256',
          receivedAt: expect.stringMatching(
            /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$/,
          ) as unknown,
          messageId: injected.body.message.messageId,
          userAgent: 'iPhone_12_Pro_Max_A2342',
          callbackData: 'cb',
          message: [
            { contentType: 'image/jpeg', url: 'https://example.com/cat.jpg' },
            { contentType: 'text/plain', value: 'look' },
          ],
          group: [{ to: '25256' }, { cc: '41793026888' }],
          price: { pricePerMessage: 0, currency: 'EUR' },
        },
      ],
      messageCount: 1,
      pendingMessageCount: 0,
    });
    // An SMS number is not an MMS number: no MMS forwarding configured → kept for pull.
    sim!.injectInboundMms({
      from: '41793026727',
      to: '447700900001',
      parts: [{ contentType: 'text/plain', value: 'hi' }],
    });
    const pulled = await get<Results<{ message: string; to: string }>>(
      `${url}/mms/1/inbox/reports`,
      DEFAULT_AUTH,
    );
    expect(pulled.body.results).toHaveLength(1);
    expect(JSON.parse(pulled.body.results[0]!.message)).toMatchObject({
      mms_parts: [{ contentType: 'text/plain', value: 'hi' }],
    });
    const bad = await post(
      `${url}/__sim/inbound/mms`,
      { from: '41793026727', to: '25256', parts: [{ contentType: 'image/png' }] },
      JSON_HEADERS,
    );
    expect(bad.status).toBe(400);
  });
});

describe('400 with violations for one bad message (item 6)', () => {
  it('refuses the whole request, naming messages[i].destinations[j].to, when one destination is bad; nothing is accepted', async () => {
    const url = await strict({ outcomeRules: [{ toEndsWith: '0993', outcome: 'BAD_REQUEST' }] });
    const good = (i: number) => ({
      sender: 'Tern',
      destinations: [{ to: `4179302600${i}` }],
      content: { text: 'hi' },
    });
    const body = {
      messages: [
        good(1),
        good(2),
        good(3),
        { sender: 'Tern', destinations: [{ to: '41793020993' }], content: { text: 'hi' } },
      ],
    };
    const res = await post(`${url}/sms/3/messages`, body, DEFAULT_AUTH);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errorCode: 'E400',
      description: 'Request cannot be processed.',
      action: 'Check the syntax, violations and adjust the request.',
      violations: [
        {
          property: 'messages[3].destinations[0].to',
          violation: 'must be a valid destination address',
        },
      ],
      resources: [],
    });
    expect(sim!.messages()).toHaveLength(0);
    // Schema violations name the message too (a `to` over the spec's maxLength 64).
    const long = await post(
      `${url}/sms/3/messages`,
      { messages: [good(1), { ...good(2), destinations: [{ to: '1'.repeat(65) }] }] },
      DEFAULT_AUTH,
    );
    expect(long.body).toMatchObject({
      violations: [{ property: 'messages[1].destinations[0].to' }],
    });
    // v2 answers the legacy shape; MMS groups name the member.
    const v2 = await post(
      `${url}/sms/2/text/advanced`,
      { messages: [{ destinations: [{ to: '1' }, { to: '41793020993' }], text: 'x' }] },
      DEFAULT_AUTH,
    );
    expect(v2.body).toEqual({
      requestError: {
        serviceException: {
          messageId: 'BAD_REQUEST',
          text: 'Bad request',
          validationErrors: {
            'messages[0].destinations[1].to': ['must be a valid destination address'],
          },
        },
      },
    });
    const group = await post(
      `${url}/mms/2/messages`,
      {
        messages: [
          {
            ...MMS.messages[0],
            destinations: [{ group: [{ to: '1555' }, { to: '41793020993' }] }],
          },
        ],
      },
      DEFAULT_AUTH,
    );
    expect(group.body).toMatchObject({
      violations: [{ property: 'messages[0].destinations[0].group[1].to' }],
    });
  });
});

describe('report POSTs of up to 2,000 items (item 7)', () => {
  it('POSTs 2,000 reports in one request with reportBatchSize 2000, and 100 by default', async () => {
    receiver = await startReceiver();
    const url = await strict();
    expect(sim!.options.reportBatchSize).toBe(100);
    const send = (n: number) =>
      post(
        `${url}/sms/3/messages`,
        {
          messages: [
            {
              sender: 'Tern',
              destinations: Array.from({ length: n }, (_, i) => ({
                to: String(41_790_000_000 + i),
              })),
              content: { text: 'hi' },
              webhooks: { delivery: { url: receiver!.url } },
            },
          ],
        },
        DEFAULT_AUTH,
      );
    await send(250);
    await sim!.flushReports();
    expect(receiver.received.map((r) => (r.body as Results<Report>).results.length)).toEqual([
      100, 100, 50,
    ]);
    receiver.received.length = 0;
    const set = await post(`${url}/__sim/settings`, { reportBatchSize: 2000 }, JSON_HEADERS, 'PUT');
    expect(set.body).toMatchObject({ reportBatchSize: 2000 });
    await send(2001);
    await sim!.flushReports();
    // Two POSTs in flight at once: they may arrive in either order.
    expect(
      receiver.received
        .map((r) => (r.body as Results<Report>).results.length)
        .sort((a, b) => b - a),
    ).toEqual([2000, 1]);
    expect(
      (await post(`${url}/__sim/settings`, { reportBatchSize: 2001 }, JSON_HEADERS, 'PUT')).status,
    ).toBe(400);
    await expect(createSimulator({ reportBatchSize: 0 })).rejects.toThrow(/1\.\.2000/);
    expect(parseSimulatorArgs(['--report-batch-size', '2000'], {}).options.reportBatchSize).toBe(
      2000,
    );
  });
});
