/** The client against the Infobip simulator: the same requests Tern's worker makes. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALL_SCOPES, createSimulator, type Simulator } from '../../../simulator/src/index.js';
import { createGuardedDispatcher } from '../../net/guarded-dispatcher.js';
import { createInfobipClient } from './client.js';
import { parseDeliveryReports, type DeliveryReport } from './webhooks.js';

const KEY = 'sim-key-4f1c9a';

let sim: Simulator;
let receiver: http.Server;
let notifyUrl: string;
let reports: DeliveryReport[] = [];
const dispatcher = createGuardedDispatcher({ allowLoopback: true, connectTimeoutMs: 1_000 });

beforeAll(async () => {
  sim = await createSimulator({
    // Every scope: the client's balance read needs account-management:manage (Tern's own
    // verify never uses it; test/verify-scopes.test.ts checks a least-privilege key).
    apiKeys: [{ key: KEY, scopes: ALL_SCOPES }],
    // Logs at once: these tests read the client's parsing of log entries; lookups under the
    // strict lag are test/reconciliation.test.ts's.
    logsLagMs: 0,
    reportDelayMs: 5,
    timeFactor: 0.0001,
  });
  await sim.listen();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = parseDeliveryReports(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      if (parsed.ok) reports.push(...parsed.value.reports);
      const usable =
        parsed.ok && (parsed.value.rejected.length === 0 || parsed.value.reports.length > 0);
      res.statusCode = usable ? 200 : 400;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/reports/secret`;
});

beforeEach(() => {
  sim.reset();
  reports = [];
});

afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await dispatcher.close();
});

function client(apiKey = KEY) {
  return createInfobipClient({ baseUrl: sim.url ?? '', apiKey, dispatcher });
}

describe('InfobipClient against the simulator', () => {
  it('reads the balance, and a wrong key is rejected', async () => {
    expect(await client().getBalance()).toMatchObject({
      kind: 'ok',
      currency: expect.any(String) as string,
    });
    expect(await client('wrong-key').getBalance()).toMatchObject({
      kind: 'rejected',
      httpStatus: 401,
      retryable: false,
    });
  });

  it('sends SMS, gets delivery reports it can parse, and finds them in the logs', async () => {
    const r = await client().sendSms([
      {
        messageId: 't-1',
        to: '+41793026727',
        sender: 'Tern',
        text: 'hello',
        validitySeconds: 7200,
        notifyUrl,
        callbackData: 'cb',
      },
      { messageId: 't-2', to: '+41793020998', sender: 'Tern', text: 'bad number', notifyUrl },
    ]);
    expect(r).toMatchObject({
      kind: 'ok',
      missing: [],
      messages: [
        { messageId: 't-1', ternStatus: 'accepted' },
        { messageId: 't-2', ternStatus: 'rejected' },
      ],
    });
    expect(sim.message('t-1')).toMatchObject({ to: '41793026727' });
    await sim.flushReports();
    const byId = new Map(reports.map((x) => [x.messageId, x]));
    expect(byId.get('t-1')).toMatchObject({ ternStatus: 'delivered', callbackData: 'cb' });
    expect(byId.get('t-2')).toMatchObject({ ternStatus: 'rejected' });

    const logs = await client().findLogs('sms', ['t-1', 't-2', 'unknown']);
    expect(logs.kind).toBe('ok');
    if (logs.kind === 'ok')
      expect(logs.logs.map((l) => l.messageId).sort()).toEqual(['t-1', 't-2']);
    expect(sim.duplicateCount()).toBe(0);
  });

  it('accepted then dropped: maybe accepted, and the logs say it was', async () => {
    sim.addFault({ kind: 'accept-then-reset', count: 1, path: '/sms/3/messages' });
    const r = await client().sendSms([
      { messageId: 't-3', to: '+41793026727', sender: 'Tern', text: 'x' },
    ]);
    expect(r).toMatchObject({ kind: 'network', maybeAccepted: true });
    const logs = await client().findLogs('sms', ['t-3']);
    expect(logs).toMatchObject({ kind: 'ok', logs: [{ messageId: 't-3' }] });
  });

  it('an MMS accepted then dropped is found in /mms/2/logs, not in /sms/3/logs', async () => {
    sim.addFault({ kind: 'accept-then-reset', count: 1, path: '/mms/2/messages' });
    const r = await client().sendMms([
      { messageId: 't-mms', to: '+41793026727', sender: 'Tern', text: 'x', media: [] },
    ]);
    expect(r).toMatchObject({ kind: 'network', maybeAccepted: true });
    expect(await client().findLogs('mms', ['t-mms'])).toMatchObject({
      kind: 'ok',
      logs: [
        {
          messageId: 't-mms',
          destination: '41793026727',
          // The simulator reports after 5 ms: the log may already say delivered.
          ternStatus: expect.stringMatching(/^(accepted|delivered)$/) as unknown,
        },
      ],
    });
    expect(await client().findLogs('sms', ['t-mms'])).toMatchObject({ kind: 'ok', logs: [] });
  });

  it('429 with Retry-After', async () => {
    sim.addFault({ kind: 'too-many-requests', count: 1, retryAfterSeconds: 2 });
    expect(
      await client().sendSms([{ messageId: 't-4', to: '+41793026727', sender: 'Tern', text: 'x' }]),
    ).toMatchObject({
      kind: 'retryable',
      httpStatus: 429,
      retryAfterMs: 2_000,
      maybeAccepted: false,
    });
  });

  it('sends MMS', async () => {
    const r = await client().sendMms([
      {
        messageId: 'mms-1',
        to: '+15551234567',
        sender: '+15550001111',
        title: 'Receipt',
        text: 'Thanks',
        media: [{ url: 'https://cdn.example.com/r.jpg', contentType: 'image/jpeg' }],
        validitySeconds: 300,
      },
    ]);
    expect(r).toMatchObject({
      kind: 'ok',
      messages: [{ messageId: 'mms-1', ternStatus: 'accepted' }],
    });
  });
});
