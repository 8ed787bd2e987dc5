import { expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { createInboundCredential } from './helpers/inbound.js';

type Json = Record<string, unknown>;

async function call(
  t: TestApp,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
  headers: Record<string, string> = {},
) {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...t.auth, ...headers },
    ...(payload ? { payload } : {}),
  });
  const json = res.headers['content-type']?.toString().startsWith('application/json');
  return {
    status: res.statusCode,
    body: json ? res.json<Json>() : ({} as Json),
    headers: res.headers,
  };
}

/** A credential with OFFERS, a transactional channel and a follow-up template. */
async function setup(t: TestApp, sandbox = 'prod') {
  const headers = { 'x-sandbox-name': sandbox };
  const cred = await createInboundCredential(t, {}, sandbox);
  const channel = await call(
    t,
    'POST',
    '/channel-configurations',
    { name: 'service', credentialId: cred.id, sender: 'TERN', messageType: 'transactional' },
    headers,
  );
  expect(channel.status, JSON.stringify(channel.body)).toBe(201);
  const template = await call(
    t,
    'POST',
    '/templates',
    { name: 'follow-up', body: 'Still interested in our offers?', messageType: 'transactional' },
    headers,
  );
  expect(template.status, JSON.stringify(template.body)).toBe(201);
  const definition = {
    trigger: { type: 'keyword', credentialId: cred.id, keyword: 'offers' },
    channelConfigurationId: channel.body.id as string,
    steps: [
      { id: 'wait', type: 'wait', seconds: 86_400 },
      { id: 'follow', type: 'send', templateId: template.body.id as string },
    ],
  };
  return {
    cred,
    channelId: channel.body.id as string,
    templateId: template.body.id as string,
    definition,
  };
}

describeEachDialect('flows API', ({ db }) => {
  it('creates, reads, lists, edits (If-Match, versions) and deletes a flow', async () => {
    const t = await buildTestApp(db());
    const { definition } = await setup(t);
    const created = await call(t, 'POST', '/flows', { name: 'offers follow-up', definition });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    expect(created.body).toMatchObject({
      name: 'offers follow-up',
      status: 'draft',
      version: 1,
      activeRuns: 0,
    });
    // Defaults filled and the keyword normalised.
    const stored = created.body.definition as { trigger: { keyword: string }; settings: Json };
    expect(stored.trigger.keyword).toBe('OFFERS');
    expect(stored.settings).toEqual({
      oneRunPerPerson: true,
      maxSendsPerRun: 5,
      maxSendsPerDay: 3,
    });
    const id = created.body.id as string;

    const again = await call(t, 'POST', '/flows', { name: 'offers follow-up', definition });
    expect(again.status).toBe(409);

    const got = await call(t, 'GET', `/flows/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(id);

    const stale = await call(
      t,
      'PATCH',
      `/flows/${id}`,
      { status: 'active' },
      { 'if-match': '"7"' },
    );
    expect(stale.status).toBe(412);
    const edited = await call(
      t,
      'PATCH',
      `/flows/${id}`,
      {
        status: 'active',
        definition: { ...definition, steps: [{ id: 'only', type: 'wait', seconds: 60 }] },
      },
      { 'if-match': '"1"' },
    );
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.headers.etag).toBe('"2"');
    expect(edited.body).toMatchObject({ status: 'active', version: 2 });

    const versions = await call(t, 'GET', `/flows/${id}/versions`);
    expect((versions.body.items as Json[]).map((v) => v.version)).toEqual([2, 1]);
    expect(
      ((versions.body.items as Json[])[1]?.definition as { steps: unknown[] }).steps,
    ).toHaveLength(2);

    await call(t, 'POST', '/flows', { name: 'another', definition });
    const active = await call(t, 'GET', '/flows?status=active');
    expect((active.body.items as Json[]).map((f) => f.name)).toEqual(['offers follow-up']);
    const page1 = await call(t, 'GET', '/flows?limit=1');
    expect((page1.body.items as Json[]).map((f) => f.name)).toEqual(['another']);
    const page2 = await call(t, 'GET', `/flows?limit=1&cursor=${String(page1.body.nextCursor)}`);
    expect((page2.body.items as Json[]).map((f) => f.name)).toEqual(['offers follow-up']);

    const deleted = await call(t, 'DELETE', `/flows/${id}`);
    expect(deleted.status).toBe(204);
    expect((await call(t, 'GET', `/flows/${id}`)).status).toBe(404);

    const audit = await db()
      .kysely.selectFrom('audit_events')
      .select('action')
      .where('resource_id', '=', id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['flow.created', 'flow.updated', 'flow.deleted']);
    await t.app.close();
  });

  it('names every bad field, changing nothing', async () => {
    const t = await buildTestApp(db());
    const { definition, cred } = await setup(t);
    const bad = await call(t, 'POST', '/flows', {
      name: 'broken',
      definition: {
        ...definition,
        trigger: { type: 'keyword', credentialId: cred.id, keyword: 'NOPE' },
        steps: [
          { id: 'w', type: 'wait', seconds: 0 },
          { id: 's', type: 'send', templateId: 'missing' },
        ],
      },
    });
    expect(bad.status).toBe(400);
    const paths = ((bad.body.error as Json).details as { path: string }[]).map((d) => d.path);
    expect(paths).toContain('/definition/steps/0/seconds');

    // Structure good, referents bad: the keyword, the template, the channel.
    const refs = await call(t, 'POST', '/flows/validate', {
      definition: {
        ...definition,
        channelConfigurationId: 'nope',
        trigger: { type: 'keyword', credentialId: cred.id, keyword: 'NOPE' },
        steps: [
          { id: 's', type: 'send', templateId: 'missing' },
          { id: 'l', type: 'add_to_list', listId: 'nolist' },
        ],
      },
    });
    expect(refs.status).toBe(200);
    expect(refs.body.ok).toBe(false);
    const problems = refs.body.problems as { path: string; message: string }[];
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        '/definition/channelConfigurationId',
        '/definition/steps/0/templateId',
        '/definition/steps/1/listId',
        '/definition/trigger/keyword',
      ].sort(),
    );
    expect(problems.find((p) => p.path === '/definition/trigger/keyword')?.message).toContain(
      'OFFERS',
    );
    const good = await call(t, 'POST', '/flows/validate', { definition });
    expect(good.body).toEqual({ ok: true, problems: [] });

    const missingName = await call(t, 'POST', '/flows', { definition });
    expect(missingName.status).toBe(400);
    expect(await db().kysely.selectFrom('flows').selectAll().execute()).toHaveLength(0);
    await t.app.close();
  });

  it('keeps flows and runs to their sandbox', async () => {
    const t = await buildTestApp(db());
    await t.services.sandboxes.ensure('staging');
    const { definition } = await setup(t);
    const flow = await call(t, 'POST', '/flows', { name: 'prod flow', definition });
    const id = flow.body.id as string;
    const other = { 'x-sandbox-name': 'staging' };
    expect((await call(t, 'GET', `/flows/${id}`, undefined, other)).status).toBe(404);
    expect((await call(t, 'PATCH', `/flows/${id}`, { name: 'x' }, other)).status).toBe(404);
    expect((await call(t, 'DELETE', `/flows/${id}`, undefined, other)).status).toBe(404);
    expect((await call(t, 'GET', '/flows', undefined, other)).body.items).toEqual([]);
    // A prod channel and template do not exist in staging.
    const cross = await call(t, 'POST', '/flows/validate', { definition }, other);
    expect(cross.body.ok).toBe(false);
    const event = await call(
      t,
      'POST',
      '/flow-events',
      { event: 'signup', phone: '+14155550123' },
      other,
    );
    expect(event.status).toBe(202);
    expect(event.body).toEqual({ runs: [], skipped: [] });
    await t.app.close();
  });

  it('simulates through the route: the follow-up a day after OFFERS, none after STOP', async () => {
    const t = await buildTestApp(db());
    const { definition } = await setup(t);
    const flow = await call(t, 'POST', '/flows', { name: 'sim', definition, status: 'active' });
    const id = flow.body.id as string;
    const plain = await call(t, 'POST', `/flows/${id}/simulate`, {
      script: [{ atSeconds: 0, text: 'OFFERS' }],
    });
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    const sent = (plain.body.messages as Json[]).filter((m) => m.kind === 'flow');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      atSeconds: 86_400,
      status: 'would_send',
      text: 'Still interested in our offers?',
    });

    const stopped = await call(t, 'POST', `/flows/${id}/simulate`, {
      script: [
        { atSeconds: 0, text: 'OFFERS' },
        { atSeconds: 3600, text: 'STOP' },
      ],
    });
    expect((stopped.body.messages as Json[]).filter((m) => m.kind === 'flow')).toEqual([]);
    expect((stopped.body.runs as Json[])[0]).toMatchObject({ endReason: 'opted_out' });

    // An unsaved edit: sends at once.
    const draft = await call(t, 'POST', `/flows/${id}/simulate`, {
      script: [{ atSeconds: 0, text: 'OFFERS' }],
      definition: { ...definition, steps: [definition.steps[1]] },
    });
    expect((draft.body.messages as Json[]).filter((m) => m.kind === 'flow')[0]).toMatchObject({
      atSeconds: 0,
    });
    // Nothing was sent or stored.
    expect(await db().kysely.selectFrom('messages').selectAll().execute()).toHaveLength(0);
    expect(await db().kysely.selectFrom('flow_runs').selectAll().execute()).toHaveLength(0);
    const invalid = await call(t, 'POST', `/flows/${id}/simulate`, {
      script: [],
      definition: { steps: [] },
    });
    expect(invalid.status).toBe(400);
    await t.app.close();
  });
});
