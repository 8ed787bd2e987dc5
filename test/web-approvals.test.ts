/**
 * Approvals in the console (issue 18), in Chromium against `tern demo`: with the sandbox's
 * campaign threshold below a campaign's audience, confirming in the wizard says "Waiting for
 * approval" with who must approve and sends nothing; the campaign's page shows the pending
 * request; a second person (invited, signed in with a password) approves it through the API and
 * the campaign runs. Settings sets the threshold, and turning compliance approvals off waits too.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunningDemo } from '../src/demo.js';
import { useConsole, type Caller, type ConsoleSession } from './helpers/console-browser.js';

/** The campaign's audience: three subscribed numbers, above a threshold of 2. */
const PHONES = ['+447911003001', '+447911003002', '+447911003003'];

let session: ConsoleSession | undefined;
let demo: RunningDemo;
let page: Page;
let base: string;

/** A request to Tern as the demo's token, or with a person's session cookie and CSRF token. */
const call = <T>(method: string, path: string, body?: unknown, as?: Caller) =>
  session!.answer<T>(method, path, body, as);

interface Campaign {
  id: string;
  status: string;
  progress: { queued: number; recipients: number };
}

let campaignId: string;

useConsole(
  'web-approvals',
  {},
  async (started) => {
    session = started;
    ({ demo, page, base } = session);
    for (const phone of PHONES)
      await call('PUT', `/api/v1/profiles/${encodeURIComponent(phone)}/consent`, {
        consent: 'subscribed',
        note: 'web form',
      });
    const list = await call<{ id: string }>('POST', '/api/v1/lists', { name: 'approval-audience' });
    await call('POST', `/api/v1/lists/${list.body.id}/members`, { phones: PHONES });
    const draft = await call<Campaign>('POST', '/api/v1/campaigns', {
      name: 'Big send',
      audience: { listId: list.body.id },
      templateId: demo.offers.followUpTemplateId,
      channelConfigurationId: demo.channelIds.marketing,
      pacing: { perMinute: 600 },
    });
    campaignId = draft.body.id;
    await page.goto(demo.consoleUrl);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  },
  90_000,
);

describe('approvals in Chromium', { timeout: 60_000 }, () => {
  it('sets the campaign threshold on Settings; turning compliance approvals off waits for approval', async () => {
    await page.goto(`${base}/settings`);
    const threshold = page.getByLabel(/Campaigns larger than/);
    await threshold.waitFor();
    expect(await threshold.inputValue()).toBe('');
    await threshold.fill('2');
    await page.getByRole('button', { name: 'Save threshold' }).click();
    await page.getByText('Saved.').waitFor();
    const settings = await call<{ campaignApprovalAbove: number | null }>(
      'GET',
      '/api/v1/approval-settings',
    );
    expect(settings.body.campaignApprovalAbove).toBe(2);
    const compliance = page.getByLabel(/Compliance changes/);
    expect(await compliance.isChecked()).toBe(false);
    // On at once; off again waits for a second compliance person and says so.
    await compliance.click();
    await expect
      .poll(
        async () =>
          (await call<{ complianceApprovals: boolean }>('GET', '/api/v1/approval-settings')).body
            .complianceApprovals,
      )
      .toBe(true);
    await expect.poll(() => compliance.isChecked()).toBe(true);
    // (a click: the box stays ticked, since nothing changes until approved)
    await compliance.click();
    const notice = page.getByTestId('approval-notice');
    await notice.getByText('Sent for approval').waitFor();
    expect(await notice.textContent()).toContain('a second person with the compliance role');
    const after = await call<{ complianceApprovals: boolean }>('GET', '/api/v1/approval-settings');
    expect(after.body.complianceApprovals).toBe(true);
    await page.reload();
    expect(await page.getByLabel(/Compliance changes/).isChecked()).toBe(true);
  });

  it('waits for approval on confirm, sends nothing, and runs once a second person approves', async () => {
    await page.goto(`${base}/campaigns/${campaignId}/edit`);
    await page.getByRole('heading', { name: 'Draft: Big send' }).waitFor();
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Estimate' }).click();
    await page.getByTestId('estimate').waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Confirm and send' }).click();

    const notice = page.getByTestId('approval-notice');
    await notice.waitFor();
    const text = (await notice.textContent()) ?? '';
    expect(text).toContain('Waiting for approval');
    expect(text).toContain('a second person with the operator or owner role');
    expect(
      await notice.getByRole('link', { name: 'See the request' }).getAttribute('href'),
    ).toMatch(/^\/approvals#/);

    // Nothing was sent: the campaign is still a draft with nothing queued.
    const waiting = await call<Campaign>('GET', `/api/v1/campaigns/${campaignId}`);
    expect(waiting.body.status).toBe('draft');
    expect(waiting.body.progress.queued).toBe(0);
    const pending = await call<{ items: { id: string; kind: string }[] }>(
      'GET',
      `/api/v1/approvals?status=pending&resourceType=campaign&resourceId=${campaignId}`,
    );
    expect(pending.body.items.map((a) => a.kind)).toEqual(['campaign.confirm']);
    const approvalId = pending.body.items[0]?.id ?? '';

    // The campaign's page shows the request while it waits.
    await page.goto(`${base}/campaigns/${campaignId}`);
    await page.getByTestId('approval-notice').getByText('Waiting for approval').waitFor();

    // A second person: invited as operator, accepting with a password, approving with a cookie.
    const invited = await call<{ url: string }>('POST', '/api/v1/invitations', {
      email: 'olga@example.test',
      name: 'Olga Operator',
      roles: ['operator'],
    });
    const token = new URL(invited.body.url).searchParams.get('token') ?? '';
    const accepted = await fetch(`${base}/auth/invitations/${token}/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'a long enough passphrase 2' }),
    });
    expect(accepted.status).toBe(200);
    const cookie = accepted.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const { csrfToken } = (await accepted.json()) as { csrfToken: string };
    const approved = await call<{ status: string }>(
      'POST',
      `/api/v1/approvals/${approvalId}/approve`,
      {},
      { cookie, csrf: csrfToken },
    );
    expect(approved.body.status).toBe('approved');

    await expect
      .poll(
        async () => (await call<Campaign>('GET', `/api/v1/campaigns/${campaignId}`)).body.status,
      )
      .toMatch(/running|completed/);
    // The page follows: the notice goes once the campaign leaves draft.
    await page.reload();
    await page.getByRole('heading', { name: /Big send/ }).waitFor();
    await expect.poll(() => page.getByTestId('approval-notice').count()).toBe(0);
  });
});
