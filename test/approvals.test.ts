import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { newId } from '../src/ids.js';
import { phoneRegion } from '../src/phone.js';
import { describeEachDialect } from './helpers/databases.js';
import { startSendingStack, type SendingStack } from './helpers/sending.js';
import { signIn, type SignedIn } from './helpers/sessions.js';

type Json = Record<string, unknown>;
type Headers = Record<string, string>;

/** `count` subscribed profiles that texted OFFERS (+1415300xxxx). */
async function seed(db: Db, count: number, start = 0): Promise<void> {
  const at = '2026-11-01T00:00:00.000Z';
  const rows = Array.from({ length: count }, (_, i) => {
    const phone = `+1415${String(3000000 + start + i).padStart(7, '0')}`;
    return {
      sandbox: 'prod',
      id: newId(),
      phone,
      consent: 'subscribed',
      consent_updated_at: at,
      attributes: JSON.stringify({ keywords: { OFFERS: { count: 1, firstAt: at, lastAt: at } } }),
      created_at: at,
      updated_at: at,
      region: phoneRegion(phone),
    };
  });
  await db.kysely.insertInto('profiles').values(rows).execute();
}

function caller(s: SendingStack) {
  return async (
    as: Headers,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
  ) => {
    const res = await s.t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: as,
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, body: res.body ? res.json<Json>() : {} };
  };
}

async function campaignSetup(s: SendingStack, token: Headers) {
  const call = caller(s);
  const channel = await call(token, 'POST', '/channel-configurations', {
    name: 'promo',
    credentialId: s.credentialId,
    sender: 'TERNSHOP',
    messageType: 'marketing',
    marketingFooter: 'Reply STOP to opt out',
  });
  const segment = await call(token, 'POST', '/segments', {
    name: 'offers',
    rule: { all: [{ keyword: 'OFFERS' }, { consent: { in: ['subscribed'] } }] },
  });
  const template = await call(token, 'POST', '/templates', {
    name: 'spring',
    body: '20% off today only.',
    messageType: 'marketing',
  });
  expect([channel.status, segment.status, template.status]).toEqual([201, 201, 201]);
  return async (name: string) => {
    const created = await call(token, 'POST', '/campaigns', {
      name,
      audience: { segmentId: segment.body.id },
      templateId: template.body.id,
      channelConfigurationId: channel.body.id,
      pacing: { perSecond: 100 },
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };
}

async function campaignMessages(db: Db, campaignId: string): Promise<number> {
  const rows = await db.kysely
    .selectFrom('messages')
    .select('id')
    .where('campaign_id', '=', campaignId)
    .execute();
  return rows.length;
}

const person = (u: SignedIn): Headers => u.headers;

describeEachDialect('approvals', ({ db }) => {
  it('a large campaign waits for a second person; the requester, a viewer and a token cannot approve', async () => {
    const s = await startSendingStack(db());
    try {
      const call = caller(s);
      const token = s.t.auth;
      await seed(db(), 12);
      const newCampaign = await campaignSetup(s, token);
      const a = await signIn(s.t, { name: 'Ann', roles: { prod: ['operator'] } });
      const b = await signIn(s.t, { name: 'Bob', roles: { prod: ['operator'] } });
      const viewer = await signIn(s.t, { name: 'Vic', roles: { prod: ['viewer'] } });
      const compliance = await signIn(s.t, { name: 'Cy', roles: { prod: ['compliance'] } });

      // The threshold is the owner's: an operator may not set it.
      expect(
        (await call(person(a), 'PUT', '/approval-settings', { campaignApprovalAbove: 10 })).status,
      ).toBe(403);
      const set = await call(token, 'PUT', '/approval-settings', { campaignApprovalAbove: 10 });
      expect(set).toMatchObject({
        status: 200,
        body: { campaignApprovalAbove: 10, complianceApprovals: false },
      });

      const id = await newCampaign('Black Friday');
      const confirm = await call(person(a), 'POST', `/campaigns/${id}/confirm`, {});
      expect(confirm.status).toBe(202);
      const approval = confirm.body.approval as Json;
      expect(approval).toMatchObject({
        kind: 'campaign.confirm',
        status: 'pending',
        permission: 'send',
        resource: { type: 'campaign', id, name: 'Black Friday' },
        requestedBy: { kind: 'user', id: a.userId, name: 'Ann' },
      });
      // Nothing else changed: still a draft, nothing queued.
      expect((await call(token, 'GET', `/campaigns/${id}`)).body.status).toBe('draft');
      expect(await campaignMessages(db(), id)).toBe(0);
      // Confirming again while it waits is a conflict.
      expect((await call(person(a), 'POST', `/campaigns/${id}/confirm`, {})).status).toBe(409);
      const pending = await call(viewer.headers, 'GET', '/approvals?status=pending');
      expect((pending.body.items as Json[]).map((i) => i.id)).toEqual([approval.id]);

      const approve = (as: Headers) =>
        call(as, 'POST', `/approvals/${String(approval.id)}/approve`);
      const own = await approve(person(a));
      expect(own.status).toBe(403);
      expect(JSON.stringify(own.body)).toContain('nobody approves their own request');
      expect((await approve(person(viewer))).status).toBe(403);
      expect((await approve(person(compliance))).status).toBe(403);
      const byToken = await approve(token);
      expect(byToken.status).toBe(403);
      expect(JSON.stringify(byToken.body)).toContain('approvals need a person');
      expect(await campaignMessages(db(), id)).toBe(0);

      const approved = await approve(person(b));
      expect(approved).toMatchObject({
        status: 200,
        body: { status: 'approved', decidedBy: { id: b.userId, name: 'Bob' } },
      });
      const campaign = await call(token, 'GET', `/campaigns/${id}`);
      expect(campaign.body.status).toBe('running');
      expect(await campaignMessages(db(), id)).toBeGreaterThan(0);
      // Approved once: a second approval is a conflict.
      expect((await approve(person(b))).status).toBe(409);

      const audit = await db()
        .kysely.selectFrom('audit_events')
        .select(['action', 'actor'])
        .where('resource_id', 'in', [id, String(approval.id)])
        .orderBy('id')
        .execute();
      expect(audit.map((r) => r.action)).toEqual(
        expect.arrayContaining(['approval.requested', 'campaign.confirmed', 'approval.approved']),
      );
      // The confirm is the requester's; the approval the approver's.
      expect(audit.find((r) => r.action === 'campaign.confirmed')?.actor).toBe(a.userId);
      expect(audit.find((r) => r.action === 'approval.approved')?.actor).toBe(b.userId);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('rejected and cancelled requests change nothing; a small campaign goes straight through', async () => {
    const s = await startSendingStack(db());
    try {
      const call = caller(s);
      const token = s.t.auth;
      await seed(db(), 6);
      const newCampaign = await campaignSetup(s, token);
      const a = await signIn(s.t, { roles: { prod: ['operator'] } });
      const b = await signIn(s.t, { roles: { prod: ['operator'] } });
      await call(token, 'PUT', '/approval-settings', { campaignApprovalAbove: 5 });

      const id = await newCampaign('Spring');
      const first = (await call(person(a), 'POST', `/campaigns/${id}/confirm`, {})).body
        .approval as Json;
      expect(
        (await call(person(b), 'POST', `/approvals/${String(first.id)}/reject`, {})).status,
      ).toBe(400);
      const rejected = await call(person(b), 'POST', `/approvals/${String(first.id)}/reject`, {
        reason: 'not before the holidays',
      });
      expect(rejected.body).toMatchObject({
        status: 'rejected',
        reason: 'not before the holidays',
      });
      expect((await call(token, 'GET', `/campaigns/${id}`)).body.status).toBe('draft');

      const second = (await call(person(a), 'POST', `/campaigns/${id}/confirm`, {})).body
        .approval as Json;
      // Only the requester withdraws a request.
      expect((await call(person(b), 'POST', `/approvals/${String(second.id)}/cancel`)).status).toBe(
        403,
      );
      const cancelled = await call(person(a), 'POST', `/approvals/${String(second.id)}/cancel`);
      expect(cancelled.body).toMatchObject({ status: 'cancelled' });
      expect(
        (await call(person(b), 'POST', `/approvals/${String(second.id)}/approve`)).status,
      ).toBe(409);
      expect(await campaignMessages(db(), id)).toBe(0);

      await call(token, 'PUT', '/approval-settings', { campaignApprovalAbove: 100 });
      const small = await call(person(a), 'POST', `/campaigns/${id}/confirm`, {});
      expect(small).toMatchObject({ status: 200, body: { status: 'running' } });
      const listed = await call(token, 'GET', `/approvals?resourceType=campaign&resourceId=${id}`);
      expect((listed.body.items as Json[]).map((i) => i.status)).toEqual(['cancelled', 'rejected']);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('compliance changes wait for a second compliance person; a stale one fails with 409', async () => {
    const s = await startSendingStack(db());
    try {
      const call = caller(s);
      const token = s.t.auth;
      const c1 = await signIn(s.t, { name: 'Cleo', roles: { prod: ['compliance'] } });
      const c2 = await signIn(s.t, { name: 'Carl', roles: { prod: ['compliance'] } });
      const owner = await signIn(s.t, { roles: { prod: ['owner', 'operator'] } });

      // complianceApprovals is compliance's, not the owner's.
      expect(
        (await call(person(owner), 'PUT', '/approval-settings', { complianceApprovals: true }))
          .status,
      ).toBe(403);
      expect(
        (await call(person(c1), 'PUT', '/approval-settings', { complianceApprovals: true })).status,
      ).toBe(200);

      const consent = await call(person(c1), 'PATCH', '/sandboxes/prod', {
        consentPolicy: 'subscribed-only',
      });
      expect(consent.status).toBe(202);
      const consentApproval = consent.body.approval as Json;
      expect(consentApproval).toMatchObject({
        kind: 'sandbox.consent_policy',
        permission: 'compliance',
      });
      expect(await s.t.services.sandboxes.consentPolicy('prod')).toBe('not-unsubscribed');
      // An owner holds no compliance: they may not approve it.
      expect(
        (await call(person(owner), 'POST', `/approvals/${String(consentApproval.id)}/approve`))
          .status,
      ).toBe(403);
      const applied = await call(
        person(c2),
        'POST',
        `/approvals/${String(consentApproval.id)}/approve`,
      );
      expect(applied.body).toMatchObject({ status: 'approved' });
      expect(await s.t.services.sandboxes.consentPolicy('prod')).toBe('subscribed-only');

      // Two changes to one rule: the first approved moves its version, the second then fails.
      const one = await call(person(c1), 'PATCH', '/policy/rules/us-tx', { enabled: false });
      const two = await call(person(c1), 'PATCH', '/policy/rules/us-tx', {
        name: 'Texas, renamed',
      });
      expect([one.status, two.status]).toEqual([202, 202]);
      expect((await call(token, 'GET', '/policy/rules/us-tx')).body.enabled).toBe(true);
      const oneId = String((one.body.approval as Json).id);
      const twoId = String((two.body.approval as Json).id);
      expect((await call(person(c2), 'POST', `/approvals/${oneId}/approve`)).status).toBe(200);
      expect((await call(token, 'GET', '/policy/rules/us-tx')).body.enabled).toBe(false);
      const stale = await call(person(c2), 'POST', `/approvals/${twoId}/approve`);
      expect(stale.status).toBe(409);
      const failed = await call(token, 'GET', `/approvals/${twoId}`);
      expect(failed.body).toMatchObject({ status: 'failed' });
      expect(String(failed.body.reason)).toMatch(/changed since/);
      expect((await call(token, 'GET', '/policy/rules/us-tx')).body.name).not.toBe(
        'Texas, renamed',
      );

      // A credential's keyword settings wait too, and must come without its other settings.
      const mixed = await call(person(owner), 'PATCH', `/credentials/${s.credentialId}`, {
        name: 'renamed',
      });
      expect(mixed.status).toBe(200);
      const keywords = await call(person(c1), 'PATCH', `/credentials/${s.credentialId}`, {
        optOutKeywords: ['STOP', 'END'],
      });
      expect(keywords.status).toBe(202);
      expect(
        (
          await call(
            person(c2),
            'POST',
            `/approvals/${String((keywords.body.approval as Json).id)}/approve`,
          )
        ).status,
      ).toBe(200);
      const credential = await call(token, 'GET', `/credentials/${s.credentialId}`);
      expect(JSON.stringify(credential.body)).toContain('END');

      // Turning approvals off is itself a compliance change.
      const off = await call(person(c1), 'PUT', '/approval-settings', {
        complianceApprovals: false,
      });
      expect(off.status).toBe(202);
      expect((await call(token, 'GET', '/approval-settings')).body.complianceApprovals).toBe(true);
      const offId = String((off.body.approval as Json).id);
      expect((await call(person(c2), 'POST', `/approvals/${offId}/approve`)).status).toBe(200);
      expect((await call(token, 'GET', '/approval-settings')).body.complianceApprovals).toBe(false);
      expect(
        (await call(person(c1), 'PATCH', '/policy/rules/us-tx', { enabled: true })).status,
      ).toBe(200);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('a compliance change its service would refuse is answered 400 at once and waits for no one', async () => {
    const s = await startSendingStack(db());
    try {
      const call = caller(s);
      const token = s.t.auth;
      const c1 = await signIn(s.t, { name: 'Cleo', roles: { prod: ['compliance'] } });
      expect(
        (await call(person(c1), 'PUT', '/approval-settings', { complianceApprovals: true })).status,
      ).toBe(200);

      // A response to a keyword the credential does not have (its custom keywords are listed).
      const notCustom = await call(
        person(c1),
        'PUT',
        `/credentials/${s.credentialId}/keyword-responses/NOPE`,
        { templateId: null, actions: [{ type: 'set_attribute', name: 'x', value: 'y' }] },
      );
      expect(notCustom.status).toBe(400);
      expect(JSON.stringify(notCustom.body)).toContain('is not a custom inbound keyword');
      // A keyword in two categories.
      const twice = await call(person(c1), 'PATCH', `/credentials/${s.credentialId}`, {
        optInKeywords: ['START', 'STOP'],
      });
      expect(twice.status).toBe(400);
      expect(JSON.stringify(twice.body)).toContain('a keyword may sit in one category only');
      // A rule for a country that does not exist, new and as a change.
      const unknownCountry = await call(person(c1), 'PATCH', '/policy/rules/us-tx', {
        scope: { country: 'ZZ' },
      });
      expect(unknownCountry.status).toBe(400);
      expect(JSON.stringify(unknownCountry.body)).toContain('/scope/country');
      const missing = await call(person(c1), 'PATCH', '/policy/rules/no-such-rule', {
        enabled: false,
      });
      expect(missing.status).toBe(404);

      // None of them waits for approval, and nothing changed.
      const pending = await call(token, 'GET', '/approvals?status=pending');
      expect(pending.body.items).toEqual([]);
      expect((await call(token, 'GET', '/policy/rules/us-tx')).body.scope).toEqual({
        country: 'US',
        region: 'TX',
      });
    } finally {
      await s.close();
    }
  }, 120_000);
});
