// Issue 13 item 1: "Verify connection" with the least privilege Tern needs, naming the scopes the
// key has and lacks; a 403 is a missing scope, only a 401 a refused key. Against the strict
// simulator (scopes per key, Infobip's 403 body outside them).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../simulator/src/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

const SENDING = 'verify-sending-key-0000000000000-aaaa';
const SMS_ONLY = 'verify-sms-only-key-000000000000-bbbb';
const ADMIN_ONLY = 'verify-admin-only-key-0000000000-cccc';

let sim: Simulator;
let simUrl: string;
beforeAll(async () => {
  sim = await createSimulator({
    apiKeys: [
      SENDING, // a plain key holds the sending scopes, not account-management:manage
      { key: SMS_ONLY, scopes: ['sms:message:send', 'sms:logs:read'] },
      { key: ADMIN_ONLY, scopes: ['account-management:manage'] },
    ],
  });
  simUrl = await sim.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => sim.close());

type Verify = {
  status: string;
  message: string;
  httpStatus?: number;
  scopes: { feature: string; scopes: string[]; endpoint: string; state: string }[];
};

async function verify(t: TestApp, apiKey: string, name: string): Promise<Verify> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/credentials',
    headers: t.auth,
    payload: { name, baseUrl: simUrl, apiKey },
  });
  expect(created.statusCode).toBe(201);
  const { id } = created.json<{ id: string }>();
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/credentials/${id}/verify`,
    headers: t.auth,
  });
  expect(res.statusCode).toBe(200);
  return res.json<Verify>();
}

const states = (v: Verify) => Object.fromEntries(v.scopes.map((s) => [s.feature, s.state]));

describeEachDialect('Verify connection with least privilege (issue 13 item 1)', ({ db }) => {
  it('a sending key without account-management:manage is ok, with every scope Tern uses granted', async () => {
    const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    const v = await verify(t, SENDING, 'sending');
    // Before: GET /account/1/balance answered 403 and Tern said "Infobip refused the API key".
    expect(v).toMatchObject({ status: 'ok', httpStatus: 200 });
    expect(states(v)).toEqual({
      'send SMS': 'granted',
      'send MMS': 'granted',
      'look up uncertain SMS sends': 'granted',
      'look up uncertain MMS sends': 'granted',
    });
    const paths = sim.requests().map((r) => r.path);
    expect(paths).not.toContain('/account/1/balance');
    // Nothing was sent by the check.
    expect(sim.messages()).toHaveLength(0);
    await t.app.close();
  });

  it('an SMS-only key: missing_scope, naming the MMS scopes it lacks; the key is not flagged refused', async () => {
    const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    const v = await verify(t, SMS_ONLY, 'sms only');
    expect(v.status).toBe('missing_scope');
    expect(states(v)).toEqual({
      'send SMS': 'granted',
      'send MMS': 'missing',
      'look up uncertain SMS sends': 'granted',
      'look up uncertain MMS sends': 'missing',
    });
    expect(v.scopes.find((s) => s.feature === 'send MMS')).toMatchObject({
      endpoint: 'POST /mms/2/messages',
      scopes: ['mms:message:send', 'message:send', 'mms:manage'],
    });
    expect(v.message).toContain('send MMS (one of mms:message:send, message:send, mms:manage)');
    expect(v.message).not.toMatch(/refused the API key/);
    await t.app.close();
  });

  it('an admin-only key (balance works) lacks every scope Tern uses', async () => {
    const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    const v = await verify(t, ADMIN_ONLY, 'admin only');
    // Before: the balance call succeeded and Tern said "Connected".
    expect(v.status).toBe('missing_scope');
    expect(Object.values(states(v))).toEqual(['missing', 'missing', 'missing', 'missing']);
    await t.app.close();
  });

  it('an unknown key is unauthorized (401), said as a bad/expired key or a disallowed IP', async () => {
    const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    const v = await verify(t, 'no-such-key-000000000000000000-dddd', 'unknown');
    expect(v).toMatchObject({ status: 'unauthorized', httpStatus: 401 });
    expect(v.message).toMatch(/expired key|allowed IPs/);
    await t.app.close();
  });
});
