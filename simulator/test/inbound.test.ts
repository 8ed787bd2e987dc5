import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../src/index.js';
import { splitKeyword } from '../src/inbound.js';
import {
  get,
  post,
  startReceiver,
  startSimulator,
  waitFor,
  type Receiver,
  type Results,
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

describe('inbound texts', () => {
  it('splits the first word off as the keyword', () => {
    expect(splitKeyword('QUIZ Correct answer is Paris')).toEqual({
      keyword: 'QUIZ',
      cleanText: 'Correct answer is Paris',
    });
    expect(splitKeyword('  stop  ')).toEqual({ keyword: 'STOP', cleanText: '' });
    expect(splitKeyword('')).toEqual({ keyword: '', cleanText: '' });
  });

  it('forwards an injected text in MO_JSON_2 to the number’s URL, retrying failures', async () => {
    receiver = await startReceiver([500]);
    const started = await startSimulator({
      inboundNumbers: { '385921004026': `${receiver.url}/mo` },
    });
    sim = started.sim;
    const injected = await post(
      `${started.url}/__sim/inbound`,
      { from: '385916242493', to: '385921004026', text: 'QUIZ Correct answer is Paris' },
      JSON_HEADERS,
    );
    expect(injected.status).toBe(201);
    const r = receiver;
    await waitFor(() => r.received.length === 2);
    expect(r.received[0]!.body).toEqual(r.received[1]!.body);
    expect(r.received[1]!.path).toBe('/mo');
    expect(r.received[1]!.body).toEqual({
      results: [
        {
          messageId: expect.stringMatching(/^\d{20}$/) as unknown,
          from: '385916242493',
          to: '385921004026',
          text: 'QUIZ Correct answer is Paris',
          cleanText: 'Correct answer is Paris',
          keyword: 'QUIZ',
          receivedAt: expect.stringMatching(
            /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/,
          ) as unknown,
          smsCount: 1,
          price: { pricePerMessage: 0, currency: 'EUR' },
        },
      ],
      messageCount: 1,
      pendingMessageCount: 0,
    });
    const s = sim;
    await waitFor(() => s.inboundPosts().length === 2);
    expect(sim.inboundPosts().map((p) => [p.attempt, p.status])).toEqual([
      [0, 500],
      [1, 200],
    ]);
  });

  it('configures numbers through the control API and in process', async () => {
    receiver = await startReceiver();
    const started = await startSimulator();
    sim = started.sim;
    const put = await post(
      `${started.url}/__sim/numbers/447700900001`,
      { forwardUrl: `${receiver.url}/a` },
      JSON_HEADERS,
      'PUT',
    );
    expect(put.status).toBe(200);
    sim.setInboundNumber('447700900002', `${receiver.url}/b`);
    expect((await get(`${started.url}/__sim/numbers`, {})).body).toEqual({
      '447700900001': `${receiver.url}/a`,
      '447700900002': `${receiver.url}/b`,
    });
    sim.injectInbound({ from: '1', to: '447700900001', text: 'START' });
    sim.injectInbound({ from: '1', to: '447700900002', text: 'HELP me' });
    const r = receiver;
    await waitFor(() => r.received.length === 2);
    expect(r.received.map((x) => x.path).sort()).toEqual(['/a', '/b']);
  });

  it('keeps texts to numbers without forwarding for GET /sms/1/inbox/reports', async () => {
    const started = await startSimulator();
    sim = started.sim;
    sim.injectInbound({ from: '1', to: '500', text: 'one' });
    sim.injectInbound({ from: '2', to: '500', text: 'two' });
    const first = await get<Results<{ text: string }>>(
      `${started.url}/sms/1/inbox/reports?limit=1`,
    );
    expect(first.body.results.map((x) => x.text)).toEqual(['one']);
    expect(first.body).toMatchObject({ messageCount: 1, pendingMessageCount: 1 });
    const rest = await get<Results<{ text: string }>>(`${started.url}/sms/1/inbox/reports`);
    expect(rest.body.results.map((x) => x.text)).toEqual(['two']);
    expect(
      (await get<Results<unknown>>(`${started.url}/sms/1/inbox/reports`)).body.results,
    ).toEqual([]);
  });

  it('validates injected texts', async () => {
    const started = await startSimulator();
    sim = started.sim;
    const res = await post(`${started.url}/__sim/inbound`, { from: '', text: 5 }, JSON_HEADERS);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_request' } });
  });
});

describe('virtual phone', () => {
  it('serves the page and the conversation of a number', async () => {
    const started = await startSimulator();
    sim = started.sim;
    const page = await fetch(`${started.url}/__sim/phone`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('Virtual phone');
    await post(`${started.url}/sms/2/text/advanced`, {
      messages: [
        {
          from: '447700900001',
          destinations: [{ to: '447700900123' }],
          text: 'Reply STOP to opt out',
        },
      ],
    });
    sim.injectInbound({ from: '447700900123', to: '447700900001', text: 'STOP' });
    const numbers = await get(`${started.url}/__sim/phone/numbers`, {});
    expect(numbers.body).toMatchObject({ phones: ['447700900123'] });
    const convo = await get<{ direction: string; text: string; peer: string }[]>(
      `${started.url}/__sim/phone/conversation?number=447700900123`,
      {},
    );
    expect(convo.body.map((c) => [c.direction, c.text, c.peer])).toEqual([
      ['received', 'Reply STOP to opt out', '447700900001'],
      ['sent', 'STOP', '447700900001'],
    ]);
  });
});
