import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../src/index.js';
import {
  get,
  post,
  startReceiver,
  startSimulator,
  waitFor,
  type Receiver,
  type Report,
  type Results,
  type SendAnswer,
} from './helpers.js';

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;

let sim: Simulator | undefined;
let receiver: Receiver | undefined;

afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = undefined;
  receiver = undefined;
});

function reports(r: Receiver): Report[] {
  return r.received.flatMap((x) => (x.body as Results<Report>).results);
}

describe('delivery reports', () => {
  it('POSTs v2 reports to notifyUrl in batches of at most 100, callbackData echoed', async () => {
    receiver = await startReceiver();
    const started = await startSimulator();
    sim = started.sim;
    const destinations = Array.from({ length: 250 }, (_, i) => ({ to: `4179${1000 + i}` }));
    const res = await post<SendAnswer>(`${started.url}/sms/2/text/advanced`, {
      bulkId: 'bulk-250',
      messages: [
        {
          from: 'InfoSMS',
          destinations,
          text: 'Hello',
          notifyUrl: `${receiver.url}/dlr?token=t1`,
          callbackData: 'tenant=42',
          entityId: 'ent',
          applicationId: 'app',
        },
      ],
    });
    expect(res.body.messages).toHaveLength(250);
    const r = receiver;
    await waitFor(() => reports(r).length === 250);
    expect(r.received.map((x) => (x.body as Results<Report>).results.length).sort()).toEqual([
      100, 100, 50,
    ]);
    expect(r.received[0]!.path).toBe('/dlr?token=t1');
    expect(r.received[0]!.headers['content-type']).toBe('application/json');
    const report = reports(r).find((x) => x.to === '41791000')!;
    expect(report).toEqual({
      bulkId: 'bulk-250',
      messageId: res.body.messages[0]!.messageId,
      to: '41791000',
      from: 'InfoSMS',
      sentAt: expect.stringMatching(TIMESTAMP) as unknown,
      doneAt: expect.stringMatching(TIMESTAMP) as unknown,
      smsCount: 1,
      mccMnc: '22801',
      callbackData: 'tenant=42',
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
      entityId: 'ent',
      applicationId: 'app',
    });
    expect(sim.message(report.messageId)?.status.name).toBe('DELIVERED_TO_HANDSET');
    expect(sim.reportPosts().every((p) => p.ok && p.attempt === 0)).toBe(true);
  });

  it('POSTs v3 reports to webhooks.delivery.url, with intermediate reports when asked', async () => {
    receiver = await startReceiver();
    const started = await startSimulator();
    sim = started.sim;
    await post(`${started.url}/sms/3/messages`, {
      messages: [
        {
          sender: 'Tern',
          destinations: [{ to: '385991112222', messageId: 'v3-1' }],
          content: { text: 'Hi' },
          options: { platform: { entityId: 'e1' }, campaignReferenceId: 'summersale' },
          webhooks: {
            delivery: { url: `${receiver.url}/v3`, intermediateReport: true },
            callbackData: 'transactionId=100',
          },
        },
      ],
    });
    const r = receiver;
    await waitFor(() => reports(r).length === 2);
    const [intermediate, final] = reports(r);
    expect(intermediate!.status.name).toBe('PENDING_ENROUTE');
    expect(final).toMatchObject({
      messageId: 'v3-1',
      to: '385991112222',
      sender: 'Tern',
      messageCount: 1,
      callbackData: 'transactionId=100',
      platform: { entityId: 'e1' },
      campaignReferenceId: 'summersale',
      status: { id: 5, groupId: 3 },
    });
    expect(final).not.toHaveProperty('from');
    expect(final).not.toHaveProperty('smsCount');
  });

  it('sends nothing when notify is false', async () => {
    receiver = await startReceiver();
    const started = await startSimulator({ subscriptionReportUrl: `${receiver.url}/sub` });
    sim = started.sim;
    await post(`${started.url}/sms/3/messages`, {
      messages: [
        {
          destinations: [{ to: '1' }],
          content: { text: 'a' },
          webhooks: { delivery: { notify: false } },
        },
        { destinations: [{ to: '2' }], content: { text: 'b' } },
      ],
    });
    await sim.flushReports();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.path).toBe('/sub');
    expect(reports(receiver).map((x) => x.to)).toEqual(['2']);
  });

  it('chooses outcomes by rules: undeliverable, rejected inside the 200, no report', async () => {
    receiver = await startReceiver();
    const started = await startSimulator({
      outcomeRules: [
        { toEndsWith: '99', outcome: 'UNDELIVERABLE' },
        { toEndsWith: '98', outcome: 'REJECTED_NOT_ENOUGH_CREDITS' },
        { toEndsWith: '97', outcome: 'NO_REPORT' },
      ],
    });
    sim = started.sim;
    const res = await post<SendAnswer>(`${started.url}/sms/2/text/advanced`, {
      messages: [
        {
          destinations: [{ to: '4100' }, { to: '4199' }, { to: '4198' }, { to: '4197' }],
          text: 'x',
          notifyUrl: `${receiver.url}/dlr`,
        },
      ],
    });
    expect(res.body.messages.map((m) => m.status.name)).toEqual([
      'PENDING_ACCEPTED',
      'PENDING_ACCEPTED',
      'REJECTED_NOT_ENOUGH_CREDITS',
      'PENDING_ACCEPTED',
    ]);
    expect(res.body.messages[2]!.status).toEqual({
      groupId: 5,
      groupName: 'REJECTED',
      id: 12,
      name: 'REJECTED_NOT_ENOUGH_CREDITS',
      description: 'Not enough credits',
    });
    await sim.flushReports();
    const byTo = new Map(reports(receiver).map((x) => [x.to, x]));
    expect(byTo.size).toBe(3);
    expect(byTo.get('4100')!.status.name).toBe('DELIVERED_TO_HANDSET');
    expect(byTo.get('4199')!.status).toMatchObject({
      groupId: 2,
      id: 9,
      name: 'UNDELIVERABLE_NOT_DELIVERED',
    });
    expect(byTo.get('4199')!.error).toEqual({
      groupId: 1,
      groupName: 'HANDSET_ERRORS',
      id: 27,
      name: 'EC_ABSENT_SUBSCRIBER',
      description: 'Absent Subscriber',
      permanent: false,
    });
    expect(byTo.get('4198')!.status.id).toBe(12);
    expect(byTo.has('4197')).toBe(false);
    expect(sim.messages().find((m) => m.to === '4197')!.status.name).toBe('PENDING_ACCEPTED');
  });

  it('expires a message whose validity is shorter than the delivery delay', async () => {
    receiver = await startReceiver();
    // Validity is scaled by the time factor: 1 minute × 0.0001 = 6 ms < 400 ms delay.
    const started = await startSimulator({ reportDelayMs: 400 });
    sim = started.sim;
    const sent = Date.now();
    await post(`${started.url}/sms/2/text/advanced`, {
      messages: [
        {
          destinations: [{ to: '1', messageId: 'short' }],
          text: 'x',
          validityPeriod: 1,
          notifyUrl: `${receiver.url}/d`,
        },
        {
          destinations: [{ to: '2', messageId: 'long' }],
          text: 'x',
          validityPeriod: 100_000,
          notifyUrl: `${receiver.url}/d`,
        },
      ],
    });
    const r = receiver;
    const expired = await waitFor(() => reports(r).find((x) => x.messageId === 'short'));
    expect(Date.now() - sent).toBeLessThan(300);
    expect(expired.status).toEqual({
      groupId: 4,
      groupName: 'EXPIRED',
      id: 15,
      name: 'EXPIRED_EXPIRED',
      description: 'Message expired',
    });
    const delivered = await waitFor(() => reports(r).find((x) => x.messageId === 'long'));
    expect(delivered.status.name).toBe('DELIVERED_TO_HANDSET');
  });

  it('retries failed report POSTs on the scaled 1 + n² minute schedule, then stops', async () => {
    receiver = await startReceiver([500, 503]);
    const started = await startSimulator({ webhookMaxRetries: 3 });
    sim = started.sim;
    await post(`${started.url}/sms/2/text/advanced`, {
      messages: [{ destinations: [{ to: '1' }], text: 'x', notifyUrl: `${receiver.url}/d` }],
    });
    const s = sim;
    await waitFor(() => s.reportPosts().some((p) => p.ok));
    const posts = sim.reportPosts();
    expect(posts.map((p) => [p.attempt, p.status])).toEqual([
      [0, 500],
      [1, 503],
      [2, 200],
    ]);
    // Retry 1 waits (1 + 1) minutes, retry 2 (1 + 4) minutes, × 0.0001 = 12 ms and 30 ms.
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(11);
    expect(posts[2]!.at - posts[1]!.at).toBeGreaterThanOrEqual(29);
    expect(receiver.received).toHaveLength(3);

    // A receiver that never accepts: first try + 3 retries, then nothing more.
    receiver.answers = [500, 500, 500, 500, 500, 500];
    await post(`${started.url}/sms/2/text/advanced`, {
      messages: [{ destinations: [{ to: '2' }], text: 'x', notifyUrl: `${receiver.url}/d` }],
    });
    await waitFor(() => s.reportPosts().filter((p) => !p.ok).length === 2 + 4);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sim.reportPosts().filter((p) => !p.ok)).toHaveLength(6);
  });

  it('records unreachable webhooks as failed posts with the network error', async () => {
    const started = await startSimulator({ webhookMaxRetries: 0 });
    sim = started.sim;
    await post(`${started.url}/sms/2/text/advanced`, {
      messages: [
        { destinations: [{ to: '1' }], text: 'x', notifyUrl: 'http://127.0.0.1:1/closed' },
      ],
    });
    await sim.flushReports();
    expect(sim.reportPosts()).toMatchObject([{ ok: false, status: undefined, attempt: 0 }]);
    expect(sim.reportPosts()[0]!.error).toBeTruthy();
  });

  it('keeps reports without a webhook for pull, each returned once', async () => {
    const started = await startSimulator();
    sim = started.sim;
    const url = started.url;
    await post(`${url}/sms/2/text/advanced`, {
      messages: [
        { destinations: [{ to: '1' }, { to: '2' }, { to: '3' }], text: 'x', callbackData: 'cb' },
      ],
    });
    await post(`${url}/mms/2/messages`, {
      messages: [
        {
          sender: 's',
          destinations: [{ to: '9' }],
          content: { messageSegments: [{ type: 'TEXT', text: 't' }] },
        },
      ],
    });
    await sim.flushReports();
    const first = await get<Results<Report>>(`${url}/sms/1/reports?limit=2`);
    expect(first.body.results).toHaveLength(2);
    expect(first.body.results[0]).toMatchObject({ to: '1', smsCount: 1, callbackData: 'cb' });
    const rest = await get<Results<Report>>(`${url}/sms/3/reports`);
    expect(rest.body.results.map((x) => x.to)).toEqual(['3']);
    expect(rest.body.results[0]).toHaveProperty('messageCount', 1);
    expect((await get<Results<Report>>(`${url}/sms/1/reports`)).body.results).toEqual([]);
    const mms = await get<Results<Report>>(`${url}/mms/2/reports`);
    expect(mms.body.results.map((x) => x.to)).toEqual(['9']);
  });
});
