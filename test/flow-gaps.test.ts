import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { LiveSegmentLoop } from '../src/audiences/live-segments.js';
import type { Db } from '../src/db/database.js';
import { STEP_FAILURES_MAX } from '../src/flows/flow-engine.js';
import { FlowRunner } from '../src/flows/flow-runner.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { ALICE, createInboundCredential, type InboundCredential } from './helpers/inbound.js';

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const DAY = 86_400;

async function call(t: TestApp, method: Method, url: string, payload?: object) {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: t.auth,
    ...(payload ? { payload } : {}),
  });
  const json = res.headers['content-type']?.toString().startsWith('application/json');
  return { status: res.statusCode, body: json ? res.json<Json>() : ({} as Json) };
}

async function made(t: TestApp, method: Method, url: string, payload: object): Promise<Json> {
  const r = await call(t, method, url, payload);
  expect(r.status, `${method} ${url}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  return r.body;
}

/** A profile as an import or an earlier text left it. */
async function seedProfile(
  db: Db,
  phone: string,
  consent: string,
  attributes: Record<string, unknown>,
) {
  await db.kysely
    .insertInto('profiles')
    .values({
      sandbox: 'prod',
      id: `p-${phone.slice(-4)}`,
      phone,
      consent,
      consent_updated_at: null,
      attributes: JSON.stringify(attributes),
      created_at: '2026-11-01T00:00:00.000Z',
      updated_at: '2026-11-01T00:00:00.000Z',
      region: 'US',
    })
    .execute();
}

/**
 * The demo's OFFERS automation in a subscribed-only sandbox: OFFERS's keyword response replies
 * (personalised), adds to the Offers list, subscribes and starts the flow, which sends a
 * marketing follow-up a day later through a channel with a footer.
 */
async function offers(t: TestApp) {
  await made(t, 'PATCH', '/sandboxes/prod', { consentPolicy: 'subscribed-only' });
  const cred: InboundCredential = await createInboundCredential(t);
  const promo = await made(t, 'POST', '/channel-configurations', {
    name: 'promo',
    credentialId: cred.id,
    sender: 'TERNSHOP',
    messageType: 'marketing',
    marketingFooter: 'Reply STOP to opt out',
  });
  const reply = await made(t, 'POST', '/templates', {
    name: 'offers-reply',
    body: 'Hi {{ profile.attributes.firstName | default: "there" }}, this week: example.com/o ({{ keyword }})',
    messageType: 'transactional',
  });
  const follow = await made(t, 'POST', '/templates', {
    name: 'follow-up',
    body: 'Still interested, {{ profile.attributes.firstName | default: "friend" }}? 20% off.',
    messageType: 'marketing',
  });
  const list = await made(t, 'POST', '/lists', { name: 'Offers' });
  const flow = await made(t, 'POST', '/flows', {
    name: 'Offers follow-up',
    status: 'active',
    definition: {
      trigger: { type: 'api_event', event: 'offers' },
      channelConfigurationId: promo.id,
      steps: [
        { id: 'wait', type: 'wait', seconds: DAY },
        { id: 'follow', type: 'send', templateId: follow.id },
      ],
    },
  });
  await made(t, 'PUT', `/credentials/${cred.id}/keyword-responses/OFFERS`, {
    templateId: reply.id,
    actions: [
      { type: 'add_to_list', listId: list.id },
      { type: 'set_consent', to: 'subscribed' },
      { type: 'start_flow', flowId: flow.id },
    ],
  });
  return { cred, flowId: flow.id as string, replyId: reply.id as string, listId: list.id };
}

describeEachDialect('flow gaps', ({ db, dialect }) => {
  it("simulate plays OFFERS's keyword response: the reply, the list noted, consent given, the flow started, the footer added", async () => {
    const t = await buildTestApp(db());
    const { flowId } = await offers(t);
    const sim = await call(t, 'POST', `/flows/${flowId}/simulate`, {
      script: [{ atSeconds: 0, text: 'offers' }],
    });
    expect(sim.status, JSON.stringify(sim.body)).toBe(200);
    const messages = sim.body.messages as Json[];
    expect(messages.map((m) => [m.atSeconds, m.kind, m.status, m.text])).toEqual([
      [0, 'reply', 'would_send', 'Hi there, this week: example.com/o (OFFERS)'],
      // Subscribed by the response: the marketing follow-up passes the subscribed-only gate.
      [DAY, 'flow', 'would_send', 'Still interested, friend? 20% off.\nReply STOP to opt out'],
    ]);
    const details = (sim.body.timeline as Json[]).map((e) => String(e.detail));
    expect(details).toContain(`keyword OFFERS's response would add to list "Offers" (simulated)`);
    expect(details).toContain(
      `keyword OFFERS's response would set consent to subscribed (simulated)`,
    );
    expect(sim.body.runs).toEqual([
      { startedAtSeconds: 0, endedAtSeconds: DAY, endReason: 'completed' },
    ]);

    // STOP in between: the confirmation goes out, the run ends, no follow-up.
    const stopped = await call(t, 'POST', `/flows/${flowId}/simulate`, {
      script: [
        { atSeconds: 0, text: 'OFFERS' },
        { atSeconds: 3600, text: 'STOP' },
        { atSeconds: 7200, text: 'OFFERS' },
      ],
    });
    expect(
      (stopped.body.messages as Json[]).map((m) => [m.atSeconds, m.kind, m.status, m.reason]),
    ).toEqual([
      [0, 'reply', 'would_send', null],
      [3600, 'reply', 'would_send', null],
      // OFFERS again subscribes the person again (its set_consent), so its reply goes out too.
      [7200, 'reply', 'would_send', null],
      [7200 + DAY, 'flow', 'would_send', null],
    ]);
    expect((stopped.body.runs as Json[])[0]).toMatchObject({ endReason: 'opted_out' });
    // Nothing was stored: no list member, no message, no run, no consent entry.
    for (const table of ['list_members', 'messages', 'flow_runs', 'consent_events'] as const)
      expect(await db().kysely.selectFrom(table).selectAll().execute()).toEqual([]);
    await t.app.close();
  });

  it('simulate without the consent action: the reply goes, the marketing follow-up is suppressed', async () => {
    const t = await buildTestApp(db());
    const { cred, flowId, replyId } = await offers(t);
    await made(t, 'PUT', `/credentials/${cred.id}/keyword-responses/OFFERS`, {
      templateId: replyId,
      actions: [{ type: 'start_flow', flowId }],
    });
    const sim = await call(t, 'POST', `/flows/${flowId}/simulate`, {
      script: [{ atSeconds: 0, text: 'OFFERS' }],
    });
    const messages = sim.body.messages as Json[];
    expect(messages.map((m) => [m.kind, m.status])).toEqual([
      ['reply', 'would_send'],
      ['flow', 'suppressed'],
    ]);
    expect(messages[1]?.reason).toContain('subscribed-only');
    // An unsubscribed person gets no keyword reply (consent as the inbound engine applies it).
    const gone = await call(t, 'POST', `/flows/${flowId}/simulate`, {
      script: [{ atSeconds: 0, text: 'OFFERS' }],
      consent: 'unsubscribed',
    });
    expect((gone.body.messages as Json[])[0]).toMatchObject({
      kind: 'reply',
      status: 'suppressed',
      reason: 'recipient opted out (consent: unsubscribed)',
    });
    await t.app.close();
  });

  it("simulate for a phone with a profile takes its consent and attributes; the request's own override", async () => {
    const t = await buildTestApp(db());
    const { cred, flowId, replyId } = await offers(t);
    await made(t, 'PUT', `/credentials/${cred.id}/keyword-responses/OFFERS`, {
      templateId: replyId,
      actions: [{ type: 'start_flow', flowId }],
    });
    await seedProfile(db(), ALICE, 'subscribed', { firstName: 'Ada' });
    const script = [{ atSeconds: 0, text: 'OFFERS' }];
    const known = await call(t, 'POST', `/flows/${flowId}/simulate`, {
      script,
      phone: '+1 415 555 0123',
    });
    expect(known.status, JSON.stringify(known.body)).toBe(200);
    expect((known.body.messages as Json[]).map((m) => [m.kind, m.status, m.text])).toEqual([
      ['reply', 'would_send', 'Hi Ada, this week: example.com/o (OFFERS)'],
      // The send-time policy places the real number (+1 415: Pacific time), where the test
      // clock's next day is night: held for the morning, unlike the simulated 555 number.
      ['flow', 'held', 'Still interested, Ada? 20% off.\nReply STOP to opt out'],
    ]);
    expect((known.body.messages as Json[])[1]?.reason).toContain('held until');
    const overridden = await call(t, 'POST', `/flows/${flowId}/simulate`, {
      script,
      phone: ALICE,
      consent: 'unknown',
      attributes: { firstName: 'Bo' },
    });
    expect((overridden.body.messages as Json[]).map((m) => [m.status, m.text])).toEqual([
      ['would_send', 'Hi Bo, this week: example.com/o (OFFERS)'],
      ['suppressed', 'Still interested, Bo? 20% off.\nReply STOP to opt out'],
    ]);
    // A number without a profile: unknown consent, no attributes (the defaults).
    const stranger = await call(t, 'POST', `/flows/${flowId}/simulate`, {
      script,
      phone: '+14155550199',
    });
    expect((stranger.body.messages as Json[]).map((m) => [m.status, m.text])).toEqual([
      ['would_send', 'Hi there, this week: example.com/o (OFFERS)'],
      ['suppressed', 'Still interested, friend? 20% off.\nReply STOP to opt out'],
    ]);
    const bad = await call(t, 'POST', `/flows/${flowId}/simulate`, { script, phone: 'call me' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('/phone');
    await t.app.close();
  });

  it("a template a flow's current version sends is not deleted: 409 names each flow and keyword response", async () => {
    const t = await buildTestApp(db());
    const { cred, flowId, replyId } = await offers(t);
    const flow = await made(t, 'GET', `/flows/${flowId}`, {});
    const definition = flow.definition as { steps: Json[] };
    const followId = definition.steps[1]?.templateId as string;
    // A second flow sends the reply template too (a draft counts: it may be activated).
    const other = await made(t, 'POST', '/flows', {
      name: 'Another',
      definition: { ...definition, steps: [{ id: 'hello', type: 'send', templateId: replyId }] },
    });
    const refused = await call(t, 'DELETE', `/templates/${replyId}`);
    expect(refused.status).toBe(409);
    expect((refused.body.error as { details: unknown[] }).details).toEqual([
      {
        path: '/keywordResponses',
        message: `the reply to OFFERS of credential ${cred.id}`,
        credentialId: cred.id,
        keyword: 'OFFERS',
      },
      {
        path: '/flows',
        message: 'sent by step hello of flow "Another"',
        flowId: other.id,
        flowName: 'Another',
        stepIds: ['hello'],
      },
    ]);
    const follow = await call(t, 'DELETE', `/templates/${followId}`);
    expect(follow.status).toBe(409);
    expect((follow.body.error as { details: Json[] }).details.map((d) => d.flowName)).toEqual([
      'Offers follow-up',
    ]);
    // A new version without the send frees it (runs on the old version fail that send, said).
    await made(t, 'PATCH', `/flows/${flowId}`, {
      definition: { ...definition, steps: [{ id: 'wait', type: 'wait', seconds: 60 }] },
    });
    expect((await call(t, 'DELETE', `/templates/${followId}`)).status).toBe(204);
    await t.app.close();
  });

  it('a step that fails every time ends its run failed after 5 tries, naming the error (no stack)', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const channel = await made(t, 'POST', '/channel-configurations', {
      name: 'service',
      credentialId: cred.id,
      sender: 'TERN',
      messageType: 'transactional',
    });
    const hello = await made(t, 'POST', '/templates', {
      name: 'hello',
      body: 'Hello!',
      messageType: 'transactional',
    });
    await made(t, 'POST', '/flows', {
      name: 'signup',
      status: 'active',
      definition: {
        trigger: { type: 'api_event', event: 'signup' },
        channelConfigurationId: channel.id,
        steps: [{ id: 'hello', type: 'send', templateId: hello.id }],
      },
    });
    // A real failure of the database on every send: a trigger refusing messages.
    const refusal = 'messages are refused in this test';
    if (dialect === 'postgres') {
      await sql
        .raw(
          `create function refuse_messages() returns trigger language plpgsql as $$ begin raise exception '${refusal}'; end $$`,
        )
        .execute(db().kysely);
      await sql
        .raw(
          'create trigger refuse_messages before insert on messages for each row execute function refuse_messages()',
        )
        .execute(db().kysely);
    } else {
      await sql
        .raw(
          `create trigger refuse_messages before insert on messages begin select raise(abort, '${refusal}'); end`,
        )
        .execute(db().kysely);
    }
    await made(t, 'POST', '/flow-events', { event: 'signup', phone: ALICE });
    const runner = new FlowRunner({ db: db(), clock: t.clock, engine: t.services.flowEngine });
    const status = async () =>
      (await db().kysely.selectFrom('flow_runs').select(['status', 'end_reason']).execute())[0];
    for (let i = 1; i < STEP_FAILURES_MAX; i++) {
      expect(await runner.runDue()).toBe(1);
      expect(await status()).toEqual({ status: 'active', end_reason: null });
      // Not again at once: a second later.
      expect(await runner.runDue()).toBe(0);
      t.clock.advance(1000);
    }
    expect(await runner.runDue()).toBe(1);
    expect(await status()).toEqual({ status: 'ended', end_reason: 'failed' });
    t.clock.advance(60_000);
    expect(await runner.runDue()).toBe(0);
    const [run] = await db().kysely.selectFrom('flow_runs').select('id').execute();
    const detail = await call(t, 'GET', `/flow-runs/${run!.id}`);
    const last = (detail.body.timeline as Json[]).at(-1);
    expect(last).toMatchObject({ kind: 'ended', stepId: 'hello' });
    expect(last?.detail).toContain(`step hello failed ${STEP_FAILURES_MAX} times in a row`);
    expect(last?.detail).toContain(refusal);
    expect(String(last?.detail)).not.toMatch(/\n|\bat \S+ \(/);
    expect(await db().kysely.selectFrom('messages').selectAll().execute()).toEqual([]);
    const ended = await db()
      .kysely.selectFrom('events')
      .select('payload')
      .where('type', '=', 'flow.run.ended')
      .execute();
    expect(ended.map((e) => (JSON.parse(e.payload) as Json).reason)).toEqual(['failed']);
    await t.app.close();
  });

  it('an attribute a flow step sets moves the person into a live segment (profile.updated), clearing it out', async () => {
    const t = await buildTestApp(db());
    const segment = await made(t, 'POST', '/segments', {
      name: 'gold',
      live: true,
      rule: { attribute: 'tier', eq: 'gold' },
    });
    await made(t, 'POST', '/flows', {
      name: 'tiering',
      status: 'active',
      definition: {
        trigger: { type: 'api_event', event: 'purchase' },
        steps: [
          { id: 'later', type: 'wait', seconds: 60 },
          { id: 'gold', type: 'set_attribute', name: 'tier', value: 'gold' },
          { id: 'expire', type: 'wait', seconds: 60 },
          { id: 'plain', type: 'clear_attribute', name: 'tier' },
        ],
      },
    });
    const runner = new FlowRunner({ db: db(), clock: t.clock, engine: t.services.flowEngine });
    const live = new LiveSegmentLoop(
      {
        db: db(),
        clock: t.clock,
        onError: (e) => {
          throw e;
        },
      },
      { settleMs: 0 },
    );
    const membership = async () => {
      const rows = await db()
        .kysely.selectFrom('events')
        .select(['type', 'payload'])
        .where('type', 'in', ['segment.entered', 'segment.left'])
        .orderBy('id')
        .execute();
      return rows.map((r) => {
        const p = JSON.parse(r.payload) as Json;
        return [r.type, p.segmentId, p.phone];
      });
    };
    await made(t, 'POST', '/flow-events', { event: 'purchase', phone: ALICE });
    expect(await runner.runDue()).toBe(1);
    await live.step();
    expect(await membership()).toEqual([]);
    t.clock.advance(60_000);
    expect(await runner.runDue()).toBe(1);
    await live.step();
    expect(await membership()).toEqual([['segment.entered', segment.id, ALICE]]);
    t.clock.advance(60_000);
    expect(await runner.runDue()).toBe(1);
    await live.step();
    expect(await membership()).toEqual([
      ['segment.entered', segment.id, ALICE],
      ['segment.left', segment.id, ALICE],
    ]);
    const updates = await db()
      .kysely.selectFrom('events')
      .select('payload')
      .where('type', '=', 'profile.updated')
      .orderBy('id')
      .execute();
    expect(
      updates.map((u) => {
        const p = JSON.parse(u.payload) as Json;
        return [p.phone, p.attribute, p.value, (p.source as Json).kind, (p.source as Json).stepId];
      }),
    ).toEqual([
      [ALICE, 'tier', 'gold', 'flow', 'gold'],
      [ALICE, 'tier', null, 'flow', 'plain'],
    ]);
    // Webhooks may subscribe to it.
    const hook = await call(t, 'POST', '/event-webhooks', {
      url: 'https://example.com/hook',
      types: ['profile.updated'],
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    await t.app.close();
  });
});
