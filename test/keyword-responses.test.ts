import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { WebhookDispatcher, type DeliveryBody } from '../src/events/webhook-dispatcher.js';
import { SIGNATURE_HEADER, verifySignature } from '../src/events/webhook-signature.js';
import { TEST_KEYRING, buildTestApp, type TestApp } from './helpers/app.js';
import { ensureBuiltCli, runBuiltCli, serveBuilt, type BuiltTern } from './helpers/cli.js';
import { describeEachDialect } from './helpers/databases.js';
import {
  ALICE,
  BOB,
  createInboundCredential,
  eventsOf,
  ledgerOf,
  messagesTo,
  profileOf,
  text,
  type InboundCredential,
} from './helpers/inbound.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

async function send(
  t: TestApp,
  method: Method,
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method,
    url,
    headers: { ...t.auth, ...headers },
    ...(payload !== undefined ? { payload } : {}),
  });
}

async function ok<T = Record<string, unknown>>(
  t: TestApp,
  method: Method,
  url: string,
  payload?: object,
) {
  const res = await send(t, method, url, payload);
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
  return res.json<T>();
}

const responsesUrl = (cred: InboundCredential, keyword?: string) =>
  `/api/v1/credentials/${cred.id}/keyword-responses${keyword ? `/${encodeURIComponent(keyword)}` : ''}`;

async function template(t: TestApp, body: string, messageType = 'transactional') {
  return (
    await ok<{ id: string }>(t, 'POST', '/api/v1/templates', {
      name: `tpl-${Math.random().toString(36).slice(2, 8)}`,
      body,
      messageType,
    })
  ).id;
}

async function list(t: TestApp, name = 'offers-texters') {
  return (await ok<{ id: string }>(t, 'POST', '/api/v1/lists', { name })).id;
}

/** A profile with a first name, as an import or an earlier flow would have left it. */
async function seedProfile(db: Db, phone: string, attributes: Record<string, unknown>) {
  await db.kysely
    .insertInto('profiles')
    .values({
      sandbox: 'prod',
      id: `p-${phone.slice(-4)}`,
      phone,
      consent: 'subscribed',
      consent_updated_at: null,
      attributes: JSON.stringify(attributes),
      created_at: '2026-11-01T00:00:00.000Z',
      updated_at: '2026-11-01T00:00:00.000Z',
      region: 'US',
    })
    .execute();
}

/** A local receiver of event-webhook batches. */
class Receiver {
  readonly received: { headers: IncomingHttpHeaders; raw: string; body: DeliveryBody }[] = [];
  private server: Server | undefined;
  url = '';
  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.received.push({ headers: req.headers, raw, body: JSON.parse(raw) as DeliveryBody });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const cleanups: (() => Promise<void>)[] = [];

describeEachDialect('keyword responses: the inbound webhook', ({ db }) => {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a custom keyword runs its actions, then replies with its template rendered from the profile', async () => {
    const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    cleanups.push(() => t.app.close());
    const cred = await createInboundCredential(t);
    const receiver = await new Receiver().start();
    cleanups.push(() => receiver.close());
    const hook = await ok<{ id: string; secret: string }>(t, 'POST', '/api/v1/event-webhooks', {
      url: `${receiver.url}/crm`,
      types: ['flow.webhook'],
    });
    const listId = await list(t);
    const templateId = await template(
      t,
      '{{ keyword }}: Hi {{ profile.attributes.firstName | default: "there" }}, {{ profile.attributes.tier }} offers inside. Reply STOP to opt out',
      'marketing',
    );
    await seedProfile(db(), ALICE, { firstName: 'Ada' });
    // Bob has never texted: his profile is made by the keyword itself.

    const saved = await send(t, 'PUT', responsesUrl(cred, 'offers'), {
      templateId,
      actions: [
        { type: 'set_attribute', name: 'tier', value: 'gold' },
        { type: 'add_to_list', listId },
        { type: 'set_consent', to: 'subscribed' },
        { type: 'webhook', name: 'offers_requested', data: { campaign: 'winter', weight: 2 } },
      ],
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.headers.etag).toBe('"1"');
    expect(saved.json()).toMatchObject({
      credentialId: cred.id,
      keyword: 'OFFERS',
      templateId,
      active: true,
      version: 1,
    });

    const alice = await text(t, cred, ALICE, 'offers');
    expect(alice.results[0]).toMatchObject({ category: 'custom', action: 'keyword_recorded' });
    const inboundId = alice.results[0]!.inboundMessageId!;
    const [reply, ...more] = await messagesTo(db(), ALICE);
    expect(more).toEqual([]);
    expect(reply).toMatchObject({
      status: 'queued',
      origin: 'reply',
      sender: '+14155550100',
      credential_id: cred.id,
      inbound_message_id: inboundId,
      text: 'OFFERS: Hi Ada, gold offers inside. Reply STOP to opt out',
    });
    const profile = await profileOf(db(), ALICE);
    expect(JSON.parse(profile!.attributes)).toMatchObject({
      firstName: 'Ada',
      tier: 'gold',
      keywords: { OFFERS: { count: 1 } },
    });
    // Already subscribed: no ledger entry for a change that is none.
    expect(await ledgerOf(db(), ALICE)).toEqual([]);

    const bob = await text(t, cred, BOB, 'OFFERS');
    expect(bob.results[0]).toMatchObject({ action: 'keyword_recorded' });
    const [bobReply] = await messagesTo(db(), BOB);
    expect(bobReply).toMatchObject({
      status: 'queued',
      text: 'OFFERS: Hi there, gold offers inside. Reply STOP to opt out',
    });
    const bobLedger = await ledgerOf(db(), BOB);
    expect(bobLedger).toHaveLength(1);
    expect(bobLedger[0]).toMatchObject({
      from_state: 'unknown',
      to_state: 'subscribed',
      source: 'automation',
      inbound_message_id: bob.results[0]!.inboundMessageId,
    });
    expect(bobLedger[0]!.note).toContain('keyword OFFERS');

    const members = await db()
      .kysely.selectFrom('list_members')
      .innerJoin('profiles', (j) =>
        j
          .onRef('profiles.sandbox', '=', 'list_members.sandbox')
          .onRef('profiles.id', '=', 'list_members.profile_id'),
      )
      .select('profiles.phone')
      .where('list_members.list_id', '=', listId)
      .orderBy('profiles.phone')
      .execute();
    expect(members.map((m) => m.phone)).toEqual([ALICE, BOB]);

    const events = await eventsOf(db());
    const webhooks = events.filter((e) => e.type === 'flow.webhook');
    expect(webhooks).toHaveLength(2);
    expect(webhooks[0]!.payload).toMatchObject({
      name: 'offers_requested',
      data: { campaign: 'winter', weight: 2 },
      phone: ALICE,
      profileId: profile!.id,
      source: { kind: 'keyword_response', credentialId: cred.id, keyword: 'OFFERS' },
    });
    expect(events.filter((e) => e.type === 'consent.changed')).toMatchObject([
      { payload: { phone: BOB, to: 'subscribed', source: 'automation' } },
    ]);

    // Texting it again: the list keeps one membership, the webhook goes out again.
    await text(t, cred, ALICE, 'OFFERS');
    expect(await messagesTo(db(), ALICE)).toHaveLength(2);

    // The signed delivery, to the webhook subscribed to flow.webhook.
    const dispatcher = new WebhookDispatcher(
      { db: db(), clock: t.clock, logger: t.app.log as never, keyring: TEST_KEYRING },
      { allowLoopback: true, settleMs: 0, retryBaseMs: 1000 },
    );
    cleanups.push(() => dispatcher.stop());
    await dispatcher.drain();
    const delivered = receiver.received.flatMap((r) => r.body.events);
    expect(delivered.map((e) => e.type)).toEqual(['flow.webhook', 'flow.webhook', 'flow.webhook']);
    const first = receiver.received[0]!;
    const now = Math.floor(t.clock.now().getTime() / 1000);
    expect(
      verifySignature(hook.secret, String(first.headers[SIGNATURE_HEADER]), first.raw, now),
    ).toBe(true);
  });

  it('without a response, a custom keyword does what it always did: attribute and event, no reply', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const templateId = await template(t, 'Offers!');
    await ok(t, 'PUT', responsesUrl(cred, 'OFFERS'), { templateId, actions: [] });

    const summary = await text(t, cred, ALICE, 'DISCOUNT');
    expect(summary.results[0]).toMatchObject({ category: 'custom', action: 'keyword_recorded' });
    expect(await messagesTo(db(), ALICE)).toEqual([]);
    const profile = await profileOf(db(), ALICE);
    const attributes = JSON.parse(profile!.attributes) as Record<string, unknown>;
    expect(Object.keys(attributes)).toEqual(['keywords']);
    expect(attributes.keywords).toMatchObject({ DISCOUNT: { count: 1 } });
    const events = await eventsOf(db());
    expect(events.map((e) => e.type).sort()).toEqual(['inbound.received', 'profile.keyword']);

    // A deleted response is the same as none.
    const deleted = await send(t, 'DELETE', responsesUrl(cred, 'OFFERS'));
    expect(deleted.statusCode, deleted.body).toBe(204);
    await text(t, cred, BOB, 'OFFERS');
    expect(await messagesTo(db(), BOB)).toEqual([]);
    await t.app.close();
  });

  it('consent and the automatic-reply limits still apply; the actions run regardless', async () => {
    const t = await buildTestApp(db(), { TERN_INBOUND_REPLIES_PER_NUMBER_PER_HOUR: '2' });
    const cred = await createInboundCredential(t);
    const templateId = await template(t, 'Here are the offers.');
    await ok(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId,
      actions: [{ type: 'set_attribute', name: 'asked', value: true }],
    });

    // Unsubscribed: the reply is suppressed (and costs no budget), the attribute is set.
    await text(t, cred, ALICE, 'STOP');
    await text(t, cred, ALICE, 'OFFERS');
    const [, suppressed] = await messagesTo(db(), ALICE);
    expect(suppressed).toMatchObject({ status: 'suppressed', text: 'Here are the offers.' });
    expect(JSON.parse((await profileOf(db(), ALICE))!.attributes)).toMatchObject({ asked: true });

    // Two replies an hour to a number: the third OFFERS gets none.
    const replies: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const summary = await text(t, cred, BOB, 'OFFERS');
      replies.push(summary.repliesLimited > 0 ? null : 'reply');
    }
    expect(replies).toEqual(['reply', 'reply', null]);
    expect(await messagesTo(db(), BOB)).toHaveLength(2);
    await t.app.close();
  });

  it('STOP still opts out and confirms, whatever the responses say', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    await ok(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId: null,
      actions: [{ type: 'set_consent', to: 'subscribed' }],
    });
    await text(t, cred, ALICE, 'OFFERS');
    expect((await profileOf(db(), ALICE))!.consent).toBe('subscribed');
    const stop = await text(t, cred, ALICE, 'STOP');
    expect(stop.results[0]).toMatchObject({ category: 'opt_out', action: 'opted_out' });
    expect((await profileOf(db(), ALICE))!.consent).toBe('unsubscribed');
    const messages = await messagesTo(db(), ALICE);
    // No template: OFFERS had no reply; STOP has its confirmation.
    expect(messages.map((m) => m.origin)).toEqual(['opt_out_reply']);
    expect((await ledgerOf(db(), ALICE)).map((e) => e.source)).toEqual(['automation', 'keyword']);
    await t.app.close();
  });

  it('a start_flow action starts a run of the flow for the texter, once while it runs', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const flow = await ok<{ id: string }>(t, 'POST', '/api/v1/flows', {
      name: 'offers-follow-up',
      status: 'active',
      definition: {
        trigger: { type: 'api_event', event: 'offers' },
        steps: [{ id: 'pause', type: 'wait', seconds: 3600 }],
      },
    });
    await ok(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId: null,
      actions: [{ type: 'start_flow', flowId: flow.id }],
    });
    await text(t, cred, ALICE, 'OFFERS');
    await text(t, cred, ALICE, 'OFFERS');
    const runs = await db()
      .kysely.selectFrom('flow_runs')
      .select(['flow_id', 'phone', 'status', 'trigger', 'credential_id'])
      .execute();
    // One run per person (the flow's default): the second OFFERS finds it running.
    expect(runs).toEqual([
      {
        flow_id: flow.id,
        phone: ALICE,
        status: 'active',
        trigger: 'texted OFFERS',
        credential_id: cred.id,
      },
    ]);
    await t.app.close();
  });

  it('a reply that fails to render sends nothing; the actions still run', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    // Saved fine (a default-free variable is allowed), but Alice has no firstName.
    const templateId = await template(t, 'Hi {{ profile.attributes.firstName }}!');
    await ok(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId,
      actions: [{ type: 'set_attribute', name: 'asked', value: 1 }],
    });
    const summary = await text(t, cred, ALICE, 'OFFERS');
    expect(summary.results[0]).toMatchObject({ action: 'keyword_recorded' });
    expect(await messagesTo(db(), ALICE)).toEqual([]);
    expect(JSON.parse((await profileOf(db(), ALICE))!.attributes)).toMatchObject({ asked: 1 });
    await t.app.close();
  });
});

describeEachDialect('keyword responses: the API', ({ db }) => {
  it('refuses a keyword that is not custom, naming it and the allowed ones, and stores nothing', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const res = await send(t, 'PUT', responsesUrl(cred, 'stop'), { templateId: null, actions: [] });
    expect(res.statusCode, res.body).toBe(400);
    const error = res.json<{ error: { code: string; details: Record<string, unknown>[] } }>().error;
    expect(error.code).toBe('validation_failed');
    expect(error.details).toContainEqual(
      expect.objectContaining({
        path: '/params/keyword',
        allowedValues: ['OFFERS', 'DISCOUNT'],
      }),
    );
    expect(String(error.details[0]!.message)).toContain('"STOP"');
    expect(String(error.details[0]!.message)).toContain('use one of: OFFERS, DISCOUNT');
    expect(await db().kysely.selectFrom('keyword_responses').selectAll().execute()).toEqual([]);
  });

  it('names every bad field at once: template, list, flow, reserved attribute, empty response', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const marketing = await template(t, 'Big sale today!', 'marketing');
    const res = await send(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId: marketing,
      actions: [
        { type: 'add_to_list', listId: 'no-such-list' },
        { type: 'start_flow', flowId: 'no-such-flow' },
        { type: 'clear_attribute', name: 'keywords' },
        { type: 'remove_from_list', listId: 'no-such-list' },
      ],
    });
    expect(res.statusCode, res.body).toBe(400);
    const details = res.json<{ error: { details: { path: string; message: string }[] } }>().error
      .details;
    expect(details.map((d) => d.path)).toEqual([
      '/templateId',
      '/actions/0/listId',
      '/actions/1/flowId',
      '/actions/2/name',
      '/actions/3/listId',
    ]);
    expect(details[0]!.message).toContain('must say how to opt out');

    const missing = await send(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId: 'no-such-template',
      actions: [],
    });
    expect(missing.json<{ error: { details: { path: string }[] } }>().error.details).toEqual([
      { path: '/templateId', message: 'is not a template of this sandbox' },
    ]);
    const empty = await send(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId: null,
      actions: [],
    });
    const emptyDetails = empty.json<{ error: { details: { path: string; message: string }[] } }>()
      .error.details;
    expect(emptyDetails.map((d) => d.path)).toEqual(['/templateId']);
    expect(emptyDetails[0]!.message).toContain('give a template');

    // The schema names an unknown action type and its allowed values.
    const shape = await send(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId: null,
      actions: [{ type: 'send_money' }],
    });
    expect(shape.statusCode).toBe(400);
    expect(shape.body).toContain('/actions/0/type');
    expect(shape.body).toContain('set_attribute');
    expect(await db().kysely.selectFrom('keyword_responses').selectAll().execute()).toEqual([]);
  });

  it('a template a response replies with cannot be deleted: 409 names the response', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const templateId = await template(t, 'Offers!');
    await ok(t, 'PUT', responsesUrl(cred, 'OFFERS'), { templateId, actions: [] });
    const refused = await send(t, 'DELETE', `/api/v1/templates/${templateId}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ error: { details: unknown[] } }>().error.details).toEqual([
      {
        path: '/keywordResponses',
        message: `the reply to OFFERS of credential ${cred.id}`,
        credentialId: cred.id,
        keyword: 'OFFERS',
      },
    ]);
    await ok(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId: null,
      actions: [{ type: 'set_consent', to: 'subscribed' }],
    });
    expect((await send(t, 'DELETE', `/api/v1/templates/${templateId}`)).statusCode).toBe(204);
  });

  it('accepts a start_flow of a flow in the sandbox, not of another sandbox', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    await t.services.sandboxes.create('dev', SYSTEM_ACTOR);
    const flow = (sandbox: string, id: string) => ({
      sandbox,
      id,
      name: `flow-${id}`,
      status: 'active',
      version: 1,
      definition: '{}',
      trigger_type: 'api_event',
      trigger_key: id,
      created_at: '2026-11-25T12:00:00.000Z',
      updated_at: '2026-11-25T12:00:00.000Z',
    });
    await db()
      .kysely.insertInto('flows')
      .values([flow('prod', 'f-prod'), flow('dev', 'f-dev')])
      .execute();
    const foreign = await send(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId: null,
      actions: [{ type: 'start_flow', flowId: 'f-dev' }],
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.body).toContain('/actions/0/flowId');
    const own = await send(t, 'PUT', responsesUrl(cred, 'OFFERS'), {
      templateId: null,
      actions: [{ type: 'start_flow', flowId: 'f-prod' }],
    });
    expect(own.statusCode, own.body).toBe(200);
  });

  it('lists, versions with If-Match, shows a keyword no longer custom as inactive, and goes with its credential', async () => {
    const t = await buildTestApp(db());
    const cred = await createInboundCredential(t);
    const templateId = await template(t, 'Offers!');
    const put = (body: object, headers: Record<string, string> = {}) =>
      send(t, 'PUT', responsesUrl(cred, 'offers'), body, headers);

    expect((await put({ templateId, actions: [] })).json()).toMatchObject({ version: 1 });
    // The same content again changes nothing.
    expect((await put({ templateId, actions: [] })).json()).toMatchObject({ version: 1 });
    const stale = await put(
      { templateId: null, actions: [{ type: 'set_consent', to: 'subscribed' }] },
      { 'if-match': '"7"' },
    );
    expect(stale.statusCode).toBe(412);
    const second = await put(
      { templateId: null, actions: [{ type: 'set_consent', to: 'subscribed' }] },
      { 'if-match': '"1"' },
    );
    expect(second.statusCode, second.body).toBe(200);
    expect(second.headers.etag).toBe('"2"');

    const got = await send(t, 'GET', responsesUrl(cred, 'Offers'));
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"2"');
    expect(got.json()).toMatchObject({ keyword: 'OFFERS', templateId: null, version: 2 });
    expect((await send(t, 'GET', responsesUrl(cred, 'DISCOUNT'))).statusCode).toBe(404);
    expect((await send(t, 'DELETE', responsesUrl(cred, 'DISCOUNT'))).statusCode).toBe(404);
    expect(
      (await send(t, 'DELETE', responsesUrl(cred, 'OFFERS'), undefined, { 'if-match': '"1"' }))
        .statusCode,
    ).toBe(412);

    // The credential drops OFFERS from its keywords: the response stays, inactive.
    await ok(t, 'PATCH', `/api/v1/credentials/${cred.id}`, { customInboundKeywords: 'DISCOUNT' });
    const listed = await ok<{ items: { keyword: string; active: boolean }[] }>(
      t,
      'GET',
      responsesUrl(cred),
    );
    expect(listed.items).toMatchObject([{ keyword: 'OFFERS', active: false }]);

    // Audit: who changed which keyword's response.
    const audit = await ok<{ items: { action: string; resourceId: string; fields: string[] }[] }>(
      t,
      'GET',
      '/api/v1/audit',
    );
    expect(
      audit.items.filter((e) => e.action.startsWith('keyword_response')).map((e) => e.fields),
    ).toEqual([
      ['templateId', 'actions'],
      ['templateId', 'actions'],
    ]);

    expect((await send(t, 'DELETE', `/api/v1/credentials/${cred.id}`)).statusCode).toBe(204);
    expect(await db().kysely.selectFrom('keyword_responses').selectAll().execute()).toEqual([]);
    expect((await send(t, 'GET', responsesUrl(cred))).statusCode).toBe(404);
    await t.app.close();
  });
});

/** `tern keyword-responses` against a running Tern, from a folder with no database, as an operator would use it. */
describe('tern keyword-responses', () => {
  let dir: string;
  let served: BuiltTern;
  let env: Record<string, string>;
  beforeAll(async () => {
    ensureBuiltCli();
    served = await serveBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tern-cli-kw-'));
    env = { TERN_URL: served.base, TERN_TOKEN: served.token };
  }, 240_000);
  afterAll(async () => {
    await served?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const runCli = (args: string[], extra: Record<string, string>) =>
    runBuiltCli(args, { cwd: dir, env: extra });
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await runCli([...args, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };

  it(
    "lists, sets (bad fields named), and deletes a credential's responses",
    { timeout: 90_000 },
    async () => {
      const cred = await json<{ id: string }>([
        'credentials',
        'create',
        '--data',
        JSON.stringify({
          name: 'kw',
          baseUrl: 'https://x1.api.infobip.com',
          apiKey: 'cli-secret-key-000000000000-kw01',
          customInboundKeywords: 'OFFERS',
        }),
      ]);
      const flag = ['--credential', cred.id];
      expect(await json(['keyword-responses', 'list', ...flag])).toMatchObject({ items: [] });

      const bad = await runCli(
        [
          'keyword-responses',
          'set',
          'JOIN',
          ...flag,
          '--data',
          '{"templateId": null, "actions": []}',
        ],
        env,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('/params/keyword');
      expect(bad.stderr).toContain('OFFERS');
      const badShape = await runCli(
        [
          'keyword-responses',
          'set',
          'OFFERS',
          ...flag,
          '--data',
          '{"templateId": null, "actions": [{"type": "pay"}]}',
        ],
        env,
      );
      expect(badShape.code).toBe(1);
      expect(badShape.stderr).toContain('/actions/0');

      const set = await json<{ keyword: string; version: number; actions: unknown[] }>([
        'keyword-responses',
        'set',
        'offers',
        ...flag,
        '--data',
        JSON.stringify({ templateId: null, actions: [{ type: 'set_consent', to: 'subscribed' }] }),
      ]);
      expect(set).toMatchObject({ keyword: 'OFFERS', version: 1 });
      const table = await runCli(['keyword-responses', 'list', ...flag], env);
      expect(table.stdout).toContain('set_consent');
      expect(await json(['keyword-responses', 'delete', 'OFFERS', ...flag])).toEqual({
        deleted: 'OFFERS',
      });
      const missing = await runCli(['keyword-responses', 'list'], env);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--credential');
    },
  );
});
