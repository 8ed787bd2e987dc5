import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { createGuardedDispatcher } from '../../net/guarded-dispatcher.js';
import { chunkIds, createInfobipClient, type InfobipClientOptions } from './client.js';

const KEY = '003026bbc133714df1834b8638bb496e-8f4b3d9a-e931-478d-a994-28a725159ab9';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

let server: http.Server;
let baseUrl: string;
let handler: Handler;
let seen: Seen[] = [];
const dispatcher = createGuardedDispatcher({ allowLoopback: true, connectTimeoutMs: 1_000 });

function json(res: http.ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  // The API key travels only in the Authorization header.
  for (const s of seen) {
    expect(s.url).not.toContain(KEY);
    expect(s.body).not.toContain(KEY);
    const carrying: string[] = [];
    for (let i = 0; i < s.rawHeaders.length; i += 2) {
      if ((s.rawHeaders[i + 1] ?? '').includes(KEY)) carrying.push(s.rawHeaders[i] ?? '');
    }
    expect(carrying.map((h) => h.toLowerCase())).toEqual(['authorization']);
  }
  seen = [];
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await dispatcher.close();
});

function client(extra: Partial<InfobipClientOptions> = {}) {
  return createInfobipClient({ baseUrl: `${baseUrl}/`, apiKey: KEY, dispatcher, ...extra });
}

const pending = (id: string, to: string) => ({
  messageId: id,
  status: {
    groupId: 1,
    groupName: 'PENDING',
    id: 26,
    name: 'PENDING_ACCEPTED',
    description: 'Message sent to next instance',
  },
  destination: to,
  details: { messageCount: 1 },
});

const sms = [
  {
    messageId: 'm-1',
    to: '+41793026727',
    sender: 'InfoSMS',
    text: 'Your code is 123456',
    validitySeconds: 300,
    callbackData: 'tenant=42',
    notifyUrl: 'https://tern.example/webhooks/infobip/c1/reports/s3cret',
    indiaDlt: { principalEntityId: '1101000000000000', contentTemplateId: '1107000000000000' },
  },
  { messageId: 'm-2', to: '+15551234567', sender: '+15550001111', text: 'Hi' },
];

describe('InfobipClient.getBalance', () => {
  it('reads the balance with the App key', async () => {
    handler = (_req, res) => json(res, 200, { balance: 47.79134, currency: 'EUR' });
    const r = await client().getBalance();
    expect(r).toMatchObject({ kind: 'ok', httpStatus: 200, balance: 47.79134, currency: 'EUR' });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/account/1/balance', body: '' });
    const headers = Object.fromEntries(
      (seen[0]?.rawHeaders ?? []).flatMap((v, i, a) =>
        i % 2 === 0 ? [[v.toLowerCase(), a[i + 1]]] : [],
      ),
    ) as Record<string, string>;
    expect(headers.authorization).toBe(`App ${KEY}`);
    expect(headers.accept).toBe('application/json');
  });

  it('answers 401 (legacy shape) as rejected', async () => {
    handler = (_req, res) =>
      json(res, 401, {
        requestError: {
          serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' },
        },
      });
    expect(await client().getBalance()).toMatchObject({
      kind: 'rejected',
      httpStatus: 401,
      code: 'UNAUTHORIZED',
      message: 'Invalid login details',
      violations: [],
      retryable: false,
    });
  });

  it('treats a 200 without a balance as an invalid answer', async () => {
    handler = (_req, res) => json(res, 200, { hello: 'world' });
    expect(await client().getBalance()).toMatchObject({
      kind: 'network',
      reason: 'invalid_response',
      maybeAccepted: false,
    });
  });
});

describe('InfobipClient.sendSms', () => {
  it('sends the exact v3 request and reads per-message outcomes, rejections inside a 200 included', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        bulkId: 'b-1',
        messages: [
          pending('m-1', '41793026727'),
          {
            messageId: 'm-2',
            status: {
              groupId: 5,
              groupName: 'REJECTED',
              id: 12,
              name: 'REJECTED_NOT_ENOUGH_CREDITS',
              description: 'Not enough credits',
            },
            destination: '15551234567',
          },
        ],
      });
    const r = await client().sendSms(sms);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.url).toBe('/sms/3/messages');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      messages: [
        {
          sender: 'InfoSMS',
          destinations: [{ to: '41793026727', messageId: 'm-1' }],
          content: { text: 'Your code is 123456' },
          options: {
            validityPeriod: { amount: 300, timeUnit: 'SECONDS' },
            regional: {
              indiaDlt: {
                principalEntityId: '1101000000000000',
                contentTemplateId: '1107000000000000',
              },
            },
          },
          webhooks: {
            delivery: { url: 'https://tern.example/webhooks/infobip/c1/reports/s3cret' },
            contentType: 'application/json',
            callbackData: 'tenant=42',
          },
        },
        {
          sender: '15550001111',
          destinations: [{ to: '15551234567', messageId: 'm-2' }],
          content: { text: 'Hi' },
        },
      ],
      // Without it Infobip leaves details.messageCount out (issue 13 item 10).
      options: { includeSmsCountInResponse: true },
    });
    expect(r).toMatchObject({
      kind: 'ok',
      httpStatus: 200,
      bulkId: 'b-1',
      missing: [],
      messages: [
        { messageId: 'm-1', destination: '41793026727', ternStatus: 'accepted', messageCount: 1 },
        {
          messageId: 'm-2',
          ternStatus: 'rejected',
          status: { groupId: 5, id: 12, name: 'REJECTED_NOT_ENOUGH_CREDITS' },
          messageCount: null,
        },
      ],
    });
  });

  it('lists sent ids the answer did not mention', async () => {
    handler = (_req, res) => json(res, 200, { messages: [pending('m-1', '41793026727')] });
    expect(await client().sendSms(sms)).toMatchObject({
      kind: 'ok',
      bulkId: null,
      missing: ['m-2'],
    });
  });

  it('parses a legacy 400 with validationErrors', async () => {
    handler = (_req, res) =>
      json(res, 400, {
        requestError: {
          serviceException: {
            messageId: 'BAD_REQUEST',
            text: 'Bad request',
            validationErrors: { 'messages[0].text': ['invalid text', 'too long'] },
          },
        },
      });
    expect(await client().sendSms(sms)).toEqual({
      kind: 'rejected',
      httpStatus: 400,
      code: 'BAD_REQUEST',
      message: 'Bad request',
      violations: [
        { property: 'messages[0].text', violation: 'invalid text' },
        { property: 'messages[0].text', violation: 'too long' },
      ],
      retryable: false,
      latencyMs: expect.any(Number) as number,
    });
  });

  it('parses a v3 400 with violations', async () => {
    handler = (_req, res) =>
      json(res, 400, {
        errorCode: 'E400',
        description: 'Provided request can not be processed.',
        action: 'Check request syntax and provided violations to adjust the request accordingly.',
        violations: [
          { property: 'messages[0].destinations[0].to', violation: 'must not be blank' },
        ],
        resources: [{ name: 'API docs', url: 'https://www.infobip.com/docs/api' }],
      });
    expect(await client().sendSms(sms)).toMatchObject({
      kind: 'rejected',
      httpStatus: 400,
      code: 'E400',
      message:
        'Provided request can not be processed. Check request syntax and provided violations to adjust the request accordingly.',
      violations: [{ property: 'messages[0].destinations[0].to', violation: 'must not be blank' }],
      retryable: false,
    });
  });

  it('answers 429 with Retry-After seconds as retryable, not accepted', async () => {
    handler = (_req, res) =>
      json(
        res,
        429,
        {
          requestError: {
            serviceException: { messageId: 'TOO_MANY_REQUESTS', text: 'Too many requests' },
          },
        },
        { 'retry-after': '7' },
      );
    expect(await client().sendSms(sms)).toMatchObject({
      kind: 'retryable',
      httpStatus: 429,
      code: 'TOO_MANY_REQUESTS',
      message: 'Too many requests',
      retryAfterMs: 7_000,
      maybeAccepted: false,
    });
  });

  it('reads a Retry-After HTTP-date against the clock', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00.000Z');
    handler = (_req, res) => json(res, 429, {}, { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' });
    const r = await client({ clock }).sendSms(sms);
    expect(r).toMatchObject({ kind: 'retryable', code: 'HTTP_429', retryAfterMs: 30_000 });
    expect(r).not.toHaveProperty('message', '');
  });

  it('answers 500 as retryable; a send may have been accepted', async () => {
    handler = (_req, res) =>
      json(res, 500, {
        requestError: {
          serviceException: {
            messageId: 'GENERAL_ERROR',
            text: 'Something went wrong. Please contact support.',
          },
        },
      });
    const r = await client().sendSms(sms);
    expect(r).toMatchObject({
      kind: 'retryable',
      httpStatus: 500,
      code: 'GENERAL_ERROR',
      maybeAccepted: true,
    });
    expect(r).not.toHaveProperty('retryAfterMs');
    expect(await client().getBalance()).toMatchObject({ kind: 'retryable', maybeAccepted: false });
  });

  it('does not follow redirects', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: 'https://evil.example/steal' });
      res.end();
    };
    expect(await client().sendSms(sms)).toMatchObject({
      kind: 'rejected',
      httpStatus: 302,
      message: 'Unexpected redirect (HTTP 302), not followed',
    });
    expect(seen).toHaveLength(1);
  });

  it('a 200 whose body is not an answer may still mean accepted', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>proxy</html>');
    };
    expect(await client().sendSms(sms)).toMatchObject({
      kind: 'network',
      reason: 'invalid_response',
      maybeAccepted: true,
    });
  });

  it('never puts the key into results, even when the server echoes it', async () => {
    handler = (req, res) =>
      json(res, 403, {
        errorCode: `E403 ${req.headers.authorization ?? ''}`,
        description: `key ${req.headers.authorization ?? ''} lacks scope`,
        violations: [{ property: 'auth', violation: String(req.headers.authorization) }],
      });
    const r = await client().sendSms(sms);
    expect(r).toMatchObject({ kind: 'rejected', httpStatus: 403 });
    expect(JSON.stringify(r)).not.toContain(KEY);
    expect(JSON.stringify(r)).toContain('[redacted]');
  });
});

describe('InfobipClient network outcomes', () => {
  it('connection refused: not sent, not accepted', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await client({ baseUrl: `http://127.0.0.1:${port}` }).sendSms(sms);
    expect(r).toMatchObject({ kind: 'network', reason: 'connect', maybeAccepted: false });
    expect(r.kind === 'network' && r.message).toMatch(
      /Could not connect to the provider: .*ECONNREFUSED/,
    );
  });

  it('an internal address: refused by the guard before connecting', async () => {
    const guarded = createGuardedDispatcher({ allowLoopback: false, connectTimeoutMs: 1_000 });
    try {
      const r = await client({ dispatcher: guarded }).sendSms(sms);
      expect(r).toMatchObject({ kind: 'network', reason: 'address_refused', maybeAccepted: false });
      expect(r.kind === 'network' && r.message).toMatch(/loopback address/);
    } finally {
      await guarded.close();
    }
  });

  it('reset before the server reads the body: maybe accepted (the client cannot tell)', async () => {
    const raw = http.createServer((req) => req.socket.resetAndDestroy());
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const port = (raw.address() as AddressInfo).port;
      const r = await client({ baseUrl: `http://127.0.0.1:${port}` }).sendSms(sms);
      expect(r).toMatchObject({ kind: 'network', reason: 'reset', maybeAccepted: true });
    } finally {
      raw.closeAllConnections();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it('connection dropped after the body was read: maybe accepted', async () => {
    handler = (req) => req.socket.destroy();
    const r = await client().sendSms(sms);
    expect(r).toMatchObject({ kind: 'network', reason: 'reset', maybeAccepted: true });
    expect(seen).toHaveLength(1);
    // The same drop on a read-only call has no side effect to reconcile.
    expect(await client().getBalance()).toMatchObject({ kind: 'network', maybeAccepted: false });
  });

  it('no answer in time after sending, or a body that stalls: timeout', async () => {
    // undici checks these timeouts on a ~0.5 s tick, so both cases run side by side.
    handler = (req, res) => {
      if (req.method === 'POST') {
        setTimeout(() => json(res, 200, { messages: [] }), 2_000).unref();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"balance":');
    };
    const fast = client({ headersTimeoutMs: 150, bodyTimeoutMs: 150 });
    const [send, balance] = await Promise.all([fast.sendSms(sms), fast.getBalance()]);
    expect(send).toMatchObject({ kind: 'network', reason: 'timeout', maybeAccepted: true });
    expect(send.kind === 'network' && send.message).toMatch(/after sending the request/);
    expect(send.latencyMs).toBeGreaterThanOrEqual(100);
    expect(send.latencyMs).toBeLessThan(1_900);
    expect(balance).toMatchObject({ kind: 'network', reason: 'timeout', maybeAccepted: false });
  });

  it('an oversized answer is refused', async () => {
    handler = (_req, res) =>
      json(res, 200, { balance: 1, currency: 'EUR', pad: 'x'.repeat(5_000) });
    expect(await client({ maxResponseBytes: 1_000 }).getBalance()).toMatchObject({
      kind: 'network',
      reason: 'invalid_response',
    });
  });
});

describe('InfobipClient.sendMms', () => {
  it('leaves the sender out when there is none (optional in MMS v2, issue 13 item 10)', async () => {
    handler = (_req, res) =>
      json(res, 200, { bulkId: 'b', messages: [pending('mms-2', '15551234567')] });
    await client().sendMms([{ messageId: 'mms-2', to: '+15551234567', text: 'Hi', media: [] }]);
    const body = JSON.parse(seen[0]?.body ?? '') as { messages: Record<string, unknown>[] };
    expect(body.messages[0]).not.toHaveProperty('sender');
  });

  it('sends the exact MMS v2 request', async () => {
    handler = (_req, res) =>
      json(res, 200, { bulkId: 'b', messages: [pending('mms-1', '15551234567')] });
    const r = await client().sendMms([
      {
        messageId: 'mms-1',
        to: '+15551234567',
        sender: '+12345',
        title: 'Your receipt',
        text: 'Thanks for your order',
        media: [
          { url: 'https://cdn.example.com/r.jpg', contentType: 'image/jpeg' },
          { url: 'https://cdn.example.com/r.png' },
        ],
        validitySeconds: 3599,
        callbackData: 'abc',
        notifyUrl: 'https://tern.example/webhooks/infobip/c1/reports/s',
      },
    ]);
    expect(seen[0]?.url).toBe('/mms/2/messages');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      messages: [
        {
          sender: '12345',
          destinations: [{ to: '15551234567', messageId: 'mms-1' }],
          content: {
            title: 'Your receipt',
            messageSegments: [
              { type: 'TEXT', contentId: 'text1', text: 'Thanks for your order' },
              {
                type: 'LINK',
                contentId: 'media1',
                contentType: 'image/jpeg',
                contentUrl: 'https://cdn.example.com/r.jpg',
              },
              { type: 'LINK', contentId: 'media2', contentUrl: 'https://cdn.example.com/r.png' },
            ],
          },
          options: { validityPeriod: { amount: 3599, timeUnit: 'SECONDS' } },
          webhooks: {
            delivery: { url: 'https://tern.example/webhooks/infobip/c1/reports/s' },
            // MMS takes webhooks.contentType too (issue 13 item 10).
            contentType: 'application/json',
            callbackData: 'abc',
          },
        },
      ],
    });
    expect(r).toMatchObject({
      kind: 'ok',
      messages: [{ messageId: 'mms-1', ternStatus: 'accepted' }],
    });
  });
});

describe('InfobipClient.findLogs', () => {
  it('asks for the ids and reads what the provider knows', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        results: [
          {
            sender: 'InfoSMS',
            destination: '41793026727',
            bulkId: 'b-1',
            messageId: 'm-1',
            sentAt: '2019-11-09T16:00:00.000+0100',
            doneAt: '2019-11-09T16:00:01.000+0000',
            messageCount: 1,
            status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET' },
          },
          { messageId: 'someone-else', status: { groupId: 1 } },
          { garbage: true },
          'not an object',
        ],
      });
    const r = await client().findLogs('sms', ['m-1', 'm-2']);
    expect(seen[0]?.url).toBe('/sms/3/logs?messageId=m-1%2Cm-2&limit=2');
    expect(r).toMatchObject({
      kind: 'ok',
      logs: [
        {
          messageId: 'm-1',
          bulkId: 'b-1',
          destination: '41793026727',
          sender: 'InfoSMS',
          sentAt: '2019-11-09T15:00:00.000Z',
          doneAt: '2019-11-09T16:00:01.000Z',
          ternStatus: 'delivered',
          messageCount: 1,
        },
      ],
    });
  });

  it('asks /mms/2/logs for MMS and reads its entries the same way', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        results: [
          {
            title: 'Message title',
            mccMnc: '22801',
            sender: '441134960000',
            destination: '441134960001',
            bulkId: 'b-2',
            messageId: 'mms-1',
            sentAt: '2025-01-20T13:06:34.784+0000',
            doneAt: '2025-01-20T13:06:34.785+0000',
            messageCount: 1,
            price: { pricePerMessage: 1, currency: 'EUR' },
            status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET' },
            content: {
              title: 'Some title',
              messageSegments: [{ text: 'Some text', type: 'TEXT' }],
            },
          },
        ],
      });
    const r = await client().findLogs('mms', ['mms-1']);
    expect(seen[0]?.url).toBe('/mms/2/logs?messageId=mms-1&limit=1');
    expect(r).toMatchObject({
      kind: 'ok',
      logs: [
        {
          messageId: 'mms-1',
          bulkId: 'b-2',
          destination: '441134960001',
          sender: '441134960000',
          sentAt: '2025-01-20T13:06:34.784Z',
          doneAt: '2025-01-20T13:06:34.785Z',
          ternStatus: 'delivered',
          messageCount: 1,
        },
      ],
    });
  });

  it('splits long id lists to fit the 2048-character filter cap', async () => {
    handler = (_req, res) => json(res, 200, { results: [] });
    const ids = Array.from(
      { length: 150 },
      (_, i) => `0190d3a4-7c2e-7000-8000-${String(i).padStart(12, '0')}`,
    );
    for (const channel of ['sms', 'mms'] as const) {
      seen = [];
      const r = await client().findLogs(channel, ids);
      expect(r).toMatchObject({ kind: 'ok', logs: [] });
      expect(seen.length).toBeGreaterThan(1);
      const asked = seen.flatMap((s) => {
        expect(s.url.startsWith(channel === 'sms' ? '/sms/3/logs?' : '/mms/2/logs?')).toBe(true);
        const q = new URL(s.url, 'http://x').searchParams.get('messageId') ?? '';
        expect(encodeURIComponent(q).length).toBeLessThanOrEqual(2048);
        return q.split(',');
      });
      expect(asked).toEqual(ids);
    }
  });

  it('answers 429 as retryable', async () => {
    handler = (_req, res) =>
      json(res, 429, { errorCode: 'E429', description: 'Too many requests' });
    expect(await client().findLogs('sms', ['m-1'])).toMatchObject({
      kind: 'retryable',
      code: 'E429',
      maybeAccepted: false,
    });
  });
});

describe('chunkIds', () => {
  it('de-duplicates and caps each chunk at 1000 ids', () => {
    const ids = Array.from({ length: 2500 }, (_, i) => String(i % 2400));
    const chunks = chunkIds(ids);
    expect(chunks.flat()).toHaveLength(2400);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(1000);
      expect(encodeURIComponent(c.join(',')).length).toBeLessThanOrEqual(2048);
    }
  });
});
