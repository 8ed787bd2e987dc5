import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { LiveSegmentLoop } from '../src/audiences/live-segments.js';
import { FlowEngine } from '../src/flows/flow-engine.js';
import { FlowRunner } from '../src/flows/flow-runner.js';
import { claimDueRuns } from '../src/flows/flow.repository.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import {
  ALICE,
  BOB,
  CAROL,
  createInboundCredential,
  eventsOf,
  text,
  type InboundCredential,
} from './helpers/inbound.js';

const DAVE = '+14155550126';
const DAY = 86_400_000;
type Json = Record<string, unknown>;

async function call(t: TestApp, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: t.auth,
    ...(payload ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.json<Json>() };
}

interface World {
  t: TestApp;
  cred: InboundCredential;
  channelId: string;
  template: (name: string, body: string) => Promise<string>;
  flow: (definition: Json, settings?: Json) => Promise<string>;
  runner: FlowRunner;
  /** Steps the runner until nothing is due. */
  step: () => Promise<number>;
}

async function world(db: Db, t?: TestApp): Promise<World> {
  const app = t ?? (await buildTestApp(db));
  // YES and NO are replies here, not opt-in keywords.
  const cred = await createInboundCredential(app, { optInKeywords: 'START' });
  const channel = await call(app, 'POST', '/channel-configurations', {
    name: 'service',
    credentialId: cred.id,
    sender: 'TERN',
    messageType: 'transactional',
  });
  expect(channel.status).toBe(201);
  const channelId = channel.body.id as string;
  let n = 0;
  const runner = new FlowRunner({ db, clock: app.clock, engine: app.services.flowEngine });
  const w: World = {
    t: app,
    cred,
    channelId,
    template: async (name, body) => {
      const r = await call(app, 'POST', '/templates', { name, body, messageType: 'transactional' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    },
    flow: async (definition, settings) => {
      const r = await call(app, 'POST', '/flows', {
        name: `flow ${++n}`,
        status: 'active',
        definition: {
          trigger: { type: 'keyword', credentialId: cred.id, keyword: 'OFFERS' },
          channelConfigurationId: channelId,
          ...definition,
          ...(settings ? { settings } : {}),
        },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    },
    runner,
    step: async () => {
      let total = 0;
      for (let i = 0; i < 100; i++) {
        const stepped = await runner.runDue();
        if (stepped === 0) return total;
        total += stepped;
      }
      throw new Error('the runner kept finding due runs');
    },
  };
  return w;
}

async function flowMessages(db: Db, phone?: string) {
  let q = db.kysely
    .selectFrom('messages')
    .select(['id', 'to_number', 'text', 'status', 'origin'])
    .where('origin', '=', 'flow');
  if (phone) q = q.where('to_number', '=', phone);
  return q.orderBy('id').execute();
}

async function runsOf(db: Db, phone: string) {
  return db.kysely
    .selectFrom('flow_runs')
    .selectAll()
    .where('phone', '=', phone)
    .orderBy('id')
    .execute();
}

describeEachDialect('flow runs', ({ db, testDb, dialect }) => {
  it('OFFERS, a day, exactly one follow-up; a STOP in between ends the run and nothing is sent', async () => {
    const w = await world(db());
    const followUp = await w.template('follow-up', 'Still interested? Our offers end Friday.');
    await w.flow({
      steps: [
        { id: 'wait', type: 'wait', seconds: 86_400 },
        { id: 'follow', type: 'send', templateId: followUp },
      ],
    });
    const offers = await text(w.t, w.cred, ALICE, 'OFFERS');
    expect(offers.results[0]?.action).toBe('keyword_recorded');
    await text(w.t, w.cred, BOB, 'offers');
    expect(await w.step()).toBe(2);
    w.t.clock.advance(3_600_000);
    await text(w.t, w.cred, BOB, 'STOP');
    const [bobRun] = await runsOf(db(), BOB);
    expect(bobRun).toMatchObject({ status: 'ended', end_reason: 'opted_out' });

    w.t.clock.advance(DAY - 3_600_000 - 1000);
    await w.step();
    expect(await flowMessages(db())).toEqual([]);
    w.t.clock.advance(1000);
    expect(await w.step()).toBe(1);
    const sent = await flowMessages(db());
    expect(sent.map((m) => [m.to_number, m.text, m.status])).toEqual([
      [ALICE, 'Still interested? Our offers end Friday.', 'queued'],
    ]);
    w.t.clock.advance(DAY);
    expect(await w.step()).toBe(0);
    expect(await flowMessages(db())).toHaveLength(1);

    const [aliceRun] = await runsOf(db(), ALICE);
    expect(aliceRun).toMatchObject({ status: 'ended', end_reason: 'completed', sends: 1 });
    const detail = await call(w.t, 'GET', `/flow-runs/${aliceRun!.id}`);
    const timeline = detail.body.timeline as Json[];
    expect(timeline.map((e) => e.kind)).toEqual([
      'started',
      'waiting',
      'timed_out',
      'sent',
      'ended',
    ]);
    expect(timeline.find((e) => e.kind === 'sent')?.messageId).toBe(sent[0]!.id);
    expect(timeline[0]!.detail).toContain('texted OFFERS');
    const list = await call(w.t, 'GET', `/flow-runs?phone=${encodeURIComponent(BOB)}`);
    expect((list.body.items as Json[]).map((r) => r.endReason)).toEqual(['opted_out']);

    const events = (await eventsOf(db())).filter((e) => e.type.startsWith('flow.run.'));
    expect(events.map((e) => [e.type, e.payload.phone, e.payload.reason ?? null])).toEqual([
      ['flow.run.started', ALICE, null],
      ['flow.run.started', BOB, null],
      ['flow.run.ended', BOB, 'opted_out'],
      ['flow.run.ended', ALICE, 'completed'],
    ]);
    await w.t.app.close();
  });

  it('waits for a reply and branches on YES, NO, free text and the timeout', async () => {
    const w = await world(db());
    const t = (name: string) => w.template(name, `${name} reply`);
    const [ask, yes, no, other, timeout] = await Promise.all(
      ['ask', 'yes', 'no', 'other', 'timeout'].map((n) => t(n)),
    );
    await w.flow({
      steps: [
        { id: 'ask', type: 'send', templateId: ask },
        { id: 'listen', type: 'wait', seconds: 3600, untilReply: true },
        {
          id: 'route',
          type: 'branch',
          cases: [
            { match: { keyword: 'YES' }, goto: 'yes' },
            { match: { keyword: 'NO' }, goto: 'no' },
          ],
          otherwise: 'other',
          noReply: 'timeout',
        },
        { id: 'yes', type: 'send', templateId: yes, next: 'done' },
        { id: 'no', type: 'send', templateId: no, next: 'done' },
        { id: 'other', type: 'send', templateId: other, next: 'done' },
        { id: 'timeout', type: 'send', templateId: timeout, next: 'done' },
        { id: 'done', type: 'end' },
      ],
    });
    for (const phone of [ALICE, BOB, CAROL, DAVE]) await text(w.t, w.cred, phone, 'OFFERS');
    await w.step();
    expect(await flowMessages(db())).toHaveLength(4);
    w.t.clock.advance(60_000);
    const replied = await text(w.t, w.cred, ALICE, 'yes!');
    expect(replied.results[0]?.action).toBe('flow_replied');
    await text(w.t, w.cred, BOB, 'No');
    await text(w.t, w.cred, CAROL, 'maybe next week');
    await w.step();
    w.t.clock.advance(3_600_000);
    await w.step();
    const got = async (phone: string) =>
      (await flowMessages(db(), phone)).map((m) => m.text).filter((x) => x !== 'ask reply');
    expect(await got(ALICE)).toEqual(['yes reply']);
    expect(await got(BOB)).toEqual(['no reply']);
    expect(await got(CAROL)).toEqual(['other reply']);
    expect(await got(DAVE)).toEqual(['timeout reply']);
    for (const phone of [ALICE, BOB, CAROL, DAVE])
      expect((await runsOf(db(), phone))[0]).toMatchObject({
        status: 'ended',
        end_reason: 'end_step',
      });
    // A text after the run ended is no reply to anything.
    const late = await text(w.t, w.cred, ALICE, 'yes');
    expect(late.results[0]?.action).toBe('none');
    await w.t.app.close();
  });

  it('START and HELP pre-empt a run waiting for a reply; the keyword is answered as always', async () => {
    const w = await world(db());
    const ask = await w.template('ask', 'Reply YES for more');
    const after = await w.template('after', 'never sent');
    await w.flow({
      steps: [
        { id: 'ask', type: 'send', templateId: ask },
        { id: 'listen', type: 'wait', seconds: 3600, untilReply: true },
        { id: 'after', type: 'send', templateId: after },
      ],
    });
    await text(w.t, w.cred, ALICE, 'OFFERS');
    await text(w.t, w.cred, BOB, 'OFFERS');
    await w.step();
    const help = await text(w.t, w.cred, ALICE, 'HELP');
    expect(help.results[0]?.action).toBe('help_replied');
    const start = await text(w.t, w.cred, BOB, 'START');
    expect(start.results[0]?.action).toBe('opted_in');
    for (const phone of [ALICE, BOB])
      expect((await runsOf(db(), phone))[0]).toMatchObject({
        status: 'ended',
        end_reason: 'preempted',
      });
    w.t.clock.advance(2 * 3_600_000);
    await w.step();
    expect((await flowMessages(db())).map((m) => m.text)).toEqual([
      'Reply YES for more',
      'Reply YES for more',
    ]);
    await w.t.app.close();
  });

  it('the loop guard ends a run at its sends per run, and a person at the sends per day', async () => {
    const w = await world(db());
    const ping = await w.template('ping', 'ping');
    await w.flow(
      {
        steps: [
          { id: 'ping', type: 'send', templateId: ping },
          { id: 'pause', type: 'wait', seconds: 60, next: 'ping' },
        ],
      },
      { oneRunPerPerson: true, maxSendsPerRun: 2, maxSendsPerDay: 3 },
    );
    await text(w.t, w.cred, ALICE, 'OFFERS');
    for (let i = 0; i < 5; i++) {
      await w.step();
      w.t.clock.advance(61_000);
    }
    expect(await flowMessages(db(), ALICE)).toHaveLength(2);
    expect((await runsOf(db(), ALICE))[0]).toMatchObject({ end_reason: 'loop_guard', sends: 2 });

    // A second run the same day may send once more (3 a day), then the day's guard ends it.
    await text(w.t, w.cred, ALICE, 'OFFERS');
    for (let i = 0; i < 5; i++) {
      await w.step();
      w.t.clock.advance(61_000);
    }
    expect(await flowMessages(db(), ALICE)).toHaveLength(3);
    const second = (await runsOf(db(), ALICE))[1]!;
    expect(second).toMatchObject({ end_reason: 'loop_guard' });
    const detail = await call(w.t, 'GET', `/flow-runs/${second.id}`);
    expect(JSON.stringify(detail.body.timeline)).toContain('in 24 hours');
    // The next day the person may get the flow's texts again.
    w.t.clock.advance(DAY);
    await text(w.t, w.cred, ALICE, 'OFFERS');
    await w.step();
    expect(await flowMessages(db(), ALICE)).toHaveLength(4);
    await w.t.app.close();
  });

  it('one run per person: a second OFFERS while in the flow starts nothing', async () => {
    const w = await world(db());
    const ping = await w.template('ping', 'ping');
    await w.flow({
      steps: [
        { id: 'wait', type: 'wait', seconds: 600 },
        { id: 'ping', type: 'send', templateId: ping },
      ],
    });
    await text(w.t, w.cred, ALICE, 'OFFERS');
    await text(w.t, w.cred, ALICE, 'OFFERS');
    expect(await runsOf(db(), ALICE)).toHaveLength(1);
    await w.t.app.close();
  });

  it('a run survives closing and reopening the runtime mid-wait', async () => {
    const first = await world(db());
    const followUp = await first.template('follow-up', 'a day later');
    await first.flow({
      steps: [
        { id: 'wait', type: 'wait', seconds: 86_400 },
        { id: 'follow', type: 'send', templateId: followUp },
      ],
    });
    await text(first.t, first.cred, ALICE, 'OFFERS');
    // The real loop, as `tern serve` runs it, takes the first step and is stopped mid-wait.
    first.runner.start();
    for (
      let i = 0;
      i < 200 && (await runsOf(db(), ALICE))[0]?.state.includes('"waiting":null');
      i++
    )
      await new Promise((resolve) => setTimeout(resolve, 5));
    await first.runner.stop();
    await first.t.app.close();
    expect((await runsOf(db(), ALICE))[0]?.due_at).toBe(
      new Date(first.t.clock.now().getTime() + DAY).toISOString(),
    );

    const reopened = testDb().open();
    try {
      const clock = first.t.clock;
      clock.advance(DAY);
      const t = await buildTestApp(reopened, {}, clock);
      const engine = t.services.flowEngine;
      const runner = new FlowRunner({ db: reopened, clock, engine });
      expect(await runner.runDue()).toBe(1);
      expect(await runner.runDue()).toBe(0);
      expect((await flowMessages(reopened)).map((m) => m.text)).toEqual(['a day later']);
      await t.app.close();
    } finally {
      await reopened.close();
    }
  });

  it('a runner that died holding runs gives them up when its lease runs out', async () => {
    const w = await world(db());
    const ping = await w.template('ping', 'ping');
    await w.flow({ steps: [{ id: 'ping', type: 'send', templateId: ping }] });
    await text(w.t, w.cred, ALICE, 'OFFERS');
    const now = w.t.clock.now();
    const claimed = await claimDueRuns(db().kysely, db().capabilities, {
      now: now.toISOString(),
      owner: 'dead-runner',
      leaseUntil: new Date(now.getTime() + 30_000).toISOString(),
      limit: 10,
    });
    expect(claimed).toHaveLength(1);
    expect(await w.runner.runDue()).toBe(0);
    w.t.clock.advance(30_000);
    expect(await w.runner.runDue()).toBe(1);
    // The dead runner's late step finds the run is not its own: nothing doubles.
    expect(await w.t.services.flowEngine.step(claimed[0]!, 'dead-runner')).toBe(false);
    expect(await flowMessages(db())).toHaveLength(1);
    await w.t.app.close();
  });

  it('a marketing follow-up goes through the send-time policy: held for the morning, not dropped', async () => {
    const w = await world(db());
    const promo = await call(w.t, 'POST', '/channel-configurations', {
      name: 'promo',
      credentialId: w.cred.id,
      sender: 'TERNSHOP',
      messageType: 'marketing',
      marketingFooter: 'Reply STOP to opt out',
    });
    const template = await call(w.t, 'POST', '/templates', {
      name: 'promo-follow-up',
      body: 'Hi {{ profile.phone }}, 20% off today.',
      messageType: 'marketing',
    });
    await w.flow({
      channelConfigurationId: promo.body.id,
      steps: [{ id: 'follow', type: 'send', templateId: template.body.id }],
    });
    // 12:00 UTC is 04:00 in San Francisco: outside the federal 8-21 window.
    await text(w.t, w.cred, ALICE, 'OFFERS');
    await w.step();
    const [message] = await db()
      .kysely.selectFrom('messages')
      .select(['status', 'held_until', 'origin', 'policy_rule'])
      .where('origin', '=', 'flow')
      .execute();
    expect(message).toMatchObject({ status: 'queued', origin: 'flow' });
    expect(Date.parse(message!.held_until!)).toBeGreaterThanOrEqual(
      Date.parse('2026-11-25T16:00:00.000Z'),
    );
    const [run] = await runsOf(db(), ALICE);
    const detail = await call(w.t, 'GET', `/flow-runs/${run!.id}`);
    const sent = (detail.body.timeline as Json[]).find((e) => e.kind === 'sent');
    expect(sent?.detail).toContain('held by the send-time policy');
    await w.t.app.close();
  });

  it('a paused flow does not advance its runs until it is active again; a deleted one ends them', async () => {
    const w = await world(db());
    const ping = await w.template('ping', 'ping');
    const id = await w.flow({
      steps: [
        { id: 'pause', type: 'wait', seconds: 60 },
        { id: 'ping', type: 'send', templateId: ping },
        { id: 'again', type: 'wait', seconds: 60 },
      ],
    });
    await text(w.t, w.cred, ALICE, 'OFFERS');
    await w.step();
    expect((await call(w.t, 'PATCH', `/flows/${id}`, { status: 'paused' })).status).toBe(200);
    w.t.clock.advance(120_000);
    expect(await w.step()).toBe(0);
    expect(await flowMessages(db())).toEqual([]);
    expect((await call(w.t, 'PATCH', `/flows/${id}`, { status: 'active' })).status).toBe(200);
    expect(await w.step()).toBe(1);
    expect(await flowMessages(db())).toHaveLength(1);
    const list = await call(w.t, 'GET', `/flows/${id}`);
    expect(list.body.activeRuns).toBe(1);
    const res = await w.t.app.inject({
      method: 'DELETE',
      url: `/api/v1/flows/${id}`,
      headers: w.t.auth,
    });
    expect(res.statusCode).toBe(204);
    const [run] = await runsOf(db(), ALICE);
    expect(run).toMatchObject({ status: 'ended', end_reason: 'flow_deleted' });
    const detail = await call(w.t, 'GET', `/flow-runs/${run!.id}`);
    expect(detail.body).toMatchObject({ flowName: null, endReason: 'flow_deleted' });
    await w.t.app.close();
  });

  it('a person entering a live segment starts the segment flow once', async () => {
    const w = await world(db());
    const welcome = await w.template('welcome', 'welcome to the club');
    const segment = await call(w.t, 'POST', '/segments', {
      name: 'offer-takers',
      live: true,
      rule: { keyword: 'OFFERS' },
    });
    expect(segment.status).toBe(201);
    await w.flow({
      trigger: { type: 'segment_entered', segmentId: segment.body.id },
      steps: [{ id: 'welcome', type: 'send', templateId: welcome }],
    });
    const live = new LiveSegmentLoop(
      {
        db: db(),
        clock: w.t.clock,
        onError: (e) => {
          throw e;
        },
      },
      { settleMs: 0 },
    );
    // The first look sets the cursor at the newest event.
    expect(await w.runner.segmentTriggers()).toBe(0);
    await text(w.t, w.cred, ALICE, 'OFFERS');
    await live.step();
    expect(await w.runner.segmentTriggers()).toBe(1);
    expect(await w.runner.segmentTriggers()).toBe(0);
    await w.step();
    expect((await flowMessages(db(), ALICE)).map((m) => m.text)).toEqual(['welcome to the club']);
    expect((await runsOf(db(), ALICE))[0]?.trigger).toMatch(
      /^entered segment "offer-takers" \(event /,
    );
    await w.t.app.close();
  });

  it('action steps run in the step: a list, an attribute, consent with source automation, a webhook event', async () => {
    const w = await world(db());
    const list = await call(w.t, 'POST', '/lists', { name: 'offer-takers' });
    await w.flow({
      steps: [
        { id: 'list', type: 'add_to_list', listId: list.body.id },
        { id: 'tier', type: 'set_attribute', name: 'tier', value: 'gold' },
        { id: 'consent', type: 'set_consent', to: 'subscribed' },
        { id: 'hook', type: 'webhook', name: 'offers_taken', data: { source: 'flow' } },
      ],
    });
    await text(w.t, w.cred, ALICE, 'OFFERS');
    await w.step();
    const profile = await db()
      .kysely.selectFrom('profiles')
      .select(['id', 'attributes', 'consent'])
      .where('phone', '=', ALICE)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(profile.attributes ?? '{}')).toMatchObject({ tier: 'gold' });
    expect(profile.consent).toBe('subscribed');
    const members = await db()
      .kysely.selectFrom('list_members')
      .select('profile_id')
      .where('list_id', '=', list.body.id as string)
      .execute();
    expect(members.map((m) => m.profile_id)).toEqual([profile.id]);
    const ledger = await db()
      .kysely.selectFrom('consent_events')
      .select(['source', 'to_state'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(ledger).toEqual({ source: 'automation', to_state: 'subscribed' });
    expect((await eventsOf(db())).find((e) => e.type === 'flow.webhook')?.payload).toMatchObject({
      name: 'offers_taken',
      phone: ALICE,
    });
    const [run] = await runsOf(db(), ALICE);
    expect(run).toMatchObject({ end_reason: 'completed' });
    await w.t.app.close();
  });

  it('a step that fails rolls back whole, the batch goes on, and the run is tried again a second later', async () => {
    const w = await world(db());
    const ping = await w.template('ping', 'ping');
    await w.flow({ steps: [{ id: 'ping', type: 'send', templateId: ping }] });
    await text(w.t, w.cred, ALICE, 'OFFERS');
    await text(w.t, w.cred, BOB, 'OFFERS');
    // A run whose stored state cannot be read: its step throws inside the transaction.
    const [broken] = await runsOf(db(), ALICE);
    await db()
      .kysely.updateTable('flow_runs')
      .set({ state: '{' })
      .where('id', '=', broken!.id)
      .execute();
    expect(await w.runner.runDue()).toBe(2);
    expect((await flowMessages(db())).map((m) => m.to_number)).toEqual([BOB]);
    expect(await w.runner.runDue()).toBe(0);
    await db()
      .kysely.updateTable('flow_runs')
      .set({ state: broken!.state })
      .where('id', '=', broken!.id)
      .execute();
    w.t.clock.advance(1_000);
    expect(await w.runner.runDue()).toBe(1);
    expect((await flowMessages(db())).map((m) => m.to_number)).toEqual([BOB, ALICE]);
    await w.t.app.close();
  });

  it('a marketing send is gated by consent: a subscribed-only sandbox sends nothing to an unknown number', async () => {
    const w = await world(db());
    const sandbox = await w.t.app.inject({
      method: 'PATCH',
      url: '/api/v1/sandboxes/prod',
      headers: w.t.auth,
      payload: { consentPolicy: 'subscribed-only' },
    });
    expect(sandbox.statusCode).toBe(200);
    const promo = await call(w.t, 'POST', '/channel-configurations', {
      name: 'promo',
      credentialId: w.cred.id,
      sender: 'TERNSHOP',
      messageType: 'marketing',
      marketingFooter: 'Reply STOP to opt out',
    });
    const template = await call(w.t, 'POST', '/templates', {
      name: 'promo',
      body: '20% off today.',
      messageType: 'marketing',
    });
    await w.flow({
      channelConfigurationId: promo.body.id,
      steps: [{ id: 'promo', type: 'send', templateId: template.body.id }],
    });
    await text(w.t, w.cred, ALICE, 'OFFERS');
    await w.step();
    expect(await flowMessages(db())).toEqual([]);
    const [run] = await runsOf(db(), ALICE);
    const detail = await call(w.t, 'GET', `/flow-runs/${run!.id}`);
    const skipped = (detail.body.timeline as Json[]).find((e) => e.kind === 'send_skipped');
    expect(skipped?.detail).toContain('subscribed-only');
    await w.t.app.close();
  });

  it(`two runners on ${dialect === 'postgres' ? 'two connection pools' : 'one database'} never double a step`, async () => {
    const w = await world(db());
    const first = await w.template('first', 'first');
    const second = await w.template('second', 'second');
    await w.flow({
      trigger: { type: 'api_event', event: 'signup' },
      steps: [
        { id: 'first', type: 'send', templateId: first },
        { id: 'pause', type: 'wait', seconds: 60 },
        { id: 'second', type: 'send', templateId: second },
      ],
    });
    const people = Array.from({ length: 60 }, (_, i) => `+1415555${String(1000 + i)}`);
    for (const phone of people) {
      const r = await call(w.t, 'POST', '/flow-events', { event: 'signup', phone });
      expect(r.status).toBe(202);
    }
    // On PostgreSQL each runner has its own pool, as two processes would.
    const other = dialect === 'postgres' ? testDb().open() : db();
    try {
      const clock = w.t.clock;
      const runners = [db(), other].map(
        (d, i) =>
          new FlowRunner(
            { db: d, clock, engine: new FlowEngine({ db: d, clock }) },
            { owner: `runner-${i}`, batch: 7 },
          ),
      );
      const claims = [0, 0];
      const drain = async (r: FlowRunner, k: number) => {
        for (let i = 0; i < 200; i++) {
          const n = await r.runDue();
          if (n === 0) return;
          claims[k]! += n;
        }
      };
      await Promise.all(runners.map(drain));
      clock.advance(60_000);
      await Promise.all(runners.map(drain));
      // Two steps a run, each claimed once, and both runners took some.
      expect(claims[0]! + claims[1]!).toBe(120);
      expect(claims.every((n) => n > 0)).toBe(true);
    } finally {
      if (other !== db()) await other.close();
    }
    const sent = await flowMessages(db());
    expect(sent).toHaveLength(120);
    const perPhone = new Map<string, string[]>();
    for (const m of sent)
      perPhone.set(m.to_number, [...(perPhone.get(m.to_number) ?? []), m.text ?? '']);
    for (const phone of people) expect(perPhone.get(phone)).toEqual(['first', 'second']);
    const ended = await db().kysely.selectFrom('flow_runs').select('end_reason').execute();
    expect(ended.every((r) => r.end_reason === 'completed')).toBe(true);
    const sentNotes = await db()
      .kysely.selectFrom('flow_run_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', 'sent')
      .executeTakeFirstOrThrow();
    expect(Number(sentNotes.n)).toBe(120);
    await w.t.app.close();
  });
});
