import { newId } from '../src/ids.js';
import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { ledgerOf, profileOf } from './helpers/inbound.js';
import { signIn } from './helpers/sessions.js';

interface Entry {
  sandbox: string | null;
  actor: string;
  actorName: string | null;
  action: string;
  resourceType: string;
  resourceId: string;
  resourceName: string | null;
  fields: string[];
}

const PHONE = '+14155550142';
const WEBHOOK_URL = 'https://hooks.example.com/services/SECRET-PATH?token=SECRET-QUERY';

/** What one successful call changed: the audit entry it must leave. */
interface Audited {
  action: string;
  resourceId: string;
  resourceName: string;
  sandbox: string | null;
}

/** State the recipes share: ids made by earlier ones. */
type Ids = Record<string, string>;

type Call = (t: TestApp, ids: Ids, db: Db) => Promise<Audited>;

async function call(
  t: TestApp,
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object | string,
  headers: Record<string, string> = {},
) {
  const res = await t.app.inject({
    method,
    url,
    headers: { ...t.auth, ...headers },
    ...(payload !== undefined ? { payload } : {}),
  });
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
  return res.body ? res.json<Record<string, unknown>>() : {};
}

/**
 * One successful call per audited route, in an order where each finds what it needs. Keys are
 * the routes as registered: a mutating route missing here and from RECORDED_ELSEWHERE fails.
 */
const AUDITED: [string, Call][] = [
  ...(['PUT', 'DELETE'] as const).map((method): [string, Call] => [
    `${method} /api/v1/members/:userId`,
    async (t) => {
      // Two owners, so either may lose the role.
      const email = `member-${method.toLowerCase()}@example.test`;
      const member = await signIn(t, {
        email,
        name: `Member ${method}`,
        roles: { prod: ['owner'] },
      });
      await signIn(t, { roles: { prod: ['owner'] } });
      await call(
        t,
        method,
        `/api/v1/members/${member.userId}`,
        method === 'PUT' ? { roles: ['viewer'] } : undefined,
      );
      return {
        action: method === 'PUT' ? 'member.updated' : 'member.removed',
        resourceId: member.userId,
        resourceName: `Member ${method}`,
        sandbox: 'prod',
      };
    },
  ]),
  [
    'POST /api/v1/invitations',
    async (t, ids) => {
      const invitation = await call(t, 'POST', '/api/v1/invitations', {
        email: 'invited@example.test',
        roles: ['viewer'],
      });
      ids.invitation = String(invitation.id);
      return {
        action: 'invitation.created',
        resourceId: ids.invitation,
        resourceName: 'invited@example.test',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/invitations/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/invitations/${ids.invitation}`);
      return {
        action: 'invitation.revoked',
        resourceId: ids.invitation!,
        resourceName: 'invited@example.test',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/sandboxes',
    async (t) => {
      await call(t, 'POST', '/api/v1/sandboxes', { name: 'eu' });
      return { action: 'sandbox.created', resourceId: 'eu', resourceName: 'eu', sandbox: null };
    },
  ],
  [
    'PATCH /api/v1/sandboxes/:name',
    async (t) => {
      await call(t, 'PATCH', '/api/v1/sandboxes/prod', { consentPolicy: 'subscribed-only' });
      return {
        action: 'sandbox.updated',
        resourceId: 'prod',
        resourceName: 'prod',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/tokens',
    async (t, ids) => {
      const body = await call(t, 'POST', '/api/v1/tokens', { name: 'ci-deploy' });
      ids.token = String(body.id);
      return {
        action: 'admin_token.created',
        resourceId: ids.token,
        resourceName: 'ci-deploy',
        sandbox: null,
      };
    },
  ],
  [
    'DELETE /api/v1/tokens/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/tokens/${ids.token}`);
      return {
        action: 'admin_token.revoked',
        resourceId: ids.token!,
        resourceName: 'ci-deploy',
        sandbox: null,
      };
    },
  ],
  [
    'POST /api/v1/credentials',
    async (t, ids) => {
      const body = await call(t, 'POST', '/api/v1/credentials', {
        name: 'infobip-main',
        baseUrl: 'http://127.0.0.1:1',
        apiKey: 'SECRET-API-KEY-0123456789',
        inboundNumber: '+14155550199',
      });
      ids.credential = String(body.id);
      return {
        action: 'credential.created',
        resourceId: ids.credential,
        resourceName: 'infobip-main',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PATCH /api/v1/credentials/:id',
    async (t, ids) => {
      await call(t, 'PATCH', `/api/v1/credentials/${ids.credential}`, {
        apiKey: 'SECRET-API-KEY-9876543210',
      });
      return {
        action: 'credential.updated',
        resourceId: ids.credential!,
        resourceName: 'infobip-main',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/credentials/:id/verify',
    async (t, ids) => {
      await call(t, 'POST', `/api/v1/credentials/${ids.credential}/verify`, {});
      return {
        action: 'credential.verified',
        resourceId: ids.credential!,
        resourceName: 'infobip-main',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/channel-configurations',
    async (t, ids) => {
      const body = await call(t, 'POST', '/api/v1/channel-configurations', {
        name: 'sms-alerts',
        credentialId: ids.credential,
        sender: 'ACME',
      });
      ids.channel = String(body.id);
      return {
        action: 'channel_configuration.created',
        resourceId: ids.channel,
        resourceName: 'sms-alerts',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PATCH /api/v1/channel-configurations/:id',
    async (t, ids) => {
      await call(t, 'PATCH', `/api/v1/channel-configurations/${ids.channel}`, { sender: 'ACME2' });
      return {
        action: 'channel_configuration.updated',
        resourceId: ids.channel!,
        resourceName: 'sms-alerts',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/event-webhooks',
    async (t, ids) => {
      const body = await call(t, 'POST', '/api/v1/event-webhooks', { url: WEBHOOK_URL });
      ids.webhook = String(body.id);
      ids.webhookSecret = String(body.secret);
      return {
        action: 'event_webhook.created',
        resourceId: ids.webhook,
        resourceName: 'hooks.example.com',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PATCH /api/v1/event-webhooks/:id',
    async (t, ids) => {
      await call(t, 'PATCH', `/api/v1/event-webhooks/${ids.webhook}`, {
        url: 'https://other.example.com/SECRET-PATH',
        enabled: false,
      });
      return {
        action: 'event_webhook.updated',
        resourceId: ids.webhook!,
        resourceName: 'other.example.com',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/event-webhooks/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/event-webhooks/${ids.webhook}`);
      return {
        action: 'event_webhook.deleted',
        resourceId: ids.webhook!,
        resourceName: 'other.example.com',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/profiles/:phone',
    async (t, ids, db) => {
      await call(t, 'PUT', `/api/v1/profiles/${encodeURIComponent(PHONE)}/consent`, {
        consent: 'subscribed',
      });
      ids.profile = (await profileOf(db, PHONE))!.id;
      await call(t, 'DELETE', `/api/v1/profiles/${encodeURIComponent(PHONE)}`);
      return {
        action: 'profile.erased',
        resourceId: ids.profile,
        resourceName: '•••42',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/templates',
    async (t, ids) => {
      const body = await call(t, 'POST', '/api/v1/templates', {
        name: 'welcome',
        body: 'Hi {{ profile.attributes.firstName | default: "there" }}. Reply STOP to opt out',
      });
      ids.template = String(body.id);
      return {
        action: 'template.created',
        resourceId: ids.template,
        resourceName: 'welcome',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PATCH /api/v1/templates/:id',
    async (t, ids) => {
      await call(t, 'PATCH', `/api/v1/templates/${ids.template}`, { name: 'welcome-2' });
      return {
        action: 'template.updated',
        resourceId: ids.template!,
        resourceName: 'welcome-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/templates/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/templates/${ids.template}`);
      return {
        action: 'template.deleted',
        resourceId: ids.template!,
        resourceName: 'welcome-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/channel-configurations/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/channel-configurations/${ids.channel}`);
      return {
        action: 'channel_configuration.deleted',
        resourceId: ids.channel!,
        resourceName: 'sms-alerts',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/credentials/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/credentials/${ids.credential}`);
      return {
        action: 'credential.deleted',
        resourceId: ids.credential!,
        resourceName: 'infobip-main',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/segments',
    async (t, ids) => {
      const body = await call(t, 'POST', '/api/v1/segments', {
        name: 'offers',
        live: true,
        rule: { keyword: 'OFFERS' },
      });
      ids.segment = String(body.id);
      return {
        action: 'segment.created',
        resourceId: ids.segment,
        resourceName: 'offers',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PATCH /api/v1/segments/:id',
    async (t, ids) => {
      await call(t, 'PATCH', `/api/v1/segments/${ids.segment}`, { name: 'offers-2' });
      return {
        action: 'segment.updated',
        resourceId: ids.segment!,
        resourceName: 'offers-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/segments/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/segments/${ids.segment}`);
      return {
        action: 'segment.deleted',
        resourceId: ids.segment!,
        resourceName: 'offers-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/lists',
    async (t, ids) => {
      const body = await call(t, 'POST', '/api/v1/lists', { name: 'fair' });
      ids.list = String(body.id);
      return {
        action: 'list.created',
        resourceId: ids.list,
        resourceName: 'fair',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PATCH /api/v1/lists/:id',
    async (t, ids) => {
      await call(t, 'PATCH', `/api/v1/lists/${ids.list}`, { name: 'fair-2' });
      return {
        action: 'list.updated',
        resourceId: ids.list!,
        resourceName: 'fair-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/lists/:id/members',
    async (t, ids) => {
      await call(t, 'POST', `/api/v1/lists/${ids.list}/members`, { phones: ['+14155550190'] });
      return {
        action: 'list.members_added',
        resourceId: ids.list!,
        resourceName: 'fair-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/lists/:id/import',
    async (t, ids) => {
      await call(t, 'POST', `/api/v1/lists/${ids.list}/import`, 'phone\n+14155550191\n', {
        'content-type': 'text/csv',
      });
      return {
        action: 'list.members_added',
        resourceId: ids.list!,
        resourceName: 'fair-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/lists/:id/members',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/lists/${ids.list}/members`, { phones: ['+14155550190'] });
      return {
        action: 'list.members_removed',
        resourceId: ids.list!,
        resourceName: 'fair-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/lists/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/lists/${ids.list}`);
      return {
        action: 'list.deleted',
        resourceId: ids.list!,
        resourceName: 'fair-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/campaigns',
    async (t, ids) => {
      // Its own sender, template and audience: earlier recipes deleted theirs.
      const cred = await call(t, 'POST', '/api/v1/credentials', {
        name: 'campaign-sender',
        baseUrl: 'http://127.0.0.1:1',
        apiKey: 'SECRET-API-KEY-campaign-00',
      });
      const channel = await call(t, 'POST', '/api/v1/channel-configurations', {
        name: 'promos',
        credentialId: cred.id,
        sender: 'ACME',
        messageType: 'marketing',
      });
      const template = await call(t, 'POST', '/api/v1/templates', {
        name: 'spring-offer',
        messageType: 'marketing',
        body: 'Spring offer inside. Reply STOP to opt out',
      });
      const list = await call(t, 'POST', '/api/v1/lists', { name: 'spring-list' });
      const phone = '+14155550192';
      await call(t, 'PUT', `/api/v1/profiles/${encodeURIComponent(phone)}/consent`, {
        consent: 'subscribed',
      });
      await call(t, 'POST', `/api/v1/lists/${String(list.id)}/members`, { phones: [phone] });
      const body = await call(t, 'POST', '/api/v1/campaigns', {
        name: 'spring',
        audience: { listId: list.id },
        templateId: template.id,
        channelConfigurationId: channel.id,
        pacing: { perMinute: 1 },
      });
      ids.campaign = String(body.id);
      ids.campaignList = String(list.id);
      ids.campaignTemplate = String(template.id);
      ids.campaignChannel = String(channel.id);
      return {
        action: 'campaign.created',
        resourceId: ids.campaign,
        resourceName: 'spring',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PATCH /api/v1/campaigns/:id',
    async (t, ids) => {
      await call(t, 'PATCH', `/api/v1/campaigns/${ids.campaign}`, { name: 'spring-2' });
      return {
        action: 'campaign.updated',
        resourceId: ids.campaign!,
        resourceName: 'spring-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/campaigns/:id/test-send',
    async (t, ids) => {
      await call(t, 'POST', `/api/v1/campaigns/${ids.campaign}/test-send`, {
        phones: ['+14155550193'],
      });
      return {
        action: 'campaign.test_sent',
        resourceId: ids.campaign!,
        resourceName: 'spring-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PUT /api/v1/approval-settings',
    async (t) => {
      await call(t, 'PUT', '/api/v1/approval-settings', { campaignApprovalAbove: 0 });
      return {
        action: 'approval_settings.updated',
        resourceId: 'prod',
        resourceName: 'prod',
        sandbox: 'prod',
      };
    },
  ],
  [
    // The confirm waits for approval (above the threshold of 0), and its requester withdraws it.
    'POST /api/v1/approvals/:id/cancel',
    async (t, ids) => {
      const pending = await call(t, 'POST', `/api/v1/campaigns/${ids.campaign}/confirm`, {});
      const id = String((pending.approval as { id: string }).id);
      await call(t, 'PUT', '/api/v1/approval-settings', { campaignApprovalAbove: null });
      await call(t, 'POST', `/api/v1/approvals/${id}/cancel`);
      return {
        action: 'approval.cancelled',
        resourceId: id,
        resourceName: 'campaign.confirm spring-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/campaigns/:id/confirm',
    async (t, ids) => {
      await call(t, 'POST', `/api/v1/campaigns/${ids.campaign}/confirm`, {});
      return {
        action: 'campaign.confirmed',
        resourceId: ids.campaign!,
        resourceName: 'spring-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/campaigns/:id/pause',
    async (t, ids) => {
      await call(t, 'POST', `/api/v1/campaigns/${ids.campaign}/pause`, {});
      return {
        action: 'campaign.paused',
        resourceId: ids.campaign!,
        resourceName: 'spring-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/campaigns/:id/resume',
    async (t, ids) => {
      await call(t, 'POST', `/api/v1/campaigns/${ids.campaign}/resume`, {});
      return {
        action: 'campaign.resumed',
        resourceId: ids.campaign!,
        resourceName: 'spring-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/campaigns/:id/cancel',
    async (t, ids) => {
      await call(t, 'POST', `/api/v1/campaigns/${ids.campaign}/cancel`, {});
      return {
        action: 'campaign.cancelled',
        resourceId: ids.campaign!,
        resourceName: 'spring-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/campaigns/:id',
    async (t, ids) => {
      // Only a draft can be deleted: a second one to the same audience.
      const draft = await call(t, 'POST', '/api/v1/campaigns', {
        name: 'autumn',
        audience: { listId: ids.campaignList },
        templateId: ids.campaignTemplate,
        channelConfigurationId: ids.campaignChannel,
        pacing: { perMinute: 1 },
      });
      await call(t, 'DELETE', `/api/v1/campaigns/${String(draft.id)}`);
      return {
        action: 'campaign.deleted',
        resourceId: String(draft.id),
        resourceName: 'autumn',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/policy/rules',
    async (t, ids) => {
      const day = [{ start: '09:00', end: '18:00' }];
      const body = await call(t, 'POST', '/api/v1/policy/rules', {
        name: 'germany-hours',
        scope: { country: 'DE' },
        kind: 'window',
        window: {
          timeZoneFrom: 'recipient',
          days: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day },
        },
        outside: 'hold',
        exempt: { transactional: true, oneTimeCodes: true },
        source: 'house policy',
        effectiveFrom: '2026-01-01',
      });
      ids.policyRule = String(body.id);
      return {
        action: 'policy_rule.created',
        resourceId: ids.policyRule,
        resourceName: 'germany-hours',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PATCH /api/v1/policy/rules/:id',
    async (t, ids) => {
      await call(t, 'PATCH', `/api/v1/policy/rules/${ids.policyRule}`, { name: 'germany-2' });
      return {
        action: 'policy_rule.updated',
        resourceId: ids.policyRule!,
        resourceName: 'germany-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/policy/rules/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/policy/rules/${ids.policyRule}`);
      return {
        action: 'policy_rule.deleted',
        resourceId: ids.policyRule!,
        resourceName: 'germany-2',
        sandbox: 'prod',
      };
    },
  ],
  // A shipped rule: its override, then its restoring, are audited too.
  [
    'PATCH /api/v1/policy/rules/:id',
    async (t) => {
      await call(t, 'PATCH', '/api/v1/policy/rules/us-fl', { enabled: false });
      return {
        action: 'policy_rule.overridden',
        resourceId: 'us-fl',
        resourceName: 'Florida (FTSA) hours',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/policy/rules/:id',
    async (t) => {
      await call(t, 'DELETE', '/api/v1/policy/rules/us-fl');
      return {
        action: 'policy_rule.restored',
        resourceId: 'us-fl',
        resourceName: 'Florida (FTSA) hours',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PUT /api/v1/credentials/:id/keyword-responses/:keyword',
    async (t, ids) => {
      const cred = await call(t, 'POST', '/api/v1/credentials', {
        name: 'keywords',
        baseUrl: 'http://127.0.0.1:1',
        apiKey: 'SECRET-API-KEY-keywords-00',
        customInboundKeywords: 'OFFERS',
      });
      ids.keywordCredential = String(cred.id);
      await call(
        t,
        'PUT',
        `/api/v1/credentials/${ids.keywordCredential}/keyword-responses/offers`,
        {
          templateId: null,
          actions: [{ type: 'set_consent', to: 'subscribed' }],
        },
      );
      return {
        action: 'keyword_response.updated',
        resourceId: `${ids.keywordCredential}:OFFERS`,
        resourceName: 'OFFERS',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/credentials/:id/keyword-responses/:keyword',
    async (t, ids) => {
      await call(
        t,
        'DELETE',
        `/api/v1/credentials/${ids.keywordCredential}/keyword-responses/OFFERS`,
      );
      return {
        action: 'keyword_response.deleted',
        resourceId: `${ids.keywordCredential}:OFFERS`,
        resourceName: 'OFFERS',
        sandbox: 'prod',
      };
    },
  ],
  // Flows (issue 17): an api_event flow, its edit, a run's cancel, the delete.
  [
    'POST /api/v1/flows',
    async (t, ids) => {
      const body = await call(t, 'POST', '/api/v1/flows', {
        name: 'welcome',
        status: 'active',
        definition: {
          trigger: { type: 'api_event', event: 'signup' },
          steps: [{ id: 'pause', type: 'wait', seconds: 3600 }],
        },
      });
      ids.flow = String(body.id);
      return {
        action: 'flow.created',
        resourceId: ids.flow,
        resourceName: 'welcome',
        sandbox: 'prod',
      };
    },
  ],
  [
    'PATCH /api/v1/flows/:id',
    async (t, ids) => {
      await call(
        t,
        'PATCH',
        `/api/v1/flows/${ids.flow}`,
        { name: 'welcome-2' },
        { 'if-match': '"1"' },
      );
      return {
        action: 'flow.updated',
        resourceId: ids.flow!,
        resourceName: 'welcome-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'POST /api/v1/flow-runs/:id/cancel',
    async (t) => {
      const started = await call(t, 'POST', '/api/v1/flow-events', {
        event: 'signup',
        phone: PHONE,
      });
      const runId = (started.runs as { runId: string }[])[0]!.runId;
      await call(t, 'POST', `/api/v1/flow-runs/${runId}/cancel`);
      return {
        action: 'flow_run.cancelled',
        resourceId: runId,
        resourceName: 'welcome-2',
        sandbox: 'prod',
      };
    },
  ],
  [
    'DELETE /api/v1/flows/:id',
    async (t, ids) => {
      await call(t, 'DELETE', `/api/v1/flows/${ids.flow}`);
      return {
        action: 'flow.deleted',
        resourceId: ids.flow!,
        resourceName: 'welcome-2',
        sandbox: 'prod',
      };
    },
  ],
];

/**
 * Routes whose changes have a record of their own, with the actor, instead of an audit entry:
 * consent has its append-only ledger (source api, the token as actor), and sends are traffic,
 * not configuration (the message log is their record; an audit row per send would double the
 * writes of the hot path). Each check proves that record is there.
 */
const RECORDED_ELSEWHERE: Record<string, (t: TestApp, ids: Ids, db: Db) => Promise<void>> = {
  // Decisions are people's (test/approvals.test.ts audits them): a token's changes nothing.
  ...Object.fromEntries(
    (['approve', 'reject'] as const).map((verb) => [
      `POST /api/v1/approvals/:id/${verb}`,
      async (t: TestApp, _ids: Ids, db: Db) => {
        const before = await db.kysely.selectFrom('audit_events').select('id').execute();
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/approvals/${newId()}/${verb}`,
          headers: t.auth,
          payload: { reason: 'no' },
        });
        expect(res.statusCode).toBe(404);
        expect(await db.kysely.selectFrom('audit_events').select('id').execute()).toEqual(before);
      },
    ]),
  ),
  'PUT /api/v1/profiles/:phone/consent': async (t, ids, db) => {
    await call(t, 'PUT', `/api/v1/profiles/${encodeURIComponent('+14155550177')}/consent`, {
      consent: 'unsubscribed',
    });
    await expectLedgerActor(db, '+14155550177', ids.tokenId!, 'unsubscribed');
  },
  'POST /api/v1/profiles/:phone/double-opt-in': async (t, ids, db) => {
    const cred = await call(t, 'POST', '/api/v1/credentials', {
      name: 'doi',
      baseUrl: 'http://127.0.0.1:1',
      apiKey: 'SECRET-API-KEY-doi-000000',
      inboundNumber: '+14155550188',
    });
    // (A number with a profile: its pending state goes into the ledger with the actor.)
    await call(t, 'PUT', `/api/v1/profiles/${encodeURIComponent('+14155550178')}/consent`, {
      consent: 'unsubscribed',
    });
    await call(t, 'POST', `/api/v1/profiles/${encodeURIComponent('+14155550178')}/double-opt-in`, {
      credentialId: cred.id,
    });
    await expectLedgerActor(db, '+14155550178', ids.tokenId!, 'pending');
  },
  'POST /api/v1/profiles/consent.csv': async (t, ids, db) => {
    await call(
      t,
      'POST',
      '/api/v1/profiles/consent.csv',
      'phone,consent\n+14155550179,subscribed\n',
      {
        'content-type': 'text/csv',
      },
    );
    await expectLedgerActor(db, '+14155550179', ids.tokenId!, 'subscribed');
  },
  'POST /api/v1/messages': async (t, ids) => {
    const body = await call(t, 'POST', '/api/v1/messages', {
      channelConfigurationId: ids.channel2,
      to: '+14155550180',
      text: 'hello',
    });
    expect(body.id).toEqual(expect.any(String));
  },
  // Reads sent as POST (their bodies are too large for a query string, or the work is a
  // computation, not a resource): they change nothing.
  'POST /api/v1/campaigns/:id/estimate': async (t, ids, db) => {
    const before = await db.kysely.selectFrom('audit_events').select('id').execute();
    const body = await call(t, 'POST', `/api/v1/campaigns/${ids.campaign}/estimate`);
    expect(typeof body.recipients).toBe('number');
    expect(await db.kysely.selectFrom('audit_events').select('id').execute()).toEqual(before);
  },
  'POST /api/v1/policy/check': async (t, _ids, db) => {
    const before = await db.kysely.selectFrom('audit_events').select('id').execute();
    const body = await call(t, 'POST', '/api/v1/policy/check', { to: '+13055550123' });
    expect(body.action).toEqual(expect.any(String));
    expect(await db.kysely.selectFrom('audit_events').select('id').execute()).toEqual(before);
  },
  'POST /api/v1/segments/count': async (t, _ids, db) => {
    const before = await db.kysely.selectFrom('audit_events').select('id').execute();
    const body = await call(t, 'POST', '/api/v1/segments/count', {
      rule: { consent: { in: ['subscribed'] } },
    });
    expect(body.count).toEqual(expect.any(Number));
    expect(await db.kysely.selectFrom('audit_events').select('id').execute()).toEqual(before);
  },
  'POST /api/v1/templates/render': async (t, ids, db) => {
    const before = await db.kysely.selectFrom('audit_events').select('id').execute();
    const body = await call(t, 'POST', '/api/v1/templates/render', {
      body: 'Hello {{ profile.phone }}',
      messageType: 'transactional',
      phone: '+14155550182',
      channelConfigurationId: ids.channel2,
    });
    expect(body.text).toBe('Hello +14155550182');
    expect(await db.kysely.selectFrom('audit_events').select('id').execute()).toEqual(before);
  },
  'POST /api/v1/templates/:id/preview': async (t, _ids, db) => {
    const made = await call(t, 'POST', '/api/v1/templates', {
      name: 'preview-me',
      body: 'Hi. Reply STOP to opt out',
    });
    const before = await db.kysely.selectFrom('audit_events').select('id').execute();
    const body = await call(t, 'POST', `/api/v1/templates/${String(made.id)}/preview`, {
      phones: ['+14155550183'],
    });
    expect(body.items).toEqual([expect.objectContaining({ ok: true })]);
    expect(await db.kysely.selectFrom('audit_events').select('id').execute()).toEqual(before);
  },
  // Flows: validate and simulate change nothing; an event's runs are recorded as
  // flow.run.started events (the trigger is a send of data, like a message, not a configuration change).
  'POST /api/v1/flows/validate': async (t, _ids, db) => {
    const before = await db.kysely.selectFrom('audit_events').select('id').execute();
    const body = await call(t, 'POST', '/api/v1/flows/validate', {
      definition: {
        trigger: { type: 'api_event', event: 'x' },
        steps: [{ id: 'w', type: 'wait', seconds: 60 }],
      },
    });
    expect(body.ok).toBe(true);
    expect(await db.kysely.selectFrom('audit_events').select('id').execute()).toEqual(before);
  },
  'POST /api/v1/flows/:id/simulate': async (t, _ids, db) => {
    const flow = await call(t, 'POST', '/api/v1/flows', {
      name: 'simulated',
      definition: {
        trigger: { type: 'api_event', event: 'sim' },
        steps: [{ id: 'w', type: 'wait', seconds: 60 }],
      },
    });
    const before = await db.kysely.selectFrom('audit_events').select('id').execute();
    const body = await call(t, 'POST', `/api/v1/flows/${String(flow.id)}/simulate`, {
      script: [],
      start: true,
    });
    expect(body.runs).toEqual([expect.objectContaining({ startedAtSeconds: 0 })]);
    expect(await db.kysely.selectFrom('audit_events').select('id').execute()).toEqual(before);
  },
  'POST /api/v1/flow-events': async (t, _ids, db) => {
    const flow = await call(t, 'POST', '/api/v1/flows', {
      name: 'on-event',
      status: 'active',
      definition: {
        trigger: { type: 'api_event', event: 'bought' },
        steps: [{ id: 'w', type: 'wait', seconds: 60 }],
      },
    });
    const body = await call(t, 'POST', '/api/v1/flow-events', {
      event: 'bought',
      phone: '+14155550184',
    });
    const runId = (body.runs as { runId: string }[])[0]?.runId;
    const events = await db.kysely
      .selectFrom('events')
      .select('payload')
      .where('type', '=', 'flow.run.started')
      .execute();
    expect(events.map((e) => JSON.parse(e.payload) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ flowId: flow.id, runId }),
    );
  },
  'POST /api/v1/messages/batch': async (t, ids) => {
    const body = await call(t, 'POST', '/api/v1/messages/batch', {
      messages: [{ channelConfigurationId: ids.channel2, to: '+14155550181', text: 'hello' }],
    });
    expect(body.accepted).toBe(1);
  },
};

/** The number's newest ledger entry was made through the API by this token. */
async function expectLedgerActor(db: Db, phone: string, tokenId: string, to: string) {
  const rows = await ledgerOf(db, phone);
  expect(rows.at(-1)).toMatchObject({ actor: tokenId, to_state: to });
}

async function audit(t: TestApp, headers: Record<string, string> = t.auth): Promise<Entry[]> {
  const res = await t.app.inject({ url: '/api/v1/audit?limit=200', headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: Entry[] }>().items;
}

describeEachDialect('every change is audited', ({ db }) => {
  it(
    'each mutating route writes an audit entry with names, or has its own record',
    {
      timeout: 60_000,
    },
    async () => {
      const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
      await t.app.ready();
      const me = await t.app.inject({ url: '/api/v1/me', headers: t.auth });
      const ids: Ids = { tokenId: me.json<{ token: { id: string } }>().token.id };

      const mutating = t.app.registeredRoutes
        .filter((r) => r.url.startsWith('/api') && !['GET', 'HEAD', 'OPTIONS'].includes(r.method))
        .map((r) => `${r.method} ${r.url}`);
      const covered = [...AUDITED.map(([route]) => route), ...Object.keys(RECORDED_ELSEWHERE)];
      for (const route of mutating) {
        expect(covered, `${route} changes state: audit it and add it to AUDITED`).toContain(route);
      }
      for (const route of covered) expect(mutating, `${route} is not a route`).toContain(route);

      for (const [route, run] of AUDITED) {
        const expected = await run(t, ids, db());
        const entries = await audit(t);
        const entry = entries.find(
          (e) => e.action === expected.action && e.resourceId === expected.resourceId,
        );
        expect(entry, `${route} left no ${expected.action} entry`).toBeDefined();
        expect(entry, route).toMatchObject({
          sandbox: expected.sandbox,
          actor: ids.tokenId,
          actorName: 'test',
          resourceName: expected.resourceName,
        });
      }

      // What the elsewhere-recorded routes need: a channel configuration to send through.
      const cred = await call(t, 'POST', '/api/v1/credentials', {
        name: 'sender',
        baseUrl: 'http://127.0.0.1:1',
        apiKey: 'SECRET-API-KEY-sender-0000',
      });
      const channel = await call(t, 'POST', '/api/v1/channel-configurations', {
        name: 'sends',
        credentialId: cred.id,
        sender: 'ACME',
      });
      ids.channel2 = String(channel.id);
      for (const [route, check] of Object.entries(RECORDED_ELSEWHERE)) {
        await check(t, ids, db()).catch((error: unknown) => {
          throw new Error(`${route}: ${String(error)}`);
        });
      }

      // No secret, and no URL path or query (a receiver's secret often lives there), in the log.
      const body = JSON.stringify(await audit(t));
      for (const secret of ['SECRET-API-KEY', 'SECRET-PATH', 'SECRET-QUERY', ids.webhookSecret!]) {
        expect(body).not.toContain(secret);
      }
      expect(body).not.toContain('14155550142');
      await t.app.close();
    },
  );

  it('shows changes outside any sandbox only to tokens valid in every sandbox', async () => {
    const t = await buildTestApp(db());
    await call(t, 'POST', '/api/v1/sandboxes', { name: 'eu' });
    const euToken = await call(t, 'POST', '/api/v1/tokens', { name: 'eu-only', sandbox: 'eu' });
    await call(t, 'POST', '/api/v1/tokens', { name: 'everywhere' });

    const global = await audit(t, { ...t.auth, 'x-sandbox-name': 'eu' });
    expect(global.map((e) => [e.action, e.resourceName, e.sandbox])).toEqual(
      expect.arrayContaining([
        ['sandbox.created', 'eu', null],
        ['admin_token.created', 'eu-only', 'eu'],
        ['admin_token.created', 'everywhere', null],
      ]),
    );
    const euOnly = await audit(t, {
      authorization: `Bearer ${String(euToken.token)}`,
      'x-sandbox-name': 'eu',
    });
    expect(euOnly.map((e) => [e.action, e.resourceName])).toEqual([
      ['admin_token.created', 'eu-only'],
    ]);
    // The token itself is never in the log.
    expect(JSON.stringify(global)).not.toContain(String(euToken.token));
    await t.app.close();
  });
});

interface NamedEntry extends Entry {
  actorKind: string | null;
  actorAddress: string | null;
}

describeEachDialect('audit entries name people', ({ db }) => {
  async function audited(t: TestApp, query: string): Promise<NamedEntry[]> {
    const res = await t.app.inject({ url: `/api/v1/audit?${query}`, headers: t.auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: NamedEntry[] }>().items;
  }

  it('names the user or token, where from and which fields; filters by person and resource', async () => {
    const t = await buildTestApp(db());
    const ada = await signIn(t, { name: 'Ada Lovelace', roles: { prod: ['owner'] } });
    const me = await t.app.inject({ url: '/api/v1/me', headers: t.auth });
    const tokenId = me.json<{ token: { id: string } }>().token.id;

    const byUser = await t.app.inject({
      method: 'POST',
      url: '/api/v1/lists',
      headers: ada.headers,
      payload: { name: 'vip' },
    });
    expect(byUser.statusCode, byUser.body).toBe(201);
    const userList = byUser.json<{ id: string; version: number }>();
    const edit = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/lists/${userList.id}`,
      headers: ada.headers,
      payload: { name: 'vip', description: 'best customers' },
    });
    expect(edit.statusCode, edit.body).toBe(200);
    const tokenList = await call(t, 'POST', '/api/v1/lists', { name: 'newsletter' });
    // Renamed later: the log keeps the name the user had when they acted.
    await t.db.kysely
      .updateTable('users')
      .set({ name: 'Ada King' })
      .where('id', '=', ada.userId)
      .execute();

    const hers = await audited(t, `actor=${ada.userId}&resourceType=list`);
    expect(hers.map((e) => [e.action, e.resourceId, e.fields])).toEqual([
      ['list.updated', userList.id, ['description']],
      ['list.created', userList.id, expect.arrayContaining(['name'])],
    ]);
    for (const e of hers) {
      expect(e).toMatchObject({
        actor: ada.userId,
        actorKind: 'user',
        actorName: 'Ada Lovelace',
        actorAddress: '127.0.0.1',
      });
    }
    const its = await audited(t, `actor=${tokenId}&resourceType=list`);
    expect(its.map((e) => [e.action, e.resourceId, e.actorKind, e.actorName])).toEqual([
      ['list.created', tokenList.id, 'token', 'test'],
    ]);
    const one = await audited(t, `resourceType=list&resourceId=${userList.id}&action=list.created`);
    expect(one.map((e) => [e.action, e.actorName])).toEqual([['list.created', 'Ada Lovelace']]);
    expect(await audited(t, 'resourceType=template')).toEqual([]);

    const tooLong = await t.app.inject({
      url: `/api/v1/audit?actor=${'x'.repeat(101)}`,
      headers: t.auth,
    });
    expect(tooLong.statusCode).toBe(400);
    await t.app.close();
  });

  it('a channel configuration or template update lists only the fields that changed', async () => {
    const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    const credential = await call(t, 'POST', '/api/v1/credentials', {
      name: 'infobip-main',
      baseUrl: 'http://127.0.0.1:1',
      apiKey: 'SECRET-API-KEY-0123456789',
      inboundNumber: '+14155550199',
    });
    const channel = { name: 'sms-alerts', credentialId: String(credential.id), sender: 'ACME' };
    const created = await call(t, 'POST', '/api/v1/channel-configurations', channel);
    // A form sends every field; only the sender differs.
    await call(t, 'PATCH', `/api/v1/channel-configurations/${String(created.id)}`, {
      ...channel,
      sender: 'ACME2',
    });
    const template = { name: 'welcome', body: 'Hi there. Reply STOP to opt out' };
    const tpl = await call(t, 'POST', '/api/v1/templates', template);
    await call(t, 'PATCH', `/api/v1/templates/${String(tpl.id)}`, {
      ...template,
      name: 'welcome-2',
    });
    const [channelEntry] = await audited(t, 'action=channel_configuration.updated');
    expect(channelEntry?.fields).toEqual(['sender']);
    const [templateEntry] = await audited(t, 'action=template.updated');
    expect(templateEntry?.fields).toEqual(['name']);
    await t.app.close();
  });

  it('still names the token of entries written before 0028', async () => {
    const t = await buildTestApp(db());
    const list = await call(t, 'POST', '/api/v1/lists', { name: 'legacy' });
    await t.db.kysely
      .updateTable('audit_events')
      .set({ actor_kind: null, actor_name: null, actor_address: null })
      .execute();
    const [entry] = await audited(t, `resourceId=${String(list.id)}`);
    expect(entry).toMatchObject({ actorKind: 'token', actorName: 'test', actorAddress: null });
    await t.app.close();
  });
});
