/**
 * The People page in a real browser (Debian's Chromium via playwright-core) against `tern
 * demo`'s Tern on SQLite: a member who accepted an invitation is listed with their role, an
 * owner changes it (the API then answers with the new role), and the invite form shows the
 * invitation's link once.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunningDemo } from '../src/demo.js';
import { go, useConsole, type ConsoleSession } from './helpers/console-browser.js';

let session: ConsoleSession | undefined;
let demo: RunningDemo;
let page: Page;

/** The API as the demo's token, or nobody (`auth` false). */
const call = <T>(method: string, path: string, body?: unknown, auth = true) =>
  session!.api<T>(method, path, body, auth ? undefined : 'anonymous');

interface Member {
  email: string;
  roles: string[];
}
const members = async () => (await call<{ items: Member[] }>('GET', '/api/v1/members')).items;

useConsole(
  'web-people',
  {},
  async (started) => {
    session = started;
    ({ demo, page } = session);
    // A second person, in the real way: invited, then accepting with a password.
    const invited = await call<{ url: string }>('POST', '/api/v1/invitations', {
      email: 'vera@example.test',
      name: 'Vera Viewer',
      roles: ['viewer'],
    });
    const token = new URL(invited.url).searchParams.get('token') ?? '';
    await call(
      'POST',
      `/auth/invitations/${token}/accept`,
      { password: 'a long enough passphrase 1' },
      false,
    );
    await page.goto(demo.consoleUrl);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  },
  90_000,
);

const row = (text: string) =>
  page.getByRole('table', { name: 'People' }).getByRole('row').filter({ hasText: text });

describe('People in Chromium', { timeout: 60_000 }, () => {
  it('lists a member with their roles and how they sign in', async () => {
    await go(page, 'People');
    await page.getByRole('heading', { name: 'People', exact: true }).waitFor();
    const vera = row('vera@example.test');
    await vera.waitFor();
    const text = (await vera.textContent()) ?? '';
    expect(text).toContain('Vera Viewer');
    expect(text).toContain('viewer');
    expect(text).toContain('password');
  });

  it('changes a role with the checkboxes', async () => {
    await row('vera@example.test').getByRole('button', { name: 'Change roles' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roles of Vera Viewer' });
    // Each role says what it may do.
    expect(await dialog.textContent()).toContain('Alone edits keywords');
    await dialog.getByRole('checkbox', { name: /^operator/ }).check();
    await dialog.getByRole('checkbox', { name: /^viewer/ }).uncheck();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect
      .poll(async () => (await row('vera@example.test').textContent()) ?? '')
      .toContain('operator');
    const vera = (await members()).find((m) => m.email === 'vera@example.test');
    expect(vera?.roles).toEqual(['operator']);
  });

  it('invites a person and shows the link once to copy', async () => {
    const form = page.getByRole('region', { name: 'Invite a person' });
    await form.getByLabel('Email').fill('cora@example.test');
    await form.getByRole('checkbox', { name: /^compliance/ }).check();
    await form.getByRole('button', { name: 'Invite' }).click();
    const link = form.getByRole('status');
    await link.waitFor();
    const text = (await link.textContent()) ?? '';
    expect(text).toContain('cora@example.test');
    expect(text).toMatch(/https?:\/\/\S+/);
    expect(await form.getByRole('button', { name: 'Copy the invitation link' }).count()).toBe(1);
    // The link is the real one: it names Cora's invitation.
    const url = (await link.locator('code').textContent()) ?? '';
    const token = new URL(url).searchParams.get('token') ?? '';
    const described = await call<{ email: string }>(
      'GET',
      `/auth/invitations/${token}`,
      undefined,
      false,
    );
    expect(described.email).toBe('cora@example.test');
  });
});
