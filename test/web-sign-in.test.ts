/**
 * People signing in to the console in a real browser (Debian's Chromium via playwright-core)
 * against `tern demo`'s Tern on SQLite: an invitation link accepted with a new password lands
 * on the dashboard signed in; sign-out ends the session; email and password sign in again; a
 * write through the cookie session passes CSRF; a viewer sees write controls off with the reason.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { go, useConsole, type ConsoleSession } from './helpers/console-browser.js';

let session: ConsoleSession | undefined;
let page: Page;
let base: string;

const call = <T>(method: string, path: string, body?: unknown) =>
  session!.api<T>(method, path, body);

/** An owner's invitation, as the API makes it; the link's path and token. */
async function invite(email: string, roles: string[]): Promise<string> {
  const { url } = await call<{ url: string }>('POST', '/api/v1/invitations', {
    email,
    name: email.split('@')[0],
    roles,
  });
  const link = new URL(url);
  expect(link.pathname).toBe('/accept-invitation');
  return `${base}/accept-invitation?token=${encodeURIComponent(link.searchParams.get('token') ?? '')}`;
}

const PASSWORD = 'a long enough passphrase 1';

async function signInWithPassword(email: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

useConsole(
  'web-sign-in',
  {},
  (started) => {
    session = started;
    ({ page, base } = session);
  },
  90_000,
);

describe('Signing in to the console in Chromium', { timeout: 120_000 }, () => {
  it('accepts an invitation with a new password and lands on the dashboard signed in', async () => {
    await page.goto(await invite('olga@example.test', ['operator']));
    await page.getByText('olga@example.test').waitFor();
    const offer = (await page.locator('main').textContent()) ?? '';
    expect(offer).toContain('prod');
    expect(offer).toContain('operator');
    // A short password is refused by the API, next to the field.
    await page.getByLabel('Choose a password').fill('short');
    await page.getByLabel('Repeat the password').fill('short');
    await page.getByRole('button', { name: 'Accept and sign in' }).click();
    await page.locator('#invite-password-error').waitFor();
    await page.getByLabel('Choose a password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Accept and sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    const me = await page.evaluate(async () => {
      const res = await fetch('/api/v1/me', { headers: { 'x-sandbox-name': 'prod' } });
      return (await res.json()) as { user: { email: string } | null; roles: string[] };
    });
    expect(me.user?.email).toBe('olga@example.test');
    expect(me.roles).toEqual(['operator']);
    // A reload resumes the cookie session (GET /auth/session), no token in the tab.
    await page.reload();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  });

  it('signs out, then in again with email and password, and a write passes CSRF', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    const after = await page.evaluate(async () => (await fetch('/auth/session')).status);
    expect(after).toBe(401);

    await page.getByLabel('Email').fill('olga@example.test');
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#signin-password-error').waitFor();
    await page.getByLabel('Password').fill('');
    await signInWithPassword('olga@example.test');

    await go(page, 'Templates');
    await page.getByRole('link', { name: 'Create template' }).click();
    await page.getByLabel('Name', { exact: true }).fill('olga-welcome');
    await page.getByLabel('Text', { exact: true }).fill('Hello from Olga');
    await page.getByRole('button', { name: 'Create template' }).click();
    await page.waitForURL(/\/templates\/[^/]+$/);
    const templates = await call<{ items: { name: string }[] }>('GET', '/api/v1/templates');
    expect(templates.items.map((t) => t.name)).toContain('olga-welcome');
    // Without the CSRF token the same cookie is refused.
    const bare = await page.evaluate(async () => {
      const res = await fetch('/api/v1/templates', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sandbox-name': 'prod' },
        body: JSON.stringify({ name: 'no-csrf', messageType: 'TEXT', text: 'x' }),
      });
      return res.status;
    });
    expect(bare).toBe(403);
  });

  it('shows a viewer the write control disabled with its reason', async () => {
    const link = await invite('vic@example.test', ['viewer']);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
    await page.goto(link);
    await page.getByLabel('Choose a password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Accept and sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await go(page, 'Templates');
    const button = page.getByRole('button', { name: 'Create template' });
    await expect.poll(() => button.isDisabled(), { timeout: 10_000 }).toBe(true);
    expect(await button.getAttribute('title')).toBe('Needs the operator or owner role');
  });
});
