import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import type { Database } from '../src/db/schema.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { ALICE, INBOUND, moBody, moResult } from './helpers/inbound.js';

/**
 * The hostile-tenant matrix (issue 12): a victim sandbox, a "twin" sandbox using the same
 * Infobip API key and a "stranger" with another key. Each attacker, with its own sandbox-scoped
 * token and its own valid webhook secrets, tries every route Tern registers (enumerated from
 * app.registeredRoutes: a new route without a case here fails the test) with the victim's ids,
 * secrets, numbers and message ids. After every attempt the victim's rows are as they were.
 */

const KEY = 'shared-key-0123456789abcdef';
const STRANGER_KEY = 'stranger-key-0123456789ab';

/** Every table holding tenant data, by its sandbox column. */
const TENANT_TABLES: (keyof Database)[] = [
  'credentials',
  'inbound_numbers',
  'channel_configurations',
  'audit_events',
  'profiles',
  'consent_events',
  'double_opt_in_requests',
  'messages',
  'message_events',
  'delivery_reports',
  'inbound_messages',
  'events',
  'event_webhooks',
  'event_webhook_deliveries',
  'templates',
  'template_versions',
  'segments',
  'segment_members',
  'lists',
  'list_members',
  'campaigns',
  'campaign_recipients',
  'policy_rules',
  'keyword_responses',
  'flows',
  'flow_versions',
  'flow_runs',
  'flow_run_events',
  'flow_cursors',
  'memberships',
  'invitations',
  'approval_requests',
];

/** The victim's rows, in a stable order, as text. */
async function snapshot(db: Db): Promise<string[]> {
  const out: string[] = [];
  for (const table of TENANT_TABLES) {
    const rows = await db.kysely
      .selectFrom(table)
      .selectAll()
      .where(sql.ref('sandbox'), '=', 'prod')
      .execute();
    out.push(...rows.map((r) => `${table} ${JSON.stringify(r)}`).sort());
  }
  const tokens = await db.kysely
    .selectFrom('admin_tokens')
    .selectAll()
    .where((eb) => eb.or([eb('sandbox', '=', 'prod'), eb('sandbox', 'is', null)]))
    .execute();
  out.push(...tokens.map((r) => `admin_tokens ${JSON.stringify(r)}`).sort());
  const sandbox = await db.kysely.selectFrom('sandboxes').selectAll().execute();
  out.push(...sandbox.map((r) => `sandboxes ${JSON.stringify(r)}`).sort());
  return out;
}

interface Tenant {
  sandbox: string;
  token: string;
  credentialId: string;
  inboundPath: string;
  inboundSecret: string;
  reportsPath: string;
  reportsSecret: string;
}

interface Victim extends Tenant {
  channelId: string;
  messageId: string;
  inboundId: string;
  inboundProviderId: string;
  eventWebhookId: string;
  tokenId: string;
  templateId: string;
  profileId: string;
  segmentId: string;
  listId: string;
  marketingChannelId: string;
  campaignId: string;
  runningCampaignId: string;
  policyRuleId: string;
  flowId: string;
  /** A confirm of the victim's draft campaign waiting for approval. */
  approvalId: string;
  /** A pending invitation into the victim's sandbox. */
  invitationId: string;
  flowRunId: string;
}

async function ok<T>(t: TestApp, method: string, url: string, payload?: object, sandbox = 'prod') {
  const res = await t.app.inject({
    method: method as 'POST',
    url,
    headers: { ...t.auth, 'x-sandbox-name': sandbox },
    ...(payload ? { payload } : {}),
  });
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
  return res.json<T>();
}

async function tenant(t: TestApp, sandbox: string, apiKey: string, number: string) {
  if (sandbox !== 'prod') await ok(t, 'POST', '/api/v1/sandboxes', { name: sandbox });
  const { token } = await ok<{ token: string }>(t, 'POST', '/api/v1/tokens', {
    name: `${sandbox}-only`,
    sandbox,
  });
  const cred = await ok<{
    id: string;
    webhooks: {
      inbound: { url: string; secret: string };
      deliveryReports: { url: string; secret: string };
    };
  }>(
    t,
    'POST',
    '/api/v1/credentials',
    {
      name: `infobip-${sandbox}`,
      baseUrl: 'https://ggx5k8.api.infobip.com',
      apiKey,
      inboundNumber: number,
      doubleOptInKeywords: 'JOIN',
      customInboundKeywords: 'OFFERS',
      defaultInboundReply: `reply from ${sandbox}`,
    },
    sandbox,
  );
  return {
    sandbox,
    token,
    credentialId: cred.id,
    inboundPath: new URL(cred.webhooks.inbound.url).pathname,
    inboundSecret: cred.webhooks.inbound.secret,
    reportsPath: new URL(cred.webhooks.deliveryReports.url).pathname,
    reportsSecret: cred.webhooks.deliveryReports.secret,
  };
}

async function victimOf(t: TestApp): Promise<Victim> {
  const base = await tenant(t, 'prod', KEY, INBOUND);
  const channel = await ok<{ id: string }>(t, 'POST', '/api/v1/channel-configurations', {
    name: 'victim-channel',
    credentialId: base.credentialId,
    sender: 'VICTIM',
  });
  const message = await ok<{ id: string }>(t, 'POST', '/api/v1/messages', {
    channelConfigurationId: channel.id,
    to: ALICE,
    text: 'victim text',
  });
  await ok(t, 'PUT', `/api/v1/profiles/${encodeURIComponent(ALICE)}/consent`, {
    consent: 'subscribed',
  });
  const mo = moResult('+14155550130', 'JOIN', { messageId: 'victim-mo-1' });
  const received = await t.app.inject({
    method: 'POST',
    url: base.inboundPath,
    payload: moBody(mo),
  });
  const inboundId = received.json<{ results: { inboundMessageId: string }[] }>().results[0]!
    .inboundMessageId;
  const hook = await ok<{ id: string }>(t, 'POST', '/api/v1/event-webhooks', {
    url: 'http://127.0.0.1:9/victim-events',
  });
  const tokens = await ok<{ items: { id: string; name: string }[] }>(t, 'GET', '/api/v1/tokens');
  const template = await ok<{ id: string }>(t, 'POST', '/api/v1/templates', {
    name: 'victim-template',
    body: 'VICTIM offer for {{ profile.phone }}. Reply STOP to opt out',
  });
  const { profile } = await ok<{ profile: { id: string } }>(
    t,
    'GET',
    `/api/v1/profiles/${encodeURIComponent(ALICE)}`,
  );
  const segment = await ok<{ id: string }>(t, 'POST', '/api/v1/segments', {
    name: 'victim-segment',
    live: true,
    rule: { consent: { in: ['subscribed'] } },
  });
  const list = await ok<{ id: string }>(t, 'POST', '/api/v1/lists', { name: 'victim-list' });
  await ok(t, 'POST', `/api/v1/lists/${list.id}/members`, { phones: [ALICE] });
  const promo = await ok<{ id: string }>(t, 'POST', '/api/v1/channel-configurations', {
    name: 'victim-promo',
    credentialId: base.credentialId,
    sender: 'VICTIM',
    messageType: 'marketing',
  });
  const campaignBody = {
    name: 'victim-campaign',
    audience: { listId: list.id },
    templateId: template.id,
    channelConfigurationId: promo.id,
    pacing: { perMinute: 1 },
    seedPhones: [ALICE],
  };
  const campaign = await ok<{ id: string }>(t, 'POST', '/api/v1/campaigns', campaignBody);
  // Confirmed but not due (a week ahead): it stays scheduled, its rows stand still.
  const running = await ok<{ id: string }>(t, 'POST', '/api/v1/campaigns', {
    ...campaignBody,
    sendAt: new Date(t.clock.now().getTime() + 7 * 86_400_000).toISOString(),
  });
  await ok(t, 'POST', `/api/v1/campaigns/${running.id}/confirm`);
  const day = [{ start: '09:00', end: '17:00' }];
  const policyRule = await ok<{ id: string }>(t, 'POST', '/api/v1/policy/rules', {
    name: 'victim-policy',
    scope: { everywhere: true },
    kind: 'window',
    window: {
      timeZoneFrom: 'recipient',
      days: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day },
    },
    outside: 'drop',
    exempt: { transactional: true, oneTimeCodes: true },
    source: 'victim',
    effectiveFrom: '2026-01-01',
  });
  await ok(t, 'PATCH', '/api/v1/policy/rules/us-fl', { enabled: false });
  await ok(t, 'PUT', '/api/v1/approval-settings', { campaignApprovalAbove: 0 });
  const pending = await ok<{ approval: { id: string } }>(
    t,
    'POST',
    `/api/v1/campaigns/${campaign.id}/confirm`,
  );
  await ok(t, 'PUT', '/api/v1/approval-settings', { campaignApprovalAbove: null });
  const invitation = await ok<{ id: string }>(t, 'POST', '/api/v1/invitations', {
    email: VICTIM_INVITEE,
    roles: ['viewer'],
  });
  await ok(t, 'PUT', `/api/v1/credentials/${base.credentialId}/keyword-responses/OFFERS`, {
    templateId: template.id,
    actions: [{ type: 'add_to_list', listId: list.id }],
  });
  // A flow on the victim's OFFERS, and a run of an event flow waiting for ALICE's reply.
  await ok(t, 'POST', '/api/v1/flows', {
    name: 'victim-offers',
    status: 'active',
    definition: {
      trigger: { type: 'keyword', credentialId: base.credentialId, keyword: 'OFFERS' },
      channelConfigurationId: channel.id,
      steps: [
        { id: 'pause', type: 'wait', seconds: 86_400 },
        { id: 'follow', type: 'send', templateId: template.id },
      ],
    },
  });
  const flow = await ok<{ id: string }>(t, 'POST', '/api/v1/flows', {
    name: 'victim-flow',
    status: 'active',
    definition: {
      trigger: { type: 'api_event', event: 'victim-event' },
      steps: [{ id: 'listen', type: 'wait', seconds: 3600, untilReply: true }],
    },
  });
  const started = await ok<{ runs: { runId: string }[] }>(t, 'POST', '/api/v1/flow-events', {
    event: 'victim-event',
    phone: ALICE,
  });
  return {
    ...base,
    flowId: flow.id,
    flowRunId: started.runs[0]!.runId,
    channelId: channel.id,
    messageId: message.id,
    inboundId,
    inboundProviderId: mo.messageId,
    eventWebhookId: hook.id,
    tokenId: tokens.items.find((i) => i.name === 'prod-only')!.id,
    templateId: template.id,
    profileId: profile.id,
    segmentId: segment.id,
    listId: list.id,
    marketingChannelId: promo.id,
    campaignId: campaign.id,
    runningCampaignId: running.id,
    policyRuleId: policyRule.id,
    approvalId: pending.approval.id,
    invitationId: invitation.id,
  };
}

const report = (messageId: string) => ({
  results: [
    {
      messageId,
      to: ALICE.slice(1),
      sentAt: '2026-11-25T12:00:00.000+0000',
      doneAt: '2026-11-25T12:00:01.000+0000',
      messageCount: 1,
      price: { pricePerMessage: 0.01, currency: 'EUR' },
      status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET' },
      error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', permanent: false },
    },
  ],
});

interface Attempt {
  method: string;
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
  /** Statuses allowed; by default anything under 500 that is not a success on the victim's ids. */
  expect?: number[];
}

type Cases = (v: Victim, a: Tenant) => Attempt[];

const phone = encodeURIComponent(ALICE);
const NOT_FOUND = [400, 404];

/** What each route is tried with. Every registered route must appear here or in NO_TENANT_INPUT. */
const CASES: Record<string, Cases> = {
  'GET /api/v1/campaigns': () => [{ method: 'GET', url: '/api/v1/campaigns', expect: [200] }],
  // Its own campaign to the victim's list, template and channel: none of them is the attacker's.
  'POST /api/v1/campaigns': (v) => [
    {
      method: 'POST',
      url: '/api/v1/campaigns',
      payload: {
        name: 'victim-campaign',
        audience: { segmentId: v.segmentId },
        templateId: v.templateId,
        channelConfigurationId: v.marketingChannelId,
      },
      expect: [400],
    },
    {
      method: 'POST',
      url: '/api/v1/campaigns',
      payload: {
        name: 'x',
        audience: { listId: v.listId },
        templateId: v.templateId,
        channelConfigurationId: v.marketingChannelId,
      },
      expect: [400],
    },
  ],
  'GET /api/v1/campaigns/:id': (v) => [
    { method: 'GET', url: `/api/v1/campaigns/${v.campaignId}`, expect: NOT_FOUND },
  ],
  'PATCH /api/v1/campaigns/:id': (v) => [
    {
      method: 'PATCH',
      url: `/api/v1/campaigns/${v.campaignId}`,
      payload: { name: 'stolen' },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/campaigns/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/campaigns/${v.campaignId}`, expect: NOT_FOUND },
  ],
  'POST /api/v1/campaigns/:id/estimate': (v) => [
    { method: 'POST', url: `/api/v1/campaigns/${v.campaignId}/estimate`, expect: NOT_FOUND },
  ],
  'POST /api/v1/campaigns/:id/test-send': (v) => [
    {
      method: 'POST',
      url: `/api/v1/campaigns/${v.campaignId}/test-send`,
      payload: { phones: [ALICE] },
      expect: NOT_FOUND,
    },
  ],
  'POST /api/v1/campaigns/:id/confirm': (v) => [
    {
      method: 'POST',
      url: `/api/v1/campaigns/${v.campaignId}/confirm`,
      payload: {},
      expect: NOT_FOUND,
    },
  ],
  'POST /api/v1/campaigns/:id/pause': (v) => [
    { method: 'POST', url: `/api/v1/campaigns/${v.runningCampaignId}/pause`, expect: NOT_FOUND },
  ],
  'POST /api/v1/campaigns/:id/resume': (v) => [
    { method: 'POST', url: `/api/v1/campaigns/${v.runningCampaignId}/resume`, expect: NOT_FOUND },
  ],
  'POST /api/v1/campaigns/:id/cancel': (v) => [
    { method: 'POST', url: `/api/v1/campaigns/${v.runningCampaignId}/cancel`, expect: NOT_FOUND },
  ],
  'GET /api/v1/campaigns/:id/results': (v) => [
    { method: 'GET', url: `/api/v1/campaigns/${v.runningCampaignId}/results`, expect: NOT_FOUND },
  ],
  'GET /api/v1/campaigns/:id/recipients/export': (v) => [
    {
      method: 'GET',
      url: `/api/v1/campaigns/${v.runningCampaignId}/recipients/export`,
      expect: NOT_FOUND,
    },
  ],
  // An attacker's own rule counts its own sandbox only (the victim's subscribed ALICE is not in it).
  'POST /api/v1/segments/count': () => [
    {
      method: 'POST',
      url: '/api/v1/segments/count',
      payload: { rule: { consent: { in: ['subscribed'] } } },
      expect: [200],
    },
  ],
  'GET /api/v1/segments': () => [
    { method: 'GET', url: '/api/v1/segments?name=victim', expect: [200] },
  ],
  'POST /api/v1/segments': () => [
    {
      method: 'POST',
      url: '/api/v1/segments',
      payload: { name: 'victim-segment', live: true, rule: { consent: { in: ['subscribed'] } } },
      expect: [201, 409],
    },
  ],
  'GET /api/v1/segments/:id': (v) => [
    { method: 'GET', url: `/api/v1/segments/${v.segmentId}`, expect: NOT_FOUND },
  ],
  'PATCH /api/v1/segments/:id': (v) => [
    {
      method: 'PATCH',
      url: `/api/v1/segments/${v.segmentId}`,
      payload: { live: false },
      headers: { 'if-match': '"1"' },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/segments/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/segments/${v.segmentId}`, expect: NOT_FOUND },
  ],
  'GET /api/v1/segments/:id/count': (v) => [
    { method: 'GET', url: `/api/v1/segments/${v.segmentId}/count`, expect: NOT_FOUND },
  ],
  'GET /api/v1/segments/:id/members': (v) => [
    { method: 'GET', url: `/api/v1/segments/${v.segmentId}/members`, expect: NOT_FOUND },
  ],
  'GET /api/v1/lists': () => [{ method: 'GET', url: '/api/v1/lists?name=victim', expect: [200] }],
  'POST /api/v1/lists': () => [
    { method: 'POST', url: '/api/v1/lists', payload: { name: 'victim-list' }, expect: [201, 409] },
  ],
  'GET /api/v1/lists/:id': (v) => [
    { method: 'GET', url: `/api/v1/lists/${v.listId}`, expect: NOT_FOUND },
  ],
  'PATCH /api/v1/lists/:id': (v) => [
    {
      method: 'PATCH',
      url: `/api/v1/lists/${v.listId}`,
      payload: { name: 'pwned' },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/lists/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/lists/${v.listId}`, expect: NOT_FOUND },
  ],
  'GET /api/v1/lists/:id/members': (v) => [
    { method: 'GET', url: `/api/v1/lists/${v.listId}/members`, expect: NOT_FOUND },
  ],
  // The victim's list, or the victim's profile id into the attacker's own list.
  'POST /api/v1/lists/:id/members': (v) => [
    {
      method: 'POST',
      url: `/api/v1/lists/${v.listId}/members`,
      payload: { phones: [ALICE] },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/lists/:id/members': (v) => [
    {
      method: 'DELETE',
      url: `/api/v1/lists/${v.listId}/members`,
      payload: { phones: [ALICE], profileIds: [v.profileId] },
      expect: NOT_FOUND,
    },
  ],
  'POST /api/v1/lists/:id/import': (v) => [
    {
      method: 'POST',
      url: `/api/v1/lists/${v.listId}/import`,
      payload: `phone\n${ALICE}\n`,
      headers: { 'content-type': 'text/csv' },
      expect: NOT_FOUND,
    },
  ],
  'GET /api/v1/templates': () => [
    { method: 'GET', url: '/api/v1/templates?name=victim', expect: [200] },
  ],
  // Its own template under the victim's name: names are per sandbox.
  'POST /api/v1/templates': () => [
    {
      method: 'POST',
      url: '/api/v1/templates',
      payload: { name: 'victim-template', body: 'Mine. Reply STOP to opt out' },
      expect: [201, 409],
    },
  ],
  // The victim's channel (its footer) and profile (its attributes) are not the attacker's.
  'POST /api/v1/templates/render': (v) => [
    {
      method: 'POST',
      url: '/api/v1/templates/render',
      payload: { body: '{{ profile.phone }}', channelConfigurationId: v.channelId },
      expect: NOT_FOUND,
    },
    {
      method: 'POST',
      url: '/api/v1/templates/render',
      payload: { body: '{{ profile.phone }}', profileId: v.profileId },
      expect: NOT_FOUND,
    },
  ],
  'GET /api/v1/templates/:id': (v) => [
    { method: 'GET', url: `/api/v1/templates/${v.templateId}`, expect: NOT_FOUND },
  ],
  'PATCH /api/v1/templates/:id': (v) => [
    {
      method: 'PATCH',
      url: `/api/v1/templates/${v.templateId}`,
      payload: { body: 'pwned' },
      headers: { 'if-match': '"1"' },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/templates/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/templates/${v.templateId}`, expect: NOT_FOUND },
  ],
  'GET /api/v1/templates/:id/versions': (v) => [
    { method: 'GET', url: `/api/v1/templates/${v.templateId}/versions`, expect: NOT_FOUND },
  ],
  'POST /api/v1/templates/:id/preview': (v) => [
    {
      method: 'POST',
      url: `/api/v1/templates/${v.templateId}/preview`,
      payload: { phones: [ALICE] },
      expect: NOT_FOUND,
    },
  ],
  'POST /webhooks/infobip/:credentialId/inbound/:secret': (v, a) => [
    // Its own valid URL, texts for the victim's number, the victim's provider message id.
    {
      method: 'POST',
      url: a.inboundPath,
      payload: moBody(
        moResult(ALICE, 'STOP', { messageId: 'attack-1' }),
        moResult(ALICE, 'JOIN', { messageId: v.inboundProviderId }),
        moResult('+14155550130', 'STOP', { messageId: 'attack-2' }),
        moResult(ALICE, 'hello', { messageId: 'attack-3' }),
      ),
      expect: [200],
    },
    // The victim's credential with its own secret, and its own credential with the victim's.
    {
      method: 'POST',
      url: `/webhooks/infobip/${v.credentialId}/inbound/${a.inboundSecret}`,
      payload: moBody(moResult(ALICE, 'STOP')),
      expect: [401],
    },
    {
      method: 'POST',
      url: `/webhooks/infobip/${a.credentialId}/inbound/${v.inboundSecret}`,
      payload: moBody(moResult(ALICE, 'STOP')),
      expect: [401],
    },
    {
      method: 'POST',
      url: `/webhooks/infobip/${v.credentialId}/inbound/${v.reportsSecret}`,
      payload: moBody(moResult(ALICE, 'STOP')),
      expect: [401],
    },
  ],
  'POST /webhooks/infobip/:credentialId/reports/:secret': (v, a) => [
    { method: 'POST', url: a.reportsPath, payload: report(v.messageId), expect: [200] },
    {
      method: 'POST',
      url: `/webhooks/infobip/${v.credentialId}/reports/${a.reportsSecret}`,
      payload: report(v.messageId),
      expect: [401],
    },
    {
      method: 'POST',
      url: `/webhooks/infobip/${a.credentialId}/reports/${v.reportsSecret}`,
      payload: report(v.messageId),
      expect: [401],
    },
    {
      method: 'POST',
      url: `/webhooks/infobip/${v.credentialId}/reports/${v.inboundSecret}`,
      payload: report(v.messageId),
      expect: [401],
    },
  ],
  'GET /api/v1/me': () => [{ method: 'GET', url: '/api/v1/me', expect: [200] }],
  'GET /api/v1/policy/rules': () => [
    { method: 'GET', url: '/api/v1/policy/rules?limit=200', expect: [200] },
  ],
  'POST /api/v1/policy/rules': () => [
    {
      method: 'POST',
      url: '/api/v1/policy/rules',
      payload: {
        name: 'victim-policy',
        scope: { country: 'US' },
        kind: 'cap',
        cap: { max: 1, windowHours: 24, per: 'number' },
        outside: 'drop',
        exempt: { transactional: true, oneTimeCodes: true },
        source: 'attacker',
        effectiveFrom: '2026-01-01',
      },
      expect: [201],
    },
  ],
  'GET /api/v1/policy/rules/:id': (v) => [
    { method: 'GET', url: `/api/v1/policy/rules/${v.policyRuleId}`, expect: NOT_FOUND },
  ],
  // The victim's rule is not found; a shipped id overrides only the attacker's own sandbox.
  'PATCH /api/v1/policy/rules/:id': (v) => [
    {
      method: 'PATCH',
      url: `/api/v1/policy/rules/${v.policyRuleId}`,
      payload: { enabled: false },
      expect: NOT_FOUND,
    },
    {
      method: 'PATCH',
      url: '/api/v1/policy/rules/us-fl',
      payload: { name: 'attacker override' },
      expect: [200],
    },
  ],
  'DELETE /api/v1/policy/rules/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/policy/rules/${v.policyRuleId}`, expect: NOT_FOUND },
  ],
  // The victim's profile attributes and rules do not decide the attacker's dry run.
  'POST /api/v1/policy/check': () => [
    { method: 'POST', url: '/api/v1/policy/check', payload: { to: ALICE }, expect: [200] },
  ],
  // Flows: in its own sandbox, or the victim's by id (never found), or naming its referents.
  'GET /api/v1/flows': () => [{ method: 'GET', url: '/api/v1/flows?name=victim', expect: [200] }],
  'POST /api/v1/flows': (v) => [
    {
      method: 'POST',
      url: '/api/v1/flows',
      payload: {
        name: 'borrow',
        status: 'active',
        definition: {
          trigger: { type: 'keyword', credentialId: v.credentialId, keyword: 'OFFERS' },
          channelConfigurationId: v.channelId,
          steps: [{ id: 'send', type: 'send', templateId: v.templateId }],
        },
      },
      expect: [400],
    },
  ],
  'POST /api/v1/flows/validate': (v) => [
    {
      method: 'POST',
      url: '/api/v1/flows/validate',
      payload: {
        definition: {
          trigger: { type: 'segment_entered', segmentId: v.segmentId },
          steps: [{ id: 'list', type: 'add_to_list', listId: v.listId }],
        },
      },
      expect: [200],
    },
  ],
  'GET /api/v1/flows/:id': (v) => [
    { method: 'GET', url: `/api/v1/flows/${v.flowId}`, expect: NOT_FOUND },
  ],
  'PATCH /api/v1/flows/:id': (v) => [
    {
      method: 'PATCH',
      url: `/api/v1/flows/${v.flowId}`,
      payload: { status: 'paused' },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/flows/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/flows/${v.flowId}`, expect: NOT_FOUND },
  ],
  'GET /api/v1/flows/:id/versions': (v) => [
    { method: 'GET', url: `/api/v1/flows/${v.flowId}/versions`, expect: NOT_FOUND },
  ],
  'POST /api/v1/flows/:id/simulate': (v) => [
    {
      method: 'POST',
      url: `/api/v1/flows/${v.flowId}/simulate`,
      payload: { script: [{ atSeconds: 0, text: 'OFFERS' }], start: true },
      expect: NOT_FOUND,
    },
  ],
  'GET /api/v1/flow-runs': (v) => [
    { method: 'GET', url: `/api/v1/flow-runs?flowId=${v.flowId}&phone=${phone}`, expect: [200] },
  ],
  'GET /api/v1/flow-runs/:id': (v) => [
    { method: 'GET', url: `/api/v1/flow-runs/${v.flowRunId}`, expect: NOT_FOUND },
  ],
  'POST /api/v1/flow-runs/:id/cancel': (v) => [
    { method: 'POST', url: `/api/v1/flow-runs/${v.flowRunId}/cancel`, expect: NOT_FOUND },
  ],
  'POST /api/v1/flow-events': () => [
    {
      method: 'POST',
      url: '/api/v1/flow-events',
      payload: { event: 'victim-event', phone: ALICE },
      expect: [202],
    },
  ],
  'GET /api/v1/sandboxes': () => [{ method: 'GET', url: '/api/v1/sandboxes', expect: [200] }],
  'POST /api/v1/sandboxes': () => [
    { method: 'POST', url: '/api/v1/sandboxes', payload: { name: 'prod' }, expect: [403, 409] },
  ],
  'PATCH /api/v1/sandboxes/:name': () => [
    {
      method: 'PATCH',
      url: '/api/v1/sandboxes/prod',
      payload: { consentPolicy: 'subscribed-only' },
      expect: [403, 404],
    },
  ],
  'GET /api/v1/tokens': () => [{ method: 'GET', url: '/api/v1/tokens', expect: [200, 403] }],
  'POST /api/v1/tokens': () => [
    {
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'takeover', sandbox: 'prod' },
      expect: [400, 403, 404],
    },
  ],
  'DELETE /api/v1/tokens/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/tokens/${v.tokenId}`, expect: [403, 404] },
  ],
  'GET /api/v1/audit': () => [{ method: 'GET', url: '/api/v1/audit', expect: [200] }],
  // The attacker's own sandbox has no members; a user id from elsewhere is not found there
  // (test/members.test.ts does it with a real user of another sandbox).
  'GET /api/v1/members': () => [{ method: 'GET', url: '/api/v1/members', expect: [200] }],
  'PUT /api/v1/members/:userId': (v) => [
    {
      method: 'PUT',
      url: `/api/v1/members/${v.tokenId}`,
      payload: { roles: ['owner'] },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/members/:userId': (v) => [
    { method: 'DELETE', url: `/api/v1/members/${v.tokenId}`, expect: NOT_FOUND },
  ],
  'GET /api/v1/credentials': () => [
    { method: 'GET', url: '/api/v1/credentials?name=infobip', expect: [200] },
  ],
  'POST /api/v1/credentials': () => [
    // The victim's inbound number: refused, and the victim keeps it.
    {
      method: 'POST',
      url: '/api/v1/credentials',
      payload: {
        name: 'grab',
        baseUrl: 'https://ggx5k8.api.infobip.com',
        apiKey: KEY,
        inboundNumber: INBOUND,
      },
      expect: [409],
    },
  ],
  'GET /api/v1/credentials/:id': (v) => [
    { method: 'GET', url: `/api/v1/credentials/${v.credentialId}`, expect: NOT_FOUND },
  ],
  'PATCH /api/v1/credentials/:id': (v) => [
    {
      method: 'PATCH',
      url: `/api/v1/credentials/${v.credentialId}`,
      payload: { helpMessage: 'pwned' },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/credentials/:id': (v) => [
    {
      method: 'DELETE',
      url: `/api/v1/credentials/${v.credentialId}?force=true`,
      expect: NOT_FOUND,
    },
  ],
  'POST /api/v1/credentials/:id/verify': (v) => [
    { method: 'POST', url: `/api/v1/credentials/${v.credentialId}/verify`, expect: NOT_FOUND },
  ],
  // Settings are the caller's own sandbox's; the victim's requests are not found.
  'GET /api/v1/approval-settings': () => [
    { method: 'GET', url: '/api/v1/approval-settings', expect: [200] },
  ],
  'PUT /api/v1/approval-settings': () => [
    {
      method: 'PUT',
      url: '/api/v1/approval-settings',
      payload: { campaignApprovalAbove: null },
      expect: [200],
    },
  ],
  'GET /api/v1/approvals': (v) => [
    {
      method: 'GET',
      url: `/api/v1/approvals?resourceType=campaign&resourceId=${v.campaignId}`,
      expect: [200],
    },
  ],
  'GET /api/v1/approvals/:id': (v) => [
    { method: 'GET', url: `/api/v1/approvals/${v.approvalId}`, expect: NOT_FOUND },
  ],
  'POST /api/v1/approvals/:id/approve': (v) => [
    { method: 'POST', url: `/api/v1/approvals/${v.approvalId}/approve`, expect: NOT_FOUND },
  ],
  'POST /api/v1/approvals/:id/reject': (v) => [
    {
      method: 'POST',
      url: `/api/v1/approvals/${v.approvalId}/reject`,
      payload: { reason: 'no' },
      expect: NOT_FOUND,
    },
  ],
  'POST /api/v1/approvals/:id/cancel': (v) => [
    { method: 'POST', url: `/api/v1/approvals/${v.approvalId}/cancel`, expect: NOT_FOUND },
  ],
  'GET /api/v1/credentials/:id/keyword-responses': (v) => [
    {
      method: 'GET',
      url: `/api/v1/credentials/${v.credentialId}/keyword-responses`,
      expect: NOT_FOUND,
    },
  ],
  'GET /api/v1/credentials/:id/keyword-responses/:keyword': (v) => [
    {
      method: 'GET',
      url: `/api/v1/credentials/${v.credentialId}/keyword-responses/OFFERS`,
      expect: NOT_FOUND,
    },
  ],
  // On the victim's credential, or on its own with the victim's template and list.
  'PUT /api/v1/credentials/:id/keyword-responses/:keyword': (v, a) => [
    {
      method: 'PUT',
      url: `/api/v1/credentials/${v.credentialId}/keyword-responses/OFFERS`,
      payload: { templateId: null, actions: [{ type: 'set_consent', to: 'unsubscribed' }] },
      expect: NOT_FOUND,
    },
    {
      method: 'PUT',
      url: `/api/v1/credentials/${a.credentialId}/keyword-responses/OFFERS`,
      payload: { templateId: v.templateId, actions: [{ type: 'add_to_list', listId: v.listId }] },
      expect: [400],
    },
  ],
  'DELETE /api/v1/credentials/:id/keyword-responses/:keyword': (v) => [
    {
      method: 'DELETE',
      url: `/api/v1/credentials/${v.credentialId}/keyword-responses/OFFERS`,
      expect: NOT_FOUND,
    },
  ],
  'GET /api/v1/channel-configurations': (v) => [
    {
      method: 'GET',
      url: `/api/v1/channel-configurations?credentialId=${v.credentialId}`,
      expect: [200, 400, 404],
    },
  ],
  'POST /api/v1/channel-configurations': (v) => [
    {
      method: 'POST',
      url: '/api/v1/channel-configurations',
      payload: { name: 'borrow', credentialId: v.credentialId, sender: 'X' },
      expect: NOT_FOUND,
    },
  ],
  'GET /api/v1/channel-configurations/:id': (v) => [
    { method: 'GET', url: `/api/v1/channel-configurations/${v.channelId}`, expect: NOT_FOUND },
  ],
  'PATCH /api/v1/channel-configurations/:id': (v) => [
    {
      method: 'PATCH',
      url: `/api/v1/channel-configurations/${v.channelId}`,
      payload: { description: 'pwned' },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/channel-configurations/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/channel-configurations/${v.channelId}`, expect: NOT_FOUND },
  ],
  'GET /api/v1/profiles': () => [
    { method: 'GET', url: `/api/v1/profiles?phone=${phone}`, expect: [200] },
  ],
  'GET /api/v1/profiles/consent.csv': () => [
    { method: 'GET', url: '/api/v1/profiles/consent.csv', expect: [200] },
  ],
  // In its own sandbox: a profile of its own for the same phone, never the victim's.
  'POST /api/v1/profiles/consent.csv': () => [
    {
      method: 'POST',
      url: '/api/v1/profiles/consent.csv',
      headers: { 'content-type': 'text/csv' },
      payload: `phone,consent\n${ALICE},unsubscribed\n`,
      expect: [200],
    },
  ],
  'GET /api/v1/profiles/:phone': () => [
    { method: 'GET', url: `/api/v1/profiles/${phone}`, expect: [200, 404] },
  ],
  'PUT /api/v1/profiles/:phone/consent': () => [
    {
      method: 'PUT',
      url: `/api/v1/profiles/${phone}/consent`,
      payload: { consent: 'unsubscribed' },
      expect: [200],
    },
  ],
  'POST /api/v1/profiles/:phone/double-opt-in': (v) => [
    {
      method: 'POST',
      url: `/api/v1/profiles/${encodeURIComponent('+14155550131')}/double-opt-in`,
      payload: { credentialId: v.credentialId },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/profiles/:phone': () => [
    { method: 'DELETE', url: `/api/v1/profiles/${phone}`, expect: [204, 404] },
  ],
  'GET /api/v1/inbound': () => [
    { method: 'GET', url: `/api/v1/inbound?from=${phone}`, expect: [200] },
  ],
  'GET /api/v1/inbound/:id': (v) => [
    { method: 'GET', url: `/api/v1/inbound/${v.inboundId}`, expect: NOT_FOUND },
  ],
  'POST /api/v1/messages': (v) => [
    {
      method: 'POST',
      url: '/api/v1/messages',
      payload: { channelConfigurationId: v.channelId, to: ALICE, text: 'x' },
      expect: NOT_FOUND,
    },
  ],
  'POST /api/v1/messages/batch': (v) => [
    {
      method: 'POST',
      url: '/api/v1/messages/batch',
      payload: { messages: [{ channelConfigurationId: v.channelId, to: ALICE, text: 'x' }] },
      expect: [202, 400, 404],
    },
  ],
  'GET /api/v1/messages': (v) => [
    {
      method: 'GET',
      url: `/api/v1/messages?channelConfigurationId=${v.channelId}`,
      expect: [200, 400, 404],
    },
  ],
  'GET /api/v1/messages/export': (v) => [
    {
      method: 'GET',
      url: `/api/v1/messages/export?channelConfigurationId=${v.channelId}`,
      expect: [200, 400, 404],
    },
    {
      method: 'GET',
      url: `/api/v1/messages/export?to=${encodeURIComponent(ALICE)}`,
      expect: [200],
    },
  ],
  'GET /api/v1/stats': (v) => [
    {
      method: 'GET',
      url: `/api/v1/stats?channelConfigurationId=${v.channelId}`,
      expect: [200, 404],
    },
  ],
  'GET /api/v1/messages/:id': (v) => [
    { method: 'GET', url: `/api/v1/messages/${v.messageId}`, expect: NOT_FOUND },
  ],
  'GET /api/v1/event-webhooks': () => [
    { method: 'GET', url: '/api/v1/event-webhooks', expect: [200] },
  ],
  'POST /api/v1/event-webhooks': () => [
    {
      method: 'POST',
      url: '/api/v1/event-webhooks',
      payload: { url: 'http://127.0.0.1:9/attacker' },
      expect: [201],
    },
  ],
  'GET /api/v1/event-webhooks/:id': (v) => [
    { method: 'GET', url: `/api/v1/event-webhooks/${v.eventWebhookId}`, expect: NOT_FOUND },
  ],
  'PATCH /api/v1/event-webhooks/:id': (v) => [
    {
      method: 'PATCH',
      url: `/api/v1/event-webhooks/${v.eventWebhookId}`,
      payload: { enabled: false },
      expect: NOT_FOUND,
    },
  ],
  'DELETE /api/v1/event-webhooks/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/event-webhooks/${v.eventWebhookId}`, expect: NOT_FOUND },
  ],
  'GET /api/v1/event-webhooks/:id/deliveries': (v) => [
    {
      method: 'GET',
      url: `/api/v1/event-webhooks/${v.eventWebhookId}/deliveries`,
      expect: NOT_FOUND,
    },
  ],
};

/** Someone invited into the victim's sandbox: their address must not reach another tenant. */
const VICTIM_INVITEE = 'victim-invitee@example.test';

/** Sign-in and invitations: people are global, their invitations and roles are per sandbox. */
const PEOPLE_CASES: Record<string, Cases> = {
  'POST /api/v1/invitations': (_v, a) => [
    {
      method: 'POST',
      url: '/api/v1/invitations',
      payload: { email: `invitee-of-${a.sandbox}@example.test`, roles: ['viewer'] },
      expect: [201],
    },
  ],
  'GET /api/v1/invitations': () => [{ method: 'GET', url: '/api/v1/invitations', expect: [200] }],
  'DELETE /api/v1/invitations/:id': (v) => [
    { method: 'DELETE', url: `/api/v1/invitations/${v.invitationId}`, expect: NOT_FOUND },
  ],
  // A guessed invitation token finds nothing; the victim's invitation stays pending.
  'GET /auth/invitations/:token': () => [
    { method: 'GET', url: '/auth/invitations/tern_guess0000000000000000000000', expect: [404] },
  ],
  'POST /auth/invitations/:token/accept': () => [
    {
      method: 'POST',
      url: '/auth/invitations/tern_guess0000000000000000000000/accept',
      payload: { password: 'a-long-enough-password' },
      expect: [404],
    },
  ],
  'POST /auth/login': () => [
    {
      method: 'POST',
      url: '/auth/login',
      payload: { email: VICTIM_INVITEE, password: 'a-long-enough-password' },
      expect: [401],
    },
  ],
  'GET /auth/session': () => [{ method: 'GET', url: '/auth/session', expect: [401] }],
  'POST /auth/logout': () => [{ method: 'POST', url: '/auth/logout', expect: [401, 403] }],
};
Object.assign(CASES, PEOPLE_CASES);

/** Routes that take no tenant's ids or secrets (probes, docs, the console) or only stream (below). */
const NO_TENANT_INPUT = [
  /^GET \/(healthz|readyz|metrics|openapi\.json|docs.*|\*)?$/,
  /^GET \/api\/v1\/events\/stream$/,
  // Single sign-on: public, no tenant's ids (the sign-in methods, the redirect to the provider and back).
  /^GET \/auth\/(methods|oidc\/start|oidc\/callback)$/,
];

describeEachDialect('hostile tenants', ({ db }) => {
  it(
    'no tenant reaches another through any route, with the same Infobip key or another',
    { timeout: 120_000 },
    async () => {
      const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
      const victim = await victimOf(t);
      const twin = await tenant(t, 'twin', KEY, '+14155550101');
      const stranger = await tenant(t, 'stranger', STRANGER_KEY, '+14155550102');

      await t.app.ready();
      const routes = t.app.registeredRoutes
        .filter((r) => r.method !== 'HEAD')
        .map((r) => `${r.method} ${r.url}`);
      const uncovered = routes.filter(
        (r) => !(r in CASES) && !NO_TENANT_INPUT.some((re) => re.test(r)),
      );
      expect(uncovered, 'routes without a hostile case').toEqual([]);
      expect(
        Object.keys(CASES).filter((r) => !routes.includes(r)),
        'cases for no route',
      ).toEqual([]);

      const before = await snapshot(db());
      let attempts = 0;
      for (const attacker of [twin, stranger]) {
        for (const [route, cases] of Object.entries(CASES)) {
          for (const attempt of cases(victim, attacker)) {
            const api = attempt.url.startsWith('/api');
            // Its own sandbox, then naming the victim's: the second must never be let in.
            const targets = api ? [attacker.sandbox, 'prod'] : [undefined];
            for (const sandbox of targets) {
              const res = await t.app.inject({
                method: attempt.method as 'GET',
                url: attempt.url,
                headers: {
                  ...(api
                    ? { authorization: `Bearer ${attacker.token}`, 'x-sandbox-name': sandbox! }
                    : {}),
                  ...attempt.headers,
                },
                ...(attempt.payload !== undefined ? { payload: attempt.payload as string } : {}),
              });
              const name = `${attacker.sandbox} → ${route} (${attempt.url}) in ${sandbox ?? 'webhook'}`;
              attempts++;
              if (sandbox === 'prod')
                expect([403, 404], `${name}: ${res.body}`).toContain(res.statusCode);
              else
                expect(attempt.expect ?? NOT_FOUND, `${name}: ${res.body}`).toContain(
                  res.statusCode,
                );
              for (const mark of [
                'victim-channel',
                'VICTIM',
                'victim text',
                'VICTIM offer',
                'reply from prod',
                victim.inboundSecret,
                victim.reportsSecret,
                VICTIM_INVITEE,
              ]) {
                expect(res.body, `${name} leaked ${mark}`).not.toContain(mark);
              }
              expect(await snapshot(db()), `${name} changed the victim's data`).toEqual(before);
            }
          }
        }
      }
      expect(attempts).toBeGreaterThan(150);

      // The victim's own webhook still acts on its texts, the attacker's replay of its id included.
      const own = await t.app.inject({
        method: 'POST',
        url: victim.inboundPath,
        payload: moBody(moResult(ALICE, 'STOP', { messageId: 'attack-1' })),
      });
      expect(own.json()).toMatchObject({
        processed: 1,
        duplicates: 0,
        results: [{ sandbox: 'prod' }],
      });
      await t.app.close();
    },
  );
});
