/**
 * The admin console in a real browser: Debian's Chromium driven by playwright-core against a
 * real Tern and the Infobip simulator, both started by `tern demo`'s `startDemo`. Never
 * downloads a browser; without /usr/bin/chromium the suite fails and says how to install it.
 *
 * TERN_SCREENSHOTS=1 also writes the screenshots the README shows into docs/screenshots/.
 */
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_INBOUND_NUMBER, type RunningDemo } from '../src/demo.js';
import {
  go as goIn,
  shot as shotOf,
  useConsole,
  type ConsoleSession,
} from './helpers/console-browser.js';

const CUSTOMER = '+447911123457';

let session: ConsoleSession | undefined;
let demo: RunningDemo;
let context: BrowserContext;
let page: Page;
let base: string;

/** A port on which nothing listens (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const shot = (name: string) => shotOf(page, name);
/** The console's own navigation, as a click in the left rail would do it. */
const go = (label: string) => goIn(page, label);

useConsole('web', {}, (started) => {
  session = started;
  ({ demo, context, page, base } = session);
});

describe('admin console in Chromium', { timeout: 30_000 }, () => {
  it('serves the console and keeps API 404s as JSON', async () => {
    const html = await fetch(`${base}/credentials/some-id`, { headers: { accept: 'text/html' } });
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('<div id="root">');
    const api = await fetch(`${base}/api/v1/nope`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'route_not_found' } });
    // A non-browser client gets the JSON 404 for unknown paths too.
    expect((await fetch(`${base}/nope`, { headers: { accept: 'application/json' } })).status).toBe(
      404,
    );
  });

  it('signs in with an admin token', async () => {
    await page.goto(base);
    // Email and password come first; the token is the other way in.
    await page.getByRole('button', { name: 'Use an admin token' }).click();
    await page.getByLabel('Admin token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#signin-token-error').textContent()).toMatch(/token/i);
    await shot('sign-in');
    await page.getByLabel('Admin token').fill(demo.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  let credentialUrl = '';
  it('creates API credentials through the form, showing a server error next to its field', async () => {
    await go('API credentials');
    await page.getByRole('heading', { name: 'API credentials', exact: true }).waitFor();
    await shot('api-credentials');
    await page.getByRole('link', { name: 'Create API credentials' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('Acme UK');
    await page.getByLabel('API base URL').fill(demo.simulator.url ?? '');
    await page.getByLabel('API key', { exact: true }).fill('demo-api-key-0123456789');
    await page.getByLabel('Opt-in keywords', { exact: true }).fill('START, YES, JOIN');
    await expect.poll(() => page.locator('.chip', { hasText: 'JOIN' }).count()).toBe(1);
    // Mandatory opt-out words are shown, locked.
    await expect
      .poll(() => page.locator('.chip-locked').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringContaining('STOP')]));
    await page.getByLabel('Opt-out keywords', { exact: true }).fill('ARRET');
    await page.getByLabel('Opt-out message', { exact: true }).fill('Bye 👋 no more texts.');
    await expect
      .poll(() => page.locator('#cred-optOutMessage-hint').textContent())
      .toContain('Unicode');
    await page.getByLabel('DLT principal entity ID').fill('1101456789012');
    await page.getByLabel('DLT content template ID').fill('1107161234567');
    await page.getByLabel('Callback data').fill('tenant=acme');
    await page.getByLabel('Inbound number', { exact: true }).fill('+447860099111');
    await page.getByLabel('Custom inbound keywords', { exact: true }).fill('OFFERS, VIP');
    await page.getByLabel('Default inbound reply').fill('Thanks! Reply HELP for help.');
    await page.getByLabel('Opt out', { exact: false }).first().check();
    // Out of range: Tern refuses it, and the console shows why under the field.
    await page.getByLabel('Validity period (minutes)').fill('4320');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const error = page.locator('#cred-validityPeriod-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/48/);
    expect(await page.getByLabel('Validity period (minutes)').getAttribute('aria-invalid')).toBe(
      'true',
    );
    await shot('api-credentials-error');

    // A one-time code's 5 minutes: the console sends {amount: 5, timeUnit: MINUTES}.
    await page.getByLabel('Validity period (minutes)').fill('5');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit Acme UK' }).waitFor();
    credentialUrl = page.url();
    // The key is never shown again: only its mask, and the key input is empty.
    expect(await page.locator('.mask').textContent()).toBe('••••6789');
    expect(await page.getByLabel('API key', { exact: true }).inputValue()).toBe('');
    expect(await page.content()).not.toContain('demo-api-key-0123456789');
    // The two webhook URLs to paste into Infobip, with copy buttons.
    const urls = await page.locator('.webhook-url code').allTextContents();
    expect(urls).toHaveLength(2);
    expect(urls[0]).toMatch(/\/webhooks\/infobip\/.+\/inbound\//);
    expect(urls[1]).toMatch(/\/webhooks\/infobip\/.+\/reports\//);
    expect(await page.getByRole('button', { name: /^Copy / }).count()).toBe(2);
    // Fields came back as saved.
    expect(await page.getByLabel('Validity period (minutes)').inputValue()).toBe('5');
    expect(await page.getByLabel('Custom inbound keywords', { exact: true }).inputValue()).toBe(
      'OFFERS, VIP',
    );
    expect(await page.getByLabel('Opt-out keywords', { exact: true }).inputValue()).toBe('ARRET');
  });

  it('verifies the connection', async () => {
    await page.getByRole('button', { name: 'Verify connection' }).click();
    await expect.poll(() => page.locator('.verify-result').textContent()).toContain('Connected');
    // Each scope Tern uses, granted or missing (issue 13 item 1).
    expect(await page.locator('.verify-scopes li').allTextContents()).toEqual([
      expect.stringContaining('✓ send SMS'),
      expect.stringContaining('✓ send MMS'),
      expect.stringContaining('✓ look up uncertain SMS sends'),
      expect.stringContaining('✓ look up uncertain MMS sends'),
    ]);
    await shot('api-credentials-edit');
  });

  it('lists the credentials with the masked key, and searches', async () => {
    await go('API credentials');
    const row = page.getByRole('row', { name: /Acme UK/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('••••6789');
    expect(await row.textContent()).toContain('+447860099111');
    expect(await row.textContent()).toContain('5 minutes');
    await page.getByPlaceholder('Search by name').fill('acme');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
  });

  it('edits, and explains a stale-version conflict', async () => {
    await page.goto(credentialUrl);
    await page.getByLabel('Help message', { exact: true }).fill('Acme help: call 0800 000 000.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Changes saved.').waitFor();

    // Someone else saves in the meantime.
    const id = credentialUrl.split('/credentials/')[1]?.split('?')[0] ?? '';
    const res = await fetch(`${base}/api/v1/credentials/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${demo.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ helpMessage: 'Changed elsewhere.' }),
    });
    expect(res.status).toBe(200);
    await page.getByLabel('Help message', { exact: true }).fill('My late edit.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Someone else changed these credentials').waitFor();
    await page.getByRole('button', { name: 'Reload latest' }).click();
    await expect
      .poll(() => page.getByLabel('Help message', { exact: true }).inputValue())
      .toBe('Changed elsewhere.');
  });

  it('creates a channel configuration', async () => {
    await go('Channel configurations');
    await page.getByRole('link', { name: 'Create channel configuration' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('acme-alerts');
    await page.getByLabel('Description', { exact: true }).fill('Order alerts');
    await page.getByLabel('API credentials', { exact: true }).selectOption({ label: 'Acme UK' });
    await page.getByLabel('Sender', { exact: true }).fill('AcmeShop');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const row = page.getByRole('row', { name: /acme-alerts/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('Acme UK');
    await shot('channel-configurations');
  });

  it('deletes credentials through the bin icon, naming what depends on them', async () => {
    await go('API credentials');
    await page.getByRole('button', { name: 'Delete Acme UK' }).click();
    const dialog = page.getByRole('dialog');
    // Named as the dialog opens, before the first click (issue 18).
    await dialog.getByText('acme-alerts').waitFor();
    expect(await dialog.getByRole('button', { name: 'Delete', exact: true }).count()).toBe(0);
    await shot('api-credentials-delete');
    await dialog
      .getByRole('button', { name: /Delete credentials and 1 channel configuration/ })
      .click();
    await expect.poll(() => page.getByRole('row', { name: /Acme UK/ }).count()).toBe(0);
    await go('Channel configurations');
    await page.getByRole('row', { name: /demo-marketing/ }).waitFor();
    expect(await page.getByRole('row', { name: /acme-alerts/ }).count()).toBe(0);
  });

  it('sends a test message and sees it delivered', async () => {
    await go('Messages');
    await page.getByRole('button', { name: 'Send test message' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .getByLabel('Channel configuration')
      .selectOption({ label: 'demo-marketing (marketing)' });
    await dialog.getByLabel('To', { exact: true }).fill(CUSTOMER);
    await dialog.getByLabel('Text', { exact: true }).fill('Your weekly offers are here');
    await dialog.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('heading', { name: `Message to ${CUSTOMER}` }).waitFor();
    // Live: the detail follows the status without a reload.
    await page
      .locator('.page-header .badge', { hasText: 'delivered' })
      .waitFor({ timeout: 20_000 });
    expect(await page.locator('.timeline').textContent()).toMatch(/queued[\s\S]*delivered/);
    await shot('message-detail');
    await go('Messages');
    const row = page.getByRole('row', { name: /Your weekly offers/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('delivered');
    await shot('messages');
  });

  it('texts STOP from the virtual phone and sees the profile flip, live', async () => {
    await page.goto(`${base}/profiles/${encodeURIComponent(CUSTOMER)}`);
    await page.getByRole('heading', { name: CUSTOMER }).waitFor();
    const phone = await context.newPage();
    await phone.goto(demo.phoneUrl);
    await phone.locator('#number').fill(CUSTOMER.slice(1));
    await phone.locator('#number').press('Tab');
    // The phone fills "reply to" itself from its thread (polling each second): settle on ours.
    await expect
      .poll(async () => {
        await phone.locator('#to').fill(DEMO_INBOUND_NUMBER.slice(1));
        await phone.waitForTimeout(1200);
        return phone.locator('#to').inputValue();
      })
      .toBe(DEMO_INBOUND_NUMBER.slice(1));
    await phone.locator('#text').fill('STOP');
    await phone.getByRole('button', { name: 'Send' }).click();
    // The phone gets the opt-out reply.
    try {
      await phone.getByText('You are unsubscribed').waitFor({ timeout: 15_000 });
    } catch (error) {
      await phone.screenshot({ path: join(tmpdir(), 'tern-web-failure-phone.png') });
      throw error;
    }
    await phone.close();
    // The console, already open on the profile, flips without a reload.
    await page.locator('h1 .badge', { hasText: 'unsubscribed' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('.timeline').textContent()).toContain('keyword');
    await shot('profile');

    await go('Inbound');
    await page.getByRole('row', { name: /STOP/ }).waitFor();
    await shot('inbound');

    // The next marketing message to the number is suppressed.
    await go('Messages');
    await page.getByRole('button', { name: 'Send test message' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .getByLabel('Channel configuration')
      .selectOption({ label: 'demo-marketing (marketing)' });
    await dialog.getByLabel('To', { exact: true }).fill(CUSTOMER);
    await dialog.getByRole('button', { name: 'Send' }).click();
    await page.locator('.page-header .badge', { hasText: 'suppressed' }).waitFor();

    // A transactional one too, as `tern demo` step 3 says: after STOP only the opt-out
    // confirmation goes to the number (src/messages/consent-gate.ts).
    await go('Messages');
    await page.getByRole('button', { name: 'Send test message' }).click();
    const again = page.getByRole('dialog');
    await again
      .getByLabel('Channel configuration')
      .selectOption({ label: 'demo-transactional (transactional)' });
    await again.getByLabel('To', { exact: true }).fill(CUSTOMER);
    await again.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('heading', { name: `Message to ${CUSTOMER}` }).waitFor();
    await page.locator('.page-header .badge', { hasText: 'suppressed' }).waitFor();
    expect(await page.locator('.facts').textContent()).toContain('opted out');
  });

  it('flags a credential whose provider refuses connections, shows the error on the message and the dashboard, and warns about TERN_PUBLIC_URL for a real Infobip host', async () => {
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${demo.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (res.status >= 300)
        throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    };
    const port = await closedPort();
    const broken = await api<{ id: string }>('POST', '/credentials', {
      name: 'Broken base URL',
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: 'broken-api-key-0123456789',
    });
    const channel = await api<{ id: string }>('POST', '/channel-configurations', {
      name: 'broken-sms',
      credentialId: broken.id,
      messageType: 'transactional',
      sender: 'TERN',
    });
    const sentAt = Date.now();
    const message = await api<{ id: string }>('POST', '/messages', {
      channelConfigurationId: channel.id,
      to: '+447911123458',
      text: 'Your code is 123456',
    });
    // Flagged at the first failed attempt: well within a minute.
    await expect
      .poll(
        async () =>
          (await api<{ health: { problem: string | null } }>('GET', `/credentials/${broken.id}`))
            .health.problem,
        { timeout: 60_000 },
      )
      .toBe('connection_refused');
    console.log(`health flagged ${Date.now() - sentAt} ms after the send`);

    await go('API credentials');
    const row = page.getByRole('row', { name: /Broken base URL/ });
    await row.getByText('Connection refused').waitFor();
    // On every screen, naming the credential.
    const banner = page.getByTestId('going-live-banner');
    await banner.getByText(/Broken base URL/).waitFor();
    expect(await banner.textContent()).toContain('Connection refused');

    await page.goto(`${base}/messages/${message.id}`);
    await page.getByRole('heading', { name: 'Message to +447911123458' }).waitFor();
    await page.getByTestId('last-provider-error').waitFor();
    expect(await page.getByTestId('last-provider-error').textContent()).toMatch(
      /connection_refused: .*ECONNREFUSED/,
    );
    expect(await page.getByTestId('last-provider-error-fact').textContent()).toContain(
      'connection_refused',
    );
    await page.locator('.page-header .badge', { hasText: 'queued' }).waitFor();

    // The dashboard counts it as queued after provider errors, not as sent.
    await go('Dashboard');
    const tile = (label: string) =>
      page.locator('.tile', { has: page.getByText(label, { exact: true }) }).locator('.tile-value');
    await expect.poll(() => tile('Queued after provider errors').textContent()).toBe('1');
    const sent = Number(await tile('Sent (24 h)').textContent());
    const dashboard = await api<{ items: { status: string }[] }>('GET', '/messages?limit=200');
    expect(sent).toBe(
      dashboard.items.filter((m) => ['accepted', 'delivered', 'undeliverable'].includes(m.status))
        .length,
    );

    // A real Infobip host while TERN_PUBLIC_URL is http://127.0.0.1:…: warned on every screen
    // and on the credential.
    const real = await api<{ id: string; warnings: { code: string }[] }>('POST', '/credentials', {
      name: 'Real Infobip',
      baseUrl: 'https://abcd12.api.infobip.com',
      apiKey: 'real-looking-key-0123456789',
    });
    expect(real.warnings.map((w) => w.code)).toEqual([
      'public_url_not_reachable',
      'public_url_not_https',
    ]);
    await go('Inbound');
    await banner.getByText(/TERN_PUBLIC_URL .* Infobip cannot reach it/).waitFor();
    await page.goto(`${base}/credentials/${real.id}`);
    await page
      .getByTestId('credential-health')
      .getByText(/plain http/)
      .waitFor();

    await api('DELETE', `/credentials/${broken.id}?force=true`);
    await api('DELETE', `/credentials/${real.id}`);
    await go('Dashboard');
    await expect.poll(() => page.getByTestId('going-live-banner').count()).toBe(0);
  });

  it('asks before a #token= link replaces the session, naming both tokens', async () => {
    const created = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'link-token' }),
    });
    const other = (await created.json()) as { token: string };
    // (Run in the page: the browser's sessionStorage, typed here since tests have no DOM types.)
    interface Store {
      getItem(key: string): string | null;
      setItem(key: string, value: string): void;
    }
    const sessionToken = () =>
      page.evaluate(
        () =>
          (
            JSON.parse(
              (globalThis as unknown as { sessionStorage: Store }).sessionStorage.getItem(
                'tern.session',
              ) ?? '{}',
            ) as { token?: string }
          ).token,
      );
    // As a link opened from elsewhere: a new document in this tab (its sessionStorage kept).
    const open = async () => {
      await page.goto('about:blank');
      await page.goto(`${base}/#token=${encodeURIComponent(other.token)}`);
      const dialog = page.getByRole('dialog', { name: 'Switch admin token?' });
      await dialog.waitFor();
      await expect.poll(() => dialog.textContent()).toContain('link-token');
      await expect.poll(() => dialog.textContent()).toContain('demo console');
      // The token has left the address bar either way.
      expect(new URL(page.url()).hash).toBe('');
      return dialog;
    };

    // Keeping is the default (focused first): the session stays as it was.
    await (await open()).getByRole('button', { name: /^Keep/ }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await sessionToken()).toBe(demo.token);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    await (await open()).getByRole('button', { name: /^Switch/ }).click();
    await expect.poll(sessionToken).toBe(other.token);

    // The same token as the session's: nothing to ask.
    await page.evaluate(
      (token) =>
        (globalThis as unknown as { sessionStorage: Store }).sessionStorage.setItem(
          'tern.session',
          JSON.stringify({ token, sandbox: 'prod' }),
        ),
      demo.token,
    );
    await page.goto('about:blank');
    await page.goto(`${base}/#token=${encodeURIComponent(demo.token)}`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await sessionToken()).toBe(demo.token);
  });

  it('shows the dashboard and settings', async () => {
    await go('Dashboard');
    await expect.poll(() => page.locator('.tile').first().textContent()).toMatch(/^[1-9]/);
    await page.locator('.recharts-surface').first().waitFor();
    await shot('dashboard');
    // The range picker asks the stats endpoint again: daily buckets, the tiles relabelled.
    const sent24h = await page
      .locator('.tile', { has: page.getByText('Sent (24 h)', { exact: true }) })
      .locator('.tile-value')
      .textContent();
    await page.getByRole('button', { name: '7 d' }).click();
    const sent7d = page
      .locator('.tile', { has: page.getByText('Sent (7 d)', { exact: true }) })
      .locator('.tile-value');
    await expect.poll(() => sent7d.textContent()).toBe(sent24h);
    await page.getByRole('heading', { name: 'Messages per day (UTC)' }).waitFor();
    await page.getByRole('button', { name: '24 h' }).click();
    await go('Settings');
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    // Settings points at the audit log's own page.
    await page.getByRole('link', { name: 'open the audit log' }).click();
    await page
      .getByRole('row', { name: /credential/ })
      .first()
      .waitFor();
    // Entries name what changed and who changed it, not only their ids.
    await page
      .getByRole('row')
      .filter({ hasText: 'Acme UK' })
      .filter({ hasText: 'credential' })
      .filter({ hasText: 'demo console' })
      .first()
      .waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
