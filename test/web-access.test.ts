/**
 * The console's role-aware controls and issue 18's polish list, in Chromium against `tern demo`:
 * a token short of a permission sees the control disabled with the role it needs; Create / Save;
 * the opt-out example; a new sandbox in the switcher at once; delete dialogs naming dependants
 * before the first click; a bad number as a field error; the verify result said once; a
 * message's channel, provider id and seconds; every list page at 390 px without sideways scroll.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_OFFERS_FLOW, DEMO_PHONE, type RunningDemo } from '../src/demo.js';
import { go as goIn, useConsole, type ConsoleSession } from './helpers/console-browser.js';

let session: ConsoleSession | undefined;
let demo: RunningDemo;
let page: Page;
let base: string;

const go = (label: string) => goIn(page, label);

/** The API as the demo's token, or another. */
const call = <T>(method: string, path: string, body?: unknown, token?: string) =>
  session!.api<T>(method, `/api${path}`, body, token ? { token } : undefined);

useConsole('web-access', {}, async (started) => {
  session = started;
  ({ demo, page, base } = session);
  await page.goto(demo.consoleUrl);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
});

describe('console polish (issue 18)', { timeout: 30_000 }, () => {
  it('labels the credential form Create or Save, and gives opt-out words as the example', async () => {
    await page.goto(`${base}/credentials/new`);
    await page.getByRole('heading', { name: 'Create API credentials' }).waitFor();
    expect(await page.getByRole('button', { name: 'Create', exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Submit' }).count()).toBe(0);
    const optOut = await page
      .getByLabel('Opt-out keywords', { exact: true })
      .getAttribute('placeholder');
    expect(optOut).toContain('STOP');
    expect(optOut).toContain('UNSUBSCRIBE');
    expect(optOut).not.toMatch(/START|YES/);

    await page.goto(`${base}/credentials/${demo.credentialId}`);
    await page.getByRole('button', { name: 'Save', exact: true }).waitFor();
  });

  it('says the verify result once', async () => {
    await page.getByRole('button', { name: 'Verify connection' }).click();
    const result = page.locator('.verify-result');
    await expect.poll(() => result.textContent()).toContain('Connected');
    const text = (await result.textContent()) ?? '';
    expect(text.match(/Connected/g)).toHaveLength(1);
  });

  it('names the channel configurations in the credential delete dialog before any click', async () => {
    const channels = await call<{ items: { name: string; credentialId: string }[] }>(
      'GET',
      '/v1/channel-configurations?limit=100',
    );
    const names = channels.items
      .filter((c) => c.credentialId === demo.credentialId)
      .map((c) => c.name);
    expect(names.length).toBeGreaterThan(0);
    await go('API credentials');
    await page
      .getByRole('button', { name: /^Delete / })
      .first()
      .click();
    const dialog = page.getByRole('dialog');
    for (const name of names) await dialog.getByText(name, { exact: true }).waitFor();
    await dialog
      .getByRole('button', {
        name: `Delete credentials and ${names.length} channel configurations`,
      })
      .waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('names the flows using a template in its delete dialog before any click', async () => {
    const template = await call<{ name: string }>(
      'GET',
      `/v1/templates/${demo.offers.followUpTemplateId}`,
    );
    await go('Templates');
    await page.getByRole('button', { name: `Delete ${template.name}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('listitem').filter({ hasText: DEMO_OFFERS_FLOW }).waitFor();
    expect(await dialog.textContent()).toContain('Flows');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('shows an invalid number in "Open number" as a field error, keeping the page', async () => {
    await go('Profiles');
    await page.getByLabel('Phone number').fill('12');
    await page.getByRole('button', { name: 'Open number' }).click();
    const error = page.locator('#profile-phone-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/international format/);
    expect(await page.getByLabel('Phone number').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('heading', { name: 'Profiles', exact: true }).count()).toBe(1);
  });

  it("shows a message's channel configuration, provider id, last provider error and seconds", async () => {
    const channel = await call<{ name: string }>(
      'GET',
      `/v1/channel-configurations/${demo.channelIds.transactional}`,
    );
    const sent = await call<{ id: string }>('POST', '/v1/messages', {
      channelConfigurationId: demo.channelIds.transactional,
      to: DEMO_PHONE,
      text: 'Your code is 123456',
    });
    await expect
      .poll(
        async () =>
          (await call<{ message: { status: string } }>('GET', `/v1/messages/${sent.id}`)).message
            .status,
        { timeout: 15_000 },
      )
      .toBe('delivered');
    await page.goto(`${base}/messages/${sent.id}`);
    await page.getByRole('heading', { name: `Message to ${DEMO_PHONE}` }).waitFor();
    await expect.poll(() => page.getByTestId('message-channel').textContent()).toBe(channel.name);
    expect(await page.getByTestId('provider-message-id').textContent()).toBe(sent.id);
    expect(await page.getByTestId('last-provider-error-fact').textContent()).toBe('—');
    // hh:mm:ss on the status history.
    expect(await page.locator('.timeline-at').first().textContent()).toMatch(/\d:\d\d:\d\d/);
    await go('Messages');
    const row = page.getByRole('row', { name: /Your code is 123456/ });
    await row.waitFor();
    expect(await row.textContent()).toContain(channel.name);
    expect(await row.textContent()).toMatch(/\d:\d\d:\d\d/);
  });

  it('shows a new sandbox in the switcher without a reload', async () => {
    await go('Settings');
    await page.getByLabel('New sandbox').fill('staging');
    await page.getByRole('button', { name: 'Create sandbox' }).click();
    await page.getByRole('cell', { name: 'staging', exact: true }).waitFor();
    const switcher = page.locator('.sandbox-switch select');
    await expect.poll(() => switcher.locator('option').allTextContents()).toContain('staging');
  });

  it('fits every list page in 390 px, its main action in reach', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const pages: [string, string, string?][] = [
      ['/', 'Dashboard'],
      ['/credentials', 'API credentials', 'Create API credentials'],
      ['/channels', 'Channel configurations', 'Create channel configuration'],
      ['/profiles', 'Profiles'],
      ['/segments', 'Segments', 'Create segment'],
      ['/lists', 'Lists', 'Create list'],
      ['/templates', 'Templates', 'Create template'],
      ['/campaigns', 'Campaigns', 'New campaign'],
      ['/flows', 'Flows', 'Create flow'],
      ['/policy', 'Send-time policy', 'Add rule'],
      ['/messages', 'Messages', 'Send test message'],
      ['/inbound', 'Inbound'],
      ['/settings', 'Settings'],
    ];
    const wide: string[] = [];
    try {
      for (const [path, heading, action] of pages) {
        await page.goto(`${base}${path}`);
        await page.getByRole('heading', { name: heading, exact: true, level: 1 }).waitFor();
        await page.waitForTimeout(150);
        const width = await page.evaluate<number>('document.documentElement.scrollWidth');
        if (width > 390) wide.push(`${path}: ${width}px`);
        if (action) {
          const control = page.getByText(action, { exact: true }).first();
          const box = await control.boundingBox();
          expect(box, `${path}: ${action}`).not.toBeNull();
          expect((box?.x ?? 0) + (box?.width ?? 0), `${path}: ${action}`).toBeLessThanOrEqual(390);
        }
      }
    } finally {
      await page.setViewportSize({ width: 1366, height: 860 });
    }
    expect(wide).toEqual([]);
  });
});

describe('role-aware controls', { timeout: 30_000 }, () => {
  it('disables instance-wide controls for a token limited to one sandbox, saying why', async () => {
    const limited = await call<{ token: string }>('POST', '/v1/tokens', {
      name: 'prod only',
      sandbox: 'prod',
    });
    const me = await call<{ permissions: string[] }>('GET', '/v1/me', undefined, limited.token);
    expect(me.permissions).not.toContain('instance');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').fill(limited.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await go('Settings');
    const reason = 'Needs an instance administrator or an admin token valid in every sandbox';
    for (const name of ['Create sandbox', 'Create token']) {
      const button = page.getByRole('button', { name });
      await expect.poll(() => button.isDisabled(), { timeout: 5_000 }).toBe(true);
      expect(await button.getAttribute('title')).toBe(reason);
      // The reason is on screen too, and the button names it for a screen reader.
      const hint = await button.getAttribute('aria-describedby');
      expect(await page.locator(`[id="${hint}"]`).textContent()).toBe(reason);
      expect(await page.locator(`[id="${hint}"]`).isVisible()).toBe(true);
    }
    // Everything the sandbox's own permissions allow stays on.
    await go('Campaigns');
    await page.getByRole('link', { name: 'New campaign' }).waitFor();
  });
});
