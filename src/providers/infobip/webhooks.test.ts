import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INBOUND_TEXT_MAX_LENGTH,
  MAX_PROBLEMS,
  REJECTED_RAW_MAX_LENGTH,
  parseDeliveryReports,
  parseInboundTexts,
  rawInboundItem,
} from './webhooks.js';

// infobip.md §4.1
const v2Report = {
  results: [
    {
      bulkId: 'BULK-ID-123-xyz',
      messageId: 'MESSAGE-ID-123-xyz',
      to: '41793026727',
      from: 'InfoSMS',
      sentAt: '2019-11-09T16:00:00.000+0000',
      doneAt: '2019-11-09T16:00:00.000+0000',
      smsCount: 1,
      mccMnc: '22801',
      callbackData: 'callbackData',
      price: { pricePerMessage: 0.01, currency: 'EUR' },
      status: {
        groupId: 3,
        groupName: 'DELIVERED',
        id: 5,
        name: 'DELIVERED_TO_HANDSET',
        description: 'Message delivered to handset',
      },
      error: {
        groupId: 0,
        groupName: 'OK',
        id: 0,
        name: 'NO_ERROR',
        description: 'No Error',
        permanent: false,
      },
      entityId: 'promotional-traffic-entity',
      applicationId: 'marketing-automation-application',
    },
  ],
};

// infobip.md §4.2
const v3Report = {
  results: [
    {
      bulkId: 'BULK-ID-123-xyz',
      messageId: 'MESSAGE-ID-123-xyz',
      to: '41793026727',
      sender: 'InfoSMS',
      sentAt: '2019-11-09T16:00:00.000+0000',
      doneAt: '2019-11-09T16:00:00.000+0000',
      messageCount: 1,
      mccMnc: '22801',
      callbackData: 'transactionId=100',
      price: { pricePerMessage: 0.01, currency: 'EUR' },
      status: {
        groupId: 3,
        groupName: 'DELIVERED',
        id: 5,
        name: 'DELIVERED_TO_HANDSET',
        description: 'Message delivered to handset',
      },
      error: {
        groupId: 0,
        groupName: 'OK',
        id: 0,
        name: 'NO_ERROR',
        description: 'No Error',
        permanent: false,
      },
      platform: {
        entityId: 'promotional-traffic-entity',
        applicationId: 'marketing-automation-application',
      },
      campaignReferenceId: 'summersale',
    },
  ],
};

// infobip.md §6.1
const mo = {
  results: [
    {
      messageId: '817790313235066447',
      from: '385916242493',
      to: '385921004026',
      text: 'QUIZ Correct answer is Paris',
      cleanText: 'Correct answer is Paris',
      keyword: 'QUIZ',
      receivedAt: '2016-10-06T09:28:39.220+0000',
      smsCount: 1,
      price: { pricePerMessage: 0, currency: 'EUR' },
      callbackData: 'callbackData',
      applicationId: 'applicationId',
      entityId: 'entityId',
      campaignReferenceId: 'c1',
    },
  ],
  messageCount: 1,
  pendingMessageCount: 0,
};

const delivered = {
  messageId: 'MESSAGE-ID-123-xyz',
  bulkId: 'BULK-ID-123-xyz',
  to: '41793026727',
  sender: 'InfoSMS',
  sentAt: '2019-11-09T16:00:00.000Z',
  doneAt: '2019-11-09T16:00:00.000Z',
  messageCount: 1,
  mccMnc: '22801',
  price: { perMessage: 0.01, currency: 'EUR' },
  status: {
    groupId: 3,
    groupName: 'DELIVERED',
    id: 5,
    name: 'DELIVERED_TO_HANDSET',
    description: 'Message delivered to handset',
  },
  error: null,
  ternStatus: 'delivered',
  entityId: 'promotional-traffic-entity',
  applicationId: 'marketing-automation-application',
};

describe('parseDeliveryReports', () => {
  it('normalises the v2 shape', () => {
    expect(parseDeliveryReports(v2Report)).toEqual({
      ok: true,
      value: {
        reports: [
          { ...delivered, shape: 'v2', callbackData: 'callbackData', campaignReferenceId: null },
        ],
        rejected: [],
      },
    });
  });

  it('normalises the v3 shape to the same type', () => {
    expect(parseDeliveryReports(v3Report)).toEqual({
      ok: true,
      value: {
        reports: [
          {
            ...delivered,
            shape: 'v3',
            callbackData: 'transactionId=100',
            campaignReferenceId: 'summersale',
          },
        ],
        rejected: [],
      },
    });
  });

  it('the report of a copy refused as a duplicate (status 23) decides nothing', () => {
    const refused = {
      messageId: 'm1',
      status: { groupId: 5, groupName: 'REJECTED', id: 23, name: 'REJECTED_DUPLICATE_MESSAGE_ID' },
    };
    const r = parseDeliveryReports({ results: [refused] });
    expect(r.ok && r.value.reports[0]?.ternStatus).toBeNull();
    const other = { ...refused, status: { ...refused.status, id: 6, name: 'REJECTED_NETWORK' } };
    const s = parseDeliveryReports({ results: [other] });
    expect(s.ok && s.value.reports[0]?.ternStatus).toBe('rejected');
  });

  it('keeps a real error and maps UNDELIVERABLE', () => {
    const body = {
      results: [
        {
          messageId: 'm1',
          status: {
            groupId: 2,
            groupName: 'UNDELIVERABLE',
            id: 9,
            name: 'UNDELIVERABLE_NOT_DELIVERED',
            description: 'Message sent not delivered',
          },
          error: {
            groupId: 1,
            groupName: 'HANDSET_ERRORS',
            id: 27,
            name: 'EC_ABSENT_SUBSCRIBER',
            description: 'Absent Subscriber',
            permanent: false,
          },
          doneAt: '2023-08-01T16:10:00.000+0530',
        },
      ],
    };
    const r = parseDeliveryReports(body);
    expect(r.ok && r.value.reports[0]).toMatchObject({
      ternStatus: 'undeliverable',
      doneAt: '2023-08-01T10:40:00.000Z',
      error: { groupId: 1, id: 27, name: 'EC_ABSENT_SUBSCRIBER', permanent: false },
      to: null,
      sentAt: null,
      price: null,
    });
  });

  it('accepts nulls, extra fields, an empty batch and an unknown group', () => {
    const body = {
      extra: 1,
      results: [
        {
          messageId: 'm1',
          bulkId: null,
          error: null,
          price: null,
          status: { groupId: 7, groupName: 'NEW_GROUP', whatever: true },
          unknownField: [1, 2],
        },
      ],
    };
    const r = parseDeliveryReports(body);
    expect(r.ok && r.value.reports[0]).toMatchObject({
      messageId: 'm1',
      ternStatus: null,
      bulkId: null,
    });
    expect(parseDeliveryReports({ results: [] })).toEqual({
      ok: true,
      value: { reports: [], rejected: [] },
    });
  });

  it('lists problems with paths, per item, the raw item kept', () => {
    const r = parseDeliveryReports({
      results: [{ status: { groupId: 3 } }, { messageId: 'x', status: { groupId: 'three' } }],
    });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.reports).toEqual([]);
      expect(r.value.rejected.map((i) => i.index)).toEqual([0, 1]);
      expect(r.value.rejected.flatMap((i) => i.problems.map((p) => p.path))).toEqual(
        expect.arrayContaining(['/results/0/messageId', '/results/1/status/groupId']),
      );
      expect(r.value.rejected[0]?.raw).toBe(JSON.stringify({ status: { groupId: 3 } }));
    }
    expect(parseDeliveryReports(null)).toMatchObject({ ok: false, problems: [{ path: '/' }] });
    expect(parseDeliveryReports([])).toMatchObject({ ok: false });
    expect(parseDeliveryReports({ results: 'x' })).toMatchObject({
      ok: false,
      problems: [{ path: '/results' }],
    });
  });

  it('one bad report among good ones costs only itself (issue 13 item 5)', () => {
    const good = v3Report.results[0]!;
    const results = Array.from({ length: 2000 }, (_, i) =>
      i === 1234 ? { ...good, messageId: '' } : { ...good, messageId: `m-${i}` },
    );
    const r = parseDeliveryReports({ results });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.reports).toHaveLength(1999);
      expect(r.value.rejected).toHaveLength(1);
      expect(r.value.rejected[0]).toMatchObject({
        index: 1234,
        problems: [{ path: '/results/1234/messageId' }],
      });
    }
  });

  it('keeps at most REJECTED_RAW_MAX_LENGTH characters of a bad item, marked as cut', () => {
    const item = { messageId: 'm', status: { groupId: 'x' }, junk: 'j'.repeat(50_000) };
    const r = parseDeliveryReports({ results: [item] });
    const raw = (r.ok && r.value.rejected[0]?.raw) || '';
    expect(raw.length).toBeLessThan(REJECTED_RAW_MAX_LENGTH + 50);
    expect(raw).toContain(`[cut from ${JSON.stringify(item).length} characters]`);
  });

  it('refuses timestamps that are not Infobip timestamps', () => {
    const item = { messageId: 'm', status: { groupId: 3 }, doneAt: 'yesterday' };
    const r = parseDeliveryReports({ results: [item] });
    expect(r).toEqual({
      ok: true,
      value: {
        reports: [],
        rejected: [
          {
            index: 0,
            raw: JSON.stringify(item),
            problems: [
              {
                path: '/results/0/doneAt',
                message: 'Not an Infobip timestamp (e.g. 2019-11-09T16:00:00.000+0000): yesterday',
              },
            ],
          },
        ],
      },
    });
  });

  it('caps the number of problems of an item', () => {
    const status = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`x${i}`, 1]));
    const bad = {
      messageId: 1,
      to: 2,
      from: 3,
      sender: 4,
      sentAt: 5,
      doneAt: 6,
      smsCount: 'a',
      messageCount: 'b',
      mccMnc: 7,
      callbackData: 8,
      price: 9,
      error: 10,
      entityId: 11,
      applicationId: 12,
      platform: 13,
      campaignReferenceId: 14,
      bulkId: 15,
      status: {
        ...status,
        groupId: 'x',
        groupName: 1,
        id: 'y',
        name: 2,
        description: 3,
        action: 4,
      },
    };
    const r = parseDeliveryReports({ results: [bad] });
    expect(r.ok && r.value.rejected[0]?.problems.length).toBe(MAX_PROBLEMS);
  });
});

describe('parseInboundTexts', () => {
  it('normalises MO_JSON_2', () => {
    expect(parseInboundTexts(mo)).toEqual({
      ok: true,
      value: {
        messageCount: 1,
        pendingMessageCount: 0,
        rejected: [],
        texts: [
          {
            index: 0,
            channel: 'sms',
            parts: [],
            raw: JSON.stringify(mo.results[0]),
            messageId: '817790313235066447',
            from: '385916242493',
            to: '385921004026',
            text: 'QUIZ Correct answer is Paris',
            cleanText: 'Correct answer is Paris',
            truncated: false,
            keyword: 'QUIZ',
            receivedAt: '2016-10-06T09:28:39.220Z',
            messageCount: 1,
            price: { perMessage: 0, currency: 'EUR' },
            callbackData: 'callbackData',
            entityId: 'entityId',
            applicationId: 'applicationId',
            campaignReferenceId: 'c1',
          },
        ],
      },
    });
  });

  it('fills what a minimal inbound leaves out', () => {
    const r = parseInboundTexts({
      results: [
        { messageId: 'i1', from: '385916242493', to: '385921004026', text: 'STOP', keyword: '' },
      ],
    });
    expect(r).toMatchObject({
      ok: true,
      value: {
        messageCount: null,
        texts: [{ text: 'STOP', cleanText: 'STOP', keyword: null, receivedAt: null }],
      },
    });
  });

  it('cuts a text over INBOUND_TEXT_MAX_LENGTH (never inside an emoji) instead of refusing it', () => {
    const long = 'a' + '😀'.repeat(INBOUND_TEXT_MAX_LENGTH);
    const item = { messageId: 'i1', from: '385916242493', to: '385921004026', text: long };
    const r = parseInboundTexts({ results: [item] });
    expect(r.ok).toBe(true);
    if (r.ok) {
      const [parsed] = r.value.texts;
      expect(parsed?.truncated).toBe(true);
      expect(parsed?.text).toBe(long.slice(0, INBOUND_TEXT_MAX_LENGTH - 1));
      expect(parsed?.cleanText).toBe(parsed?.text);
    }
    const raw = JSON.parse(rawInboundItem(item)) as { text: string; ternTruncatedFrom: number };
    expect(raw.text.length).toBe(INBOUND_TEXT_MAX_LENGTH - 1);
    expect(raw.ternTruncatedFrom).toBe(long.length);
    expect(rawInboundItem({ ...item, text: 'STOP' })).toBe(
      JSON.stringify({ ...item, text: 'STOP' }),
    );
  });

  it('refuses identifiers over their bounds, naming the field', () => {
    const r = parseInboundTexts({
      results: [{ messageId: 'i'.repeat(201), from: '1'.repeat(101), to: '385921004026' }],
    });
    expect(r.ok && r.value.texts).toEqual([]);
    if (r.ok) {
      expect(r.value.rejected[0]?.problems.map((p) => p.path)).toEqual([
        '/results/0/messageId',
        '/results/0/from',
      ]);
    }
  });

  it('lists problems', () => {
    const r = parseInboundTexts({ results: [{ messageId: 'i1', to: '1', receivedAt: 5 }] });
    expect(r.ok && r.value.texts).toEqual([]);
    if (r.ok) {
      expect(r.value.rejected[0]?.problems.map((p) => p.path)).toEqual(
        expect.arrayContaining(['/results/0/from', '/results/0/receivedAt']),
      );
    }
  });

  it('keeps the good texts of a body with a bad one (issue 13 item 5)', () => {
    const good = mo.results[0]!;
    const r = parseInboundTexts({
      results: [
        { ...good, messageId: 'a', text: 'STOP' },
        { ...good, from: 5 },
        { ...good, messageId: 'c' },
      ],
    });
    expect(r.ok && r.value.texts.map((t) => [t.index, t.messageId, t.text])).toEqual([
      [0, 'a', 'STOP'],
      [2, 'c', good.text],
    ]);
    expect(r.ok && r.value.rejected.map((i) => [i.index, i.problems[0]?.path])).toEqual([
      [1, '/results/1/from'],
    ]);
  });
});

describe('parseInboundTexts: MO_MMS_2', () => {
  // The MMS OpenAPI document's example "Received MMS (part of a group)".
  const mms = {
    results: [
      {
        from: '41793026727',
        to: '25256',
        receivedAt: '2016-10-06T09:28:39.220+0000',
        messageId: '817790313235066447',
        pairedMessageId: 'out-1',
        callbackData: 'Some custom data',
        userAgent: 'iPhone_12_Pro_Max_A2342',
        message: [
          { contentType: 'image/jpeg', url: 'https://examplelink.com/123456' },
          { contentType: 'text/plain', value: 'This is message text' },
        ],
        group: [{ to: '25256' }, { cc: '41793026888' }],
        price: { pricePerMessage: 0, currency: 'EUR' },
      },
    ],
    messageCount: 1,
    pendingMessageCount: 0,
  };

  it('keeps the parts: media as links, text parts as the text (before: an empty text)', () => {
    const r = parseInboundTexts(mms);
    expect(r).toMatchObject({
      ok: true,
      value: {
        rejected: [],
        texts: [
          {
            channel: 'mms',
            messageId: '817790313235066447',
            from: '41793026727',
            to: '25256',
            text: 'This is message text',
            parts: [
              { contentType: 'image/jpeg', url: 'https://examplelink.com/123456' },
              { contentType: 'text/plain', text: 'This is message text' },
            ],
            receivedAt: '2016-10-06T09:28:39.220Z',
            callbackData: 'Some custom data',
            keyword: null,
          },
        ],
      },
    });
  });

  it('joins several text parts, cuts each and the whole to INBOUND_TEXT_MAX_LENGTH', () => {
    const long = 'x'.repeat(INBOUND_TEXT_MAX_LENGTH + 10);
    const item = {
      ...mms.results[0],
      message: [
        { contentType: 'text/plain', value: 'STOP' },
        { contentType: 'text/plain', value: long },
      ],
    };
    const r = parseInboundTexts({ results: [item] });
    const text = r.ok ? r.value.texts[0] : undefined;
    expect(text?.text.startsWith('STOP\nxxx')).toBe(true);
    expect(text?.text.length).toBe(INBOUND_TEXT_MAX_LENGTH);
    expect(text?.truncated).toBe(true);
    expect(text?.parts[1]).toEqual({
      contentType: 'text/plain',
      text: long.slice(0, INBOUND_TEXT_MAX_LENGTH),
    });
    const raw = JSON.parse(text?.raw ?? '{}') as {
      message: { value: string }[];
      ternTruncatedFrom: number;
    };
    expect(raw.message[1]?.value.length).toBe(INBOUND_TEXT_MAX_LENGTH);
    expect(raw.ternTruncatedFrom).toBe(long.length);
  });

  it('rejects an MMS whose parts are over their bounds, naming the field', () => {
    const item = mms.results[0]!;
    const r = parseInboundTexts({
      results: [
        { ...item, message: [{ contentType: 'image/png', url: 'h'.repeat(2049) }] },
        {
          ...item,
          message: Array.from({ length: 101 }, () => ({ contentType: 'text/plain', value: 'a' })),
        },
        { ...item, messageId: 'ok' },
      ],
    });
    expect(r.ok && r.value.texts.map((t) => t.messageId)).toEqual(['ok']);
    expect(r.ok && r.value.rejected.map((i) => i.index)).toEqual([0, 1]);
    expect(r.ok && r.value.rejected[1]?.problems[0]?.path).toBe('/results/1/message');
  });
});

describe('webhook parsers never throw', () => {
  it('on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(typeof parseDeliveryReports(value).ok).toBe('boolean');
        expect(typeof parseInboundTexts(value).ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('on JSON shaped almost like a report', () => {
    const loose = fc.oneof(fc.jsonValue(), fc.string(), fc.integer(), fc.constant(null));
    const status = fc.record(
      { groupId: fc.oneof(fc.integer({ min: -1, max: 9 }), loose), groupName: loose, id: loose },
      { requiredKeys: [] },
    );
    const result = fc.record(
      {
        messageId: fc.oneof(fc.string(), loose),
        from: loose,
        to: loose,
        text: loose,
        sentAt: fc.oneof(fc.string(), fc.constant('2019-11-09T16:00:00.000+0000'), loose),
        receivedAt: fc.oneof(fc.string(), loose),
        status,
        error: fc.oneof(status, loose),
        price: fc.oneof(fc.record({ pricePerMessage: loose, currency: loose }), loose),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.record({ results: fc.array(result, { maxLength: 5 }) }), (body) => {
        const d = parseDeliveryReports(body);
        const i = parseInboundTexts(body);
        for (const r of [d, i]) {
          if (!r.ok) {
            expect(r.problems.length).toBeGreaterThan(0);
            expect(r.problems.length).toBeLessThanOrEqual(MAX_PROBLEMS);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
