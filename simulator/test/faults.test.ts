import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../src/index.js';
import { ADMIN_AUTH, get, noLogsLag, post, startSimulator, type SendAnswer } from './helpers.js';

let sim: Simulator;
let url: string;

beforeEach(async () => {
  let n = 0;
  // Deterministic "random": 0.0, 0.25, 0.5, 0.75, 0.0, …
  ({ sim, url } = await startSimulator({ random: () => (n++ % 4) / 4 }));
});
afterEach(() => sim.close());

const SMS = { messages: [{ destinations: [{ to: '41790001' }], text: 'hi' }] };
const V3 = { messages: [{ destinations: [{ to: '41790001' }], content: { text: 'hi' } }] };

async function control(path: string, body: unknown, method = 'POST') {
  return post(`${url}/__sim${path}`, body, { 'content-type': 'application/json' }, method);
}

describe('fault injection', () => {
  it('answers 401 for the next N requests, then recovers', async () => {
    const fault = await control('/faults', { kind: 'unauthorized', count: 2 });
    expect(fault.status).toBe(201);
    for (let i = 0; i < 2; i++) {
      const res = await post(`${url}/sms/2/text/advanced`, SMS);
      expect(res.status).toBe(401);
      expect(res.text).toContain('"UNAUTHORIZED"');
    }
    expect((await post(`${url}/sms/2/text/advanced`, SMS)).status).toBe(200);
    expect(sim.messages()).toHaveLength(1);
  });

  it('answers 429 with the legacy TOO_MANY_REQUESTS body and Retry-After', async () => {
    sim.addFault({ kind: 'too-many-requests', count: 1, retryAfterSeconds: 7 });
    const res = await post(`${url}/sms/2/text/advanced`, SMS);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.body).toEqual({
      requestError: {
        serviceException: { messageId: 'TOO_MANY_REQUESTS', text: 'Too many requests' },
      },
    });
    sim.addFault({ kind: 'too-many-requests', count: 1 });
    const v3 = await post(`${url}/sms/3/messages`, V3);
    expect(v3.status).toBe(429);
    expect(v3.headers.get('retry-after')).toBeNull();
    expect(v3.body).toMatchObject({ errorCode: 'E429' });
    expect(sim.messages()).toHaveLength(0);
  });

  it('answers 5xx in the route shape, only on the filtered path', async () => {
    sim.addFault({ kind: 'server-error', status: 503, path: '/sms/3' });
    expect((await post(`${url}/sms/2/text/advanced`, SMS)).status).toBe(200);
    const res = await post(`${url}/sms/3/messages`, V3);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ errorCode: 'E503' });
    sim.clearFaults();
    sim.addFault({ kind: 'server-error', count: 1 });
    const legacy = await post(`${url}/sms/2/text/advanced`, SMS);
    expect(legacy.status).toBe(500);
    expect(legacy.body).toEqual({
      requestError: {
        serviceException: {
          messageId: 'GENERAL_ERROR',
          text: 'Something went wrong. Please contact support.',
        },
      },
    });
  });

  it('resets the connection without answering and without accepting', async () => {
    sim.addFault({ kind: 'reset', count: 1 });
    await expect(post(`${url}/sms/2/text/advanced`, SMS)).rejects.toThrow();
    expect(sim.messages()).toHaveLength(0);
    expect(sim.requests().at(-1)).toMatchObject({ path: '/sms/2/text/advanced', outcome: 'reset' });
  });

  it('adds latency', async () => {
    sim.addFault({ kind: 'latency', latencyMs: 120, count: 1 });
    const started = Date.now();
    expect((await get(`${url}/account/1/balance`, ADMIN_AUTH)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    const again = Date.now();
    await get(`${url}/account/1/balance`, ADMIN_AUTH);
    expect(Date.now() - again).toBeLessThan(100);
  });

  it('accepts then drops the connection: messages are recorded and reported', async () => {
    sim.addFault({ kind: 'accept-then-reset', count: 1 });
    await expect(
      post(`${url}/sms/2/text/advanced`, {
        messages: [{ destinations: [{ to: '1', messageId: 'lost-answer' }], text: 'x' }],
      }),
    ).rejects.toThrow();
    expect(sim.message('lost-answer')?.status.name).toBe('PENDING_ACCEPTED');
    // The sender can find out through the logs (once they show it).
    await noLogsLag(url);
    const logs = await get<{ results: { messageId: string }[] }>(
      `${url}/sms/3/logs?messageId=lost-answer`,
    );
    expect(logs.body.results.map((r) => r.messageId)).toEqual(['lost-answer']);
  });

  it('accepts then answers 5xx', async () => {
    sim.addFault({ kind: 'accept-then-error', status: 502, count: 1 });
    const res = await post(`${url}/sms/3/messages`, {
      messages: [{ destinations: [{ to: '1', messageId: 'ghost' }], content: { text: 'x' } }],
    });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ errorCode: 'E502' });
    expect(sim.message('ghost')).toBeDefined();
  });

  it('rejects every destination inside a 200', async () => {
    sim.addFault({ kind: 'reject', count: 1 });
    const res = await post<SendAnswer>(`${url}/sms/2/text/advanced`, {
      messages: [{ destinations: [{ to: '1' }, { to: '2' }], text: 'x' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.messages.map((m) => m.status)).toEqual([
      {
        groupId: 5,
        groupName: 'REJECTED',
        id: 12,
        name: 'REJECTED_NOT_ENOUGH_CREDITS',
        description: 'Not enough credits',
      },
      {
        groupId: 5,
        groupName: 'REJECTED',
        id: 12,
        name: 'REJECTED_NOT_ENOUGH_CREDITS',
        description: 'Not enough credits',
      },
    ]);
    sim.addFault({ kind: 'reject', count: 1, rejectStatus: 'REJECTED_DESTINATION' });
    const next = await post<SendAnswer>(`${url}/sms/3/messages`, V3);
    expect(next.body.messages[0]!.status).toMatchObject({ id: 14, groupId: 5 });
  });

  it('fires on a share of requests', async () => {
    // random() yields 0, .25, .5, .75 … ; probability .5 fires for the first two of each four.
    sim.addFault({ kind: 'server-error', probability: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await get(`${url}/account/1/balance`, ADMIN_AUTH)).status);
    expect(statuses).toEqual([500, 500, 200, 200, 500, 500, 200, 200]);
  });

  it('lists, deletes and validates faults through the control API', async () => {
    const bad = await control('/faults', { kind: 'explode' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'invalid_request' } });
    const created = await control('/faults', { kind: 'latency', latencyMs: 1 });
    const { id } = created.body as { id: number };
    expect((await get(`${url}/__sim/faults`, {})).body).toMatchObject([{ id, kind: 'latency' }]);
    expect((await control(`/faults/${id}`, undefined, 'DELETE')).status).toBe(204);
    expect((await get(`${url}/__sim/faults`, {})).body).toEqual([]);
  });

  it('never applies faults to the control API', async () => {
    sim.addFault({ kind: 'server-error' });
    expect((await get(`${url}/__sim/state`, {})).status).toBe(200);
  });
});
