import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES, type Simulator } from '../src/index.js';
import {
  ADMIN_AUTH,
  AUTH,
  get,
  noLogsLag,
  post,
  startSimulator,
  type SendAnswer,
} from './helpers.js';

const PENDING = {
  groupId: 1,
  groupName: 'PENDING',
  id: 26,
  name: 'PENDING_ACCEPTED',
  description: 'Message sent to next instance',
};

// Examples from infobip.md §2.2, §2.4, §3.2.
const V2_EXAMPLE = {
  bulkId: 'BULK-ID-123-xyz',
  messages: [
    {
      from: 'InfoSMS',
      destinations: [{ to: '41793026727', messageId: 'MESSAGE-ID-123-xyz' }, { to: '41793026731' }],
      text: 'Your code is 123456',
      validityPeriod: 720,
      notifyUrl: 'https://example.com/infobip/dlr',
      notifyContentType: 'application/json',
      callbackData: 'tenant=42;msg=abc',
      intermediateReport: false,
      regional: {
        indiaDlt: { principalEntityId: '1101000000000000', contentTemplateId: '1107000000000000' },
      },
    },
  ],
};

const V3_EXAMPLE = {
  messages: [
    {
      sender: 'InfoSMS',
      destinations: [{ to: '385991112222', messageId: 'abc123' }, { to: '385911231234' }],
      content: {
        text: 'Laku noć',
        transliteration: 'CENTRAL_EUROPEAN',
        language: { languageCode: 'AUTODETECT', singleShift: false, lockingShift: false },
      },
      options: {
        platform: { entityId: 'e1', applicationId: 'a1' },
        validityPeriod: { amount: 720, timeUnit: 'MINUTES' },
        deliveryTimeWindow: {
          days: ['MONDAY', 'SUNDAY'],
          from: { hour: 12, minute: 10 },
          to: { hour: 20, minute: 15 },
        },
        campaignReferenceId: 'summersale',
        regional: { indiaDlt: { principalEntityId: 'pe', contentTemplateId: 'ct' } },
        flash: false,
      },
      webhooks: {
        delivery: {
          url: 'https://example.com/infobip/dlr',
          intermediateReport: true,
          notify: true,
        },
        contentType: 'application/json',
        callbackData: 'transactionId=100',
      },
    },
  ],
  options: {
    schedule: {
      bulkId: 'BULK-ID-123-xyz',
      sendingSpeedLimit: { amount: 10, timeUnit: 'MINUTE' },
    },
    tracking: {
      shortenUrl: true,
      trackClicks: false,
      trackingUrl: 'https://ib.com',
      removeProtocol: true,
      customDomain: 'example.com',
    },
    includeSmsCountInResponse: true,
    conversionTracking: { useConversionTracking: true, conversionTrackingName: 'MY_CAMPAIGN' },
  },
};

const MMS_EXAMPLE = {
  messages: [
    {
      sender: '12345',
      destinations: [
        { to: '15551234567', messageId: 'mms-1' },
        { group: [{ to: '15551230001' }, { to: '15551230002' }] },
      ],
      content: {
        title: 'Your receipt',
        messageSegments: [
          { type: 'TEXT', contentId: 't1', text: 'Thanks for your order' },
          {
            type: 'LINK',
            contentId: 'img1',
            contentType: 'image/jpeg',
            contentUrl: 'https://cdn.example.com/r.jpg',
          },
          { type: 'UPLOADED_REFERENCE', contentId: 'img2', uploadedContentId: 'B4441920' },
          { type: 'SMIL', contentId: 'layout', contentType: 'application/smil', smil: '<smil/>' },
        ],
      },
      options: {
        validityPeriod: { amount: 60, timeUnit: 'MINUTES' },
        smsFailover: { sender: '12345', text: 'See your receipt', validityPeriod: { amount: 60 } },
        campaignReferenceId: 'x',
      },
      webhooks: {
        delivery: { url: 'https://example.com/infobip/mms-dlr', intermediateReport: false },
        callbackData: 'abc',
      },
    },
  ],
  options: { schedule: { bulkId: 'b1' }, tracking: { shortenUrl: true } },
};

let sim: Simulator;
let url: string;

beforeAll(async () => {
  // Report URLs in the examples point nowhere reachable; keep reports from being due.
  ({ sim, url } = await startSimulator({ reportDelayMs: 3_600_000 }));
});
afterAll(() => sim.close());

describe('POST /sms/2/text/advanced', () => {
  it('accepts the documented example with one entry per destination', async () => {
    const res = await post<SendAnswer>(`${url}/sms/2/text/advanced`, V2_EXAMPLE);
    expect(res.status).toBe(200);
    expect(res.body.bulkId).toBe('BULK-ID-123-xyz');
    expect(res.body.messages).toHaveLength(2);
    expect(res.body.messages[0]).toEqual({
      to: '41793026727',
      status: PENDING,
      messageId: 'MESSAGE-ID-123-xyz',
    });
    expect(res.body.messages[1]!.to).toBe('41793026731');
    expect(res.body.messages[1]!.messageId).toMatch(/^\d{20}$/);
    // 720 minutes kept as is.
    expect(sim.message('MESSAGE-ID-123-xyz')?.validityMs).toBe(720 * 60_000);
  });

  it('omits bulkId for a single destination, adds smsCount when asked, clamps validity', async () => {
    const res = await post<SendAnswer>(`${url}/sms/2/text/advanced`, {
      includeSmsCountInResponse: true,
      messages: [
        { destinations: [{ to: '41790000001' }], text: 'x'.repeat(161), validityPeriod: 100_000 },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.bulkId).toBeUndefined();
    expect(res.body.messages[0]!.smsCount).toBe(2);
    expect(sim.message(res.body.messages[0]!.messageId)?.validityMs).toBe(2880 * 60_000);
  });

  it('counts UCS-2 parts', async () => {
    const res = await post<SendAnswer>(`${url}/sms/2/text/advanced`, {
      includeSmsCountInResponse: true,
      messages: [{ destinations: [{ to: '41790000001' }], text: 'ć'.repeat(71) }],
    });
    expect(res.body.messages[0]!.smsCount).toBe(2);
  });

  it('answers 400 in the legacy shape with validationErrors', async () => {
    const res = await post(`${url}/sms/2/text/advanced`, {
      messages: [
        { destinations: [{ to: '' }, { to: 5 }], text: 'hi', validityPeriod: 'long' },
        { text: 'no destinations' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      requestError: {
        serviceException: {
          messageId: 'BAD_REQUEST',
          text: 'Bad request',
          validationErrors: {
            'messages[0].validityPeriod': ['must be an integer'],
            'messages[0].destinations[0].to': ['must not be blank'],
            'messages[0].destinations[1].to': ['must be a string'],
            'messages[1].destinations': ['must not be empty'],
          },
        },
      },
    });
  });

  it('answers 400 for a body that is not JSON, and for a missing messages array', async () => {
    const bad = await post(`${url}/sms/2/text/advanced`, '{"messages": [');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      requestError: { serviceException: { messageId: 'BAD_REQUEST' } },
    });
    const empty = await post(`${url}/sms/2/text/advanced`, {});
    expect(empty.body).toMatchObject({
      requestError: { serviceException: { validationErrors: { messages: ['must not be empty'] } } },
    });
  });
});

describe('POST /sms/3/messages', () => {
  it('accepts the documented example', async () => {
    const res = await post<SendAnswer>(`${url}/sms/3/messages`, V3_EXAMPLE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      bulkId: 'BULK-ID-123-xyz',
      messages: [
        {
          messageId: 'abc123',
          status: PENDING,
          destination: '385991112222',
          details: { messageCount: 1 },
        },
        {
          messageId: expect.stringMatching(/^\d+$/) as unknown,
          status: PENDING,
          destination: '385911231234',
          details: { messageCount: 1 },
        },
      ],
    });
    const m = sim.message('abc123')!;
    expect(m).toMatchObject({
      api: 'sms-v3',
      reportUrl: 'https://example.com/infobip/dlr',
      callbackData: 'transactionId=100',
      entityId: 'e1',
      applicationId: 'a1',
      campaignReferenceId: 'summersale',
      validityMs: 720 * 60_000,
    });
  });

  it('clamps {amount, timeUnit} validity to 48 h and defaults the unit to minutes', async () => {
    const body = (validityPeriod: object) => ({
      messages: [
        { destinations: [{ to: '1' }], content: { text: 'x' }, options: { validityPeriod } },
      ],
    });
    const hours = await post<SendAnswer>(
      `${url}/sms/3/messages`,
      body({ amount: 72, timeUnit: 'HOURS' }),
    );
    expect(sim.message(hours.body.messages[0]!.messageId)?.validityMs).toBe(48 * 3_600_000);
    const minutes = await post<SendAnswer>(`${url}/sms/3/messages`, body({ amount: 5 }));
    expect(sim.message(minutes.body.messages[0]!.messageId)?.validityMs).toBe(5 * 60_000);
  });

  it('answers 400 in the ApiError shape with violations', async () => {
    const res = await post(`${url}/sms/3/messages`, {
      messages: [
        {
          destinations: [{ to: ' ' }],
          content: {},
          options: { validityPeriod: { amount: 5, timeUnit: 'DAYS' } },
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errorCode: 'E400',
      // The spec's E400 example (OpenAPI 3.210.0).
      description: 'Request cannot be processed.',
      action: 'Check the syntax, violations and adjust the request.',
      violations: [
        { property: 'messages[0].content.text', violation: 'must not be blank' },
        {
          property: 'messages[0].options.validityPeriod.timeUnit',
          violation: 'must be one of [SECONDS, MINUTES, HOURS]',
        },
        { property: 'messages[0].destinations[0].to', violation: 'must not be blank' },
      ],
      resources: [],
    });
  });
});

describe('POST /mms/2/messages', () => {
  it('accepts the documented example, one entry per recipient', async () => {
    const res = await post<SendAnswer>(`${url}/mms/2/messages`, MMS_EXAMPLE);
    expect(res.status).toBe(200);
    expect(res.body.bulkId).toBe('b1');
    expect(res.body.messages.map((m) => m.destination)).toEqual([
      '15551234567',
      '15551230001',
      '15551230002',
    ]);
    expect(res.body.messages[0]).toEqual({
      messageId: 'mms-1',
      status: PENDING,
      destination: '15551234567',
    });
    expect(sim.message('mms-1')).toMatchObject({
      api: 'mms-v2',
      text: 'Your receipt\nThanks for your order',
      callbackData: 'abc',
    });
  });

  it('takes a message without a sender (optional in MMS v2)', async () => {
    const { sender: _sender, ...withoutSender } = MMS_EXAMPLE.messages[0]!;
    const res = await post<SendAnswer>(`${url}/mms/2/messages`, {
      messages: [{ ...withoutSender, destinations: [{ to: '15551234568', messageId: 'mms-ns' }] }],
    });
    expect(res.status).toBe(200);
    expect(sim.message('mms-ns')).toMatchObject({ api: 'mms-v2', from: undefined });
  });

  it('requires content segments and a LINK url', async () => {
    const res = await post(`${url}/mms/2/messages`, {
      messages: [
        {
          destinations: [{ to: '1' }],
          content: { messageSegments: [{ type: 'LINK', contentId: 'a' }, { type: 'AUDIO' }] },
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      errorCode: 'E400',
      violations: [
        {
          property: 'messages[0].content.messageSegments[0].contentUrl',
          violation: 'must not be blank',
        },
        {
          property: 'messages[0].content.messageSegments[1].type',
          violation: 'must be one of [TEXT, LINK, SMIL, UPLOADED_REFERENCE]',
        },
      ],
    });
  });
});

describe('auth', () => {
  it('answers the exact 97-byte legacy body on legacy routes', async () => {
    for (const authorization of [undefined, 'App wrong', 'Bearer test-key', 'test-key']) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization) headers.authorization = authorization;
      const res = await post(`${url}/sms/2/text/advanced`, V2_EXAMPLE, headers);
      expect(res.status).toBe(401);
      expect(res.text).toBe(
        '{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}',
      );
      expect(Buffer.byteLength(res.text)).toBe(97);
    }
    expect((await get(`${url}/account/1/balance`, {})).status).toBe(401);
  });

  it('answers the ApiError shape on v3 and MMS v2 routes', async () => {
    for (const path of ['/sms/3/messages', '/mms/2/messages']) {
      const res = await post(`${url}${path}`, {}, { 'content-type': 'application/json' });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ errorCode: 'E401', violations: [] });
    }
  });

  it('accepts the App prefix in any case, and Basic credentials', async () => {
    const { sim: basic, url: basicUrl } = await startSimulator({
      basicCredentials: [{ username: 'user', password: 'pass', scopes: ALL_SCOPES }],
    });
    try {
      const app = await get(`${basicUrl}/account/1/balance`, { authorization: 'APP admin-key' });
      expect(app.status).toBe(200);
      const encoded = Buffer.from('user:pass').toString('base64');
      const ok = await get(`${basicUrl}/account/1/balance`, { authorization: `Basic ${encoded}` });
      expect(ok.body).toEqual({ balance: 100_000, currency: 'EUR' });
      const wrong = Buffer.from('user:nope').toString('base64');
      expect(
        (await get(`${basicUrl}/account/1/balance`, { authorization: `Basic ${wrong}` })).status,
      ).toBe(401);
    } finally {
      await basic.close();
    }
  });
});

describe('account and logs', () => {
  it('charges the balance per part', async () => {
    const { sim: s, url: u } = await startSimulator({ balance: 1, pricePerPart: 0.25 });
    try {
      await post(`${u}/sms/2/text/advanced`, {
        messages: [{ destinations: [{ to: '1' }, { to: '2' }], text: 'hi' }],
      });
      expect((await get(`${u}/account/1/balance`, ADMIN_AUTH)).body).toEqual({
        balance: 0.5,
        currency: 'EUR',
      });
      // Not enough credit left for 3 destinations: the third is rejected inside the 200.
      const res = await post<SendAnswer>(`${u}/sms/2/text/advanced`, {
        messages: [{ destinations: [{ to: '3' }, { to: '4' }, { to: '5' }], text: 'hi' }],
      });
      expect(res.status).toBe(200);
      expect(res.body.messages.map((m) => m.status.id)).toEqual([26, 26, 12]);
      expect(res.body.messages[2]!.status).toMatchObject({
        groupId: 5,
        name: 'REJECTED_NOT_ENOUGH_CREDITS',
      });
    } finally {
      await s.close();
    }
  });

  it('finds a message in /sms/3/logs and /sms/1/logs by messageId', async () => {
    await noLogsLag(url);
    await post(`${url}/sms/2/text/advanced`, {
      messages: [
        { from: 'Tern', destinations: [{ to: '4479', messageId: 'log-me' }], text: 'hello' },
      ],
    });
    const v3 = await get(`${url}/sms/3/logs?messageId=log-me,other`);
    expect(v3.status).toBe(200);
    expect(v3.body).toEqual({
      results: [
        expect.objectContaining({
          messageId: 'log-me',
          destination: '4479',
          sender: 'Tern',
          content: { text: 'hello' },
          messageCount: 1,
          status: PENDING,
        }) as unknown,
      ],
    });
    const v1 = await get(`${url}/sms/1/logs?messageId=log-me`);
    expect(v1.body).toEqual({
      results: [
        expect.objectContaining({
          messageId: 'log-me',
          to: '4479',
          from: 'Tern',
          text: 'hello',
          smsCount: 1,
        }) as unknown,
      ],
    });
    expect((await get(`${url}/sms/3/logs?messageId=nope`)).body).toEqual({ results: [] });
    expect((await get(`${url}/sms/3/logs?limit=5000`)).status).toBe(400);
  });

  it('finds an MMS in /mms/2/logs (and not in the SMS logs), with the v3 filters and auth', async () => {
    await noLogsLag(url);
    await post(`${url}/mms/2/messages`, {
      messages: [
        {
          sender: 'Tern',
          destinations: [{ to: '4478', messageId: 'mms-log-me' }],
          content: {
            title: 'Receipt',
            messageSegments: [
              { type: 'TEXT', text: 'thanks' },
              { type: 'LINK', contentUrl: 'https://cdn.example.com/r.jpg' },
            ],
          },
          options: { platform: { entityId: 'e1' }, campaignReferenceId: 'spring' },
        },
      ],
    });
    await post(`${url}/sms/3/messages`, {
      messages: [
        {
          sender: 'Tern',
          destinations: [{ to: '4478', messageId: 'sms-not-mms' }],
          content: { text: 'an SMS' },
        },
      ],
    });
    const mms = await get(`${url}/mms/2/logs?messageId=mms-log-me,sms-not-mms`);
    expect(mms.status).toBe(200);
    expect(mms.body).toEqual({
      results: [
        expect.objectContaining({
          messageId: 'mms-log-me',
          destination: '4478',
          sender: 'Tern',
          messageCount: 1,
          status: PENDING,
          mccMnc: '22801',
          price: expect.objectContaining({ currency: 'EUR' }) as unknown,
          platform: { entityId: 'e1' },
          title: 'Receipt',
          content: {
            title: 'Receipt',
            messageSegments: [
              { type: 'TEXT', text: 'thanks' },
              { type: 'LINK', contentUrl: 'https://cdn.example.com/r.jpg' },
            ],
          },
        }) as unknown,
      ],
    });
    // The SMS logs do not list the MMS, and the MMS logs do not list the SMS.
    expect((await get(`${url}/sms/3/logs?messageId=mms-log-me`)).body).toEqual({ results: [] });
    expect((await get(`${url}/sms/1/logs?messageId=mms-log-me`)).body).toEqual({ results: [] });
    expect((await get(`${url}/mms/2/logs?messageId=sms-not-mms`)).body).toEqual({ results: [] });
    // The other /sms/3/logs filters apply.
    const ids = (q: string) =>
      get<{ results: { messageId: string }[] }>(`${url}/mms/2/logs?${q}`).then((r) =>
        r.body.results.map((x) => x.messageId),
      );
    expect(await ids('destination=4478')).toContain('mms-log-me');
    expect(await ids('destination=4477')).not.toContain('mms-log-me');
    expect(await ids('sender=Tern&campaignReferenceId=spring,autumn')).toEqual(['mms-log-me']);
    expect(await ids('campaignReferenceId=autumn')).toEqual([]);
    expect(await ids('entityId=e1&generalStatus=PENDING')).toEqual(['mms-log-me']);
    expect(await ids('entityId=e2')).toEqual([]);
    expect(await ids('generalStatus=DELIVERED&messageId=mms-log-me')).toEqual([]);
    const bad = await get(`${url}/mms/2/logs?limit=5000&sentSince=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      errorCode: 'E400',
      violations: [{ property: 'sentSince' }, { property: 'limit' }],
    });
    const noKey = await get(`${url}/mms/2/logs?messageId=mms-log-me`, {});
    expect(noKey.status).toBe(401);
    expect(noKey.body).toMatchObject({ errorCode: 'E401' });
  });

  it('answers unknown paths with a legacy 404', async () => {
    const res = await get(`${url}/sms/9/nothing`, AUTH);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      requestError: { serviceException: { messageId: 'NOT_FOUND' } },
    });
  });
});
