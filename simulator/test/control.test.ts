import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordedRequest, SimMessage, Simulator } from '../src/index.js';
import { parseSimulatorArgs } from '../src/cli.js';
import { ADMIN_AUTH, get, post, startSimulator, type SendAnswer } from './helpers.js';

let sim: Simulator;
let url: string;

beforeEach(async () => {
  ({ sim, url } = await startSimulator());
});
afterEach(() => sim.close());

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('observation and control', () => {
  it('records requests with the Authorization value hidden', async () => {
    await post(`${url}/sms/2/text/advanced`, {
      messages: [{ destinations: [{ to: '1' }], text: 'x' }],
    });
    await post(`${url}/sms/2/text/advanced`, '{oops');
    const recorded = await get<RecordedRequest[]>(`${url}/__sim/requests?path=/sms/2`, {});
    expect(recorded.body).toHaveLength(2);
    expect(recorded.body[0]).toMatchObject({
      method: 'POST',
      path: '/sms/2/text/advanced',
      headers: { authorization: 'App [redacted]', 'content-type': 'application/json' },
      body: { messages: [{ destinations: [{ to: '1' }], text: 'x' }] },
      outcome: 200,
    });
    expect(recorded.body[1]).toMatchObject({ body: '{oops', outcome: 400 });
    expect(JSON.stringify(recorded.body)).not.toContain('test-key');
  });

  it('counts duplicate message ids', async () => {
    const send = (id: string) =>
      post(`${url}/sms/2/text/advanced`, {
        messages: [{ destinations: [{ to: '1', messageId: id }], text: 'x' }],
      });
    await send('a');
    await send('b');
    await send('a');
    await send('a');
    expect(sim.duplicateCount()).toBe(2);
    expect((await get(`${url}/__sim/duplicates`, {})).body).toEqual({
      count: 2,
      messageIds: ['a', 'a'],
    });
  });

  it('can reject duplicate message ids with status 23', async () => {
    const { sim: strict, url: strictUrl } = await startSimulator({ duplicateMessageIds: 'reject' });
    try {
      const body = { messages: [{ destinations: [{ to: '1', messageId: 'dup' }], text: 'x' }] };
      await post(`${strictUrl}/sms/2/text/advanced`, body);
      const again = await post<SendAnswer>(`${strictUrl}/sms/2/text/advanced`, body);
      expect(again.body.messages[0]!.status).toMatchObject({
        id: 23,
        name: 'REJECTED_DUPLICATE_MESSAGE_ID',
      });
      expect(strict.duplicateCount()).toBe(1);
    } finally {
      await strict.close();
    }
  });

  it('lists messages with their state, and one message', async () => {
    await post(`${url}/sms/2/text/advanced`, {
      messages: [{ destinations: [{ to: '1', messageId: 'm1' }, { to: '2' }], text: 'x' }],
    });
    const list = await get<SimMessage[]>(`${url}/__sim/messages?to=1`, {});
    expect(list.body.map((m) => m.messageId)).toEqual(['m1']);
    await sim.flushReports();
    const one = await get<SimMessage>(`${url}/__sim/messages/m1`, {});
    expect(one.body).toMatchObject({ messageId: 'm1', status: { name: 'DELIVERED_TO_HANDSET' } });
    expect((await get(`${url}/__sim/messages/none`, {})).status).toBe(404);
  });

  it('replaces outcome rules through the control API', async () => {
    const bad = await post(
      `${url}/__sim/outcomes`,
      { rules: [{ outcome: 'EXPLODE' }] },
      JSON_HEADERS,
      'PUT',
    );
    expect(bad.status).toBe(400);
    const ok = await post(
      `${url}/__sim/outcomes`,
      {
        rules: [{ toStartsWith: '44', outcome: 'REJECTED_INVALID_DESTINATION' }],
        defaultOutcome: 'UNDELIVERABLE',
      },
      JSON_HEADERS,
      'PUT',
    );
    expect(ok.status).toBe(200);
    const res = await post<SendAnswer>(`${url}/sms/2/text/advanced`, {
      messages: [{ destinations: [{ to: '447' }, { to: '1' }], text: 'x' }],
    });
    expect(res.body.messages[0]!.status).toMatchObject({
      id: 52,
      name: 'REJECTED_INVALID_DESTINATION',
    });
    await sim.flushReports();
    expect(sim.messages()[1]!.status.name).toBe('UNDELIVERABLE_NOT_DELIVERED');
  });

  it('resets state but keeps configuration', async () => {
    sim.addFault({ kind: 'latency', latencyMs: 1 });
    await post(`${url}/sms/2/text/advanced`, {
      messages: [{ destinations: [{ to: '1', messageId: 'x' }], text: 'x' }],
    });
    expect((await post(`${url}/__sim/reset`, {}, JSON_HEADERS)).status).toBe(200);
    expect(sim.messages()).toHaveLength(0);
    expect(sim.requests()).toHaveLength(0);
    const state = await get(`${url}/__sim/state`, {});
    expect(state.body).toMatchObject({
      messages: 0,
      requests: 0,
      duplicateCount: 0,
      pendingReports: 0,
      faults: [],
    });
    expect((await get(`${url}/account/1/balance`, ADMIN_AUTH)).status).toBe(200);
  });

  it('answers unknown control routes in Tern’s error shape', async () => {
    const res = await get(`${url}/__sim/nothing`, {});
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('cli flags', () => {
  it('parses flags with env fallbacks', () => {
    const parsed = parseSimulatorArgs(
      [
        '--port',
        '9191',
        '--api-key',
        'k1',
        '--api-key',
        'k2',
        '--inbound-number',
        '4470=http://x/mo',
      ],
      { TERN_SIM_DLR_DELAY_MS: '50', TERN_SIM_HOST: '0.0.0.0' },
    );
    expect(parsed).toMatchObject({
      help: false,
      port: 9191,
      host: '0.0.0.0',
      options: {
        apiKeys: ['k1', 'k2'],
        reportDelayMs: 50,
        inboundNumbers: { '4470': 'http://x/mo' },
      },
    });
    expect(parseSimulatorArgs([], { TERN_SIM_API_KEY: 'a,b', TERN_SIM_PORT: '1' })).toMatchObject({
      port: 1,
      options: { apiKeys: ['a', 'b'] },
    });
  });

  it('rejects unknown flags and bad values with clear messages', () => {
    expect(() => parseSimulatorArgs(['--prot', '1'], {})).toThrow(/Unknown option '--prot'/);
    expect(() => parseSimulatorArgs(['--port', 'x'], {})).toThrow(/--port/);
    expect(() => parseSimulatorArgs(['--inbound-number', '4470'], {})).toThrow(
      /NUMBER=FORWARD_URL/,
    );
  });
});

describe('retention', () => {
  it('forgets the oldest messages beyond maxStoredMessages and large bodies', async () => {
    const { sim: small, url: u } = await startSimulator({
      maxStoredMessages: 10,
      maxRecordedBodyBytes: 100,
    });
    try {
      const destinations = Array.from({ length: 12 }, (_, i) => ({
        to: String(i),
        messageId: `r${i}`,
      }));
      await post(`${u}/sms/2/text/advanced`, { messages: [{ destinations, text: 'x' }] });
      expect(small.messages().length).toBeLessThanOrEqual(10);
      expect(small.message('r0')).toBeUndefined();
      expect(small.message('r11')).toBeDefined();
      expect(small.requests()[0]!.body).toMatchObject({ omitted: true });
    } finally {
      await small.close();
    }
  });
});
