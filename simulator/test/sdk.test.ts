// Infobip's own Node SDK talking to the simulator: the request parsing and answer shapes must
// satisfy a client no one here wrote.
import { AuthType, Infobip } from '@infobip-api/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../src/index.js';
import { KEY, noLogsLag, startSimulator } from './helpers.js';

interface AxiosLike {
  status: number;
  data: unknown;
}

/** The SDK types `channels` as any; this is the part of it the tests use. */
interface SmsChannel {
  send(message: unknown): Promise<unknown>;
  reports: { get(query: unknown): Promise<unknown> };
  logs: { get(query: unknown): Promise<unknown> };
}

function sms(infobip: Infobip): SmsChannel {
  return (infobip.channels as { sms: SmsChannel }).sms;
}

let sim: Simulator;
let url: string;

beforeAll(async () => {
  ({ sim, url } = await startSimulator());
});
afterAll(() => sim.close());

describe('@infobip-api/sdk against the simulator', () => {
  it('sends SMS through /sms/2/text/advanced and reads the answer', async () => {
    // A baseUrl starting with "http" is used as is (the SDK only prefixes https:// otherwise).
    const infobip = new Infobip({ baseUrl: url, apiKey: KEY, authType: AuthType.ApiKey });
    const response = (await sms(infobip).send({
      type: 'text',
      messages: [
        {
          destinations: [{ to: '41793026727', messageId: 'sdk-1' }, { to: '41793026731' }],
          from: 'InfoSMS',
          text: 'This is a sample message',
        },
      ],
    })) as AxiosLike;
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({
      bulkId: expect.any(String) as unknown,
      messages: [
        { to: '41793026727', messageId: 'sdk-1', status: { groupName: 'PENDING', id: 26 } },
        { to: '41793026731', status: { name: 'PENDING_ACCEPTED' } },
      ],
    });
    expect(sim.message('sdk-1')?.text).toBe('This is a sample message');
    const recorded = sim.requests().at(-1)!;
    expect(recorded.headers.authorization).toBe('App [redacted]');
  });

  it('reads delivery reports and logs', async () => {
    const infobip = new Infobip({ baseUrl: url, apiKey: KEY, authType: AuthType.ApiKey });
    await sim.flushReports();
    const reports = (await sms(infobip).reports.get({ messageId: 'sdk-1' })) as AxiosLike;
    expect(reports.status).toBe(200);
    expect(reports.data).toMatchObject({
      results: [{ messageId: 'sdk-1', status: { name: 'DELIVERED_TO_HANDSET' } }],
    });
    await noLogsLag(url);
    const logs = (await sms(infobip).logs.get({ messageId: 'sdk-1' })) as AxiosLike;
    expect(logs.data).toMatchObject({
      results: [{ messageId: 'sdk-1', text: 'This is a sample message' }],
    });
  });

  it('gets the legacy 401 body with a wrong key', async () => {
    const infobip = new Infobip({ baseUrl: url, apiKey: 'wrong', authType: AuthType.ApiKey });
    const error = (await sms(infobip).send({
      messages: [{ destinations: [{ to: '1' }], text: 'x' }],
    })) as { response?: AxiosLike };
    expect(error.response?.status).toBe(401);
    expect(error.response?.data).toEqual({
      requestError: {
        serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' },
      },
    });
  });
});
