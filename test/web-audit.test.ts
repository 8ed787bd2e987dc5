/**
 * The console's audit page in Chromium against `tern demo`: two tokens change lists, the page
 * names each with its kind and address, and the person and resource-id filters (kept in the
 * URL) narrow the rows to that person's or that resource's; a credential links to its history.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunningDemo } from '../src/demo.js';
import { go as goIn, useConsole, type ConsoleSession } from './helpers/console-browser.js';

let session: ConsoleSession | undefined;
let demo: RunningDemo;
let page: Page;
let base: string;

/** The API as the demo's token, or another. */
const call = <T>(method: string, path: string, body?: unknown, token?: string) =>
  session!.api<T>(method, `/api${path}`, body, token ? { token } : undefined);

const rows = () => page.locator('table[aria-label="Audit log"] tbody tr');
const rowTexts = async () => (await rows().allTextContents()).map((t) => t.replace(/\s+/g, ' '));

useConsole('web-audit', {}, async (started) => {
  session = started;
  ({ demo, page, base } = session);
  await page.goto(demo.consoleUrl);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
});

describe('audit page', { timeout: 30_000 }, () => {
  it('names who, from where and what; filters by person and by resource', async () => {
    const me = await call<{ token: { id: string; name: string } }>('GET', '/v1/me');
    const bob = await call<{ id: string; token: string }>('POST', '/v1/tokens', {
      name: 'auditor-bob',
      sandbox: 'prod',
    });
    const mine = await call<{ id: string }>('POST', '/v1/lists', { name: 'audit-mine' });
    const his = await call<{ id: string }>('POST', '/v1/lists', { name: 'audit-his' }, bob.token);
    await call('PATCH', `/v1/lists/${his.id}`, { description: 'from bob' }, bob.token);

    await goIn(page, 'Audit log');
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await expect.poll(rowTexts).toContainEqual(expect.stringContaining('audit-his'));
    const texts = await rowTexts();
    const hisRows = texts.filter((t) => t.includes('audit-his'));
    expect(hisRows).toHaveLength(2);
    for (const t of hisRows) {
      expect(t).toContain('auditor-bob token');
      expect(t).toMatch(/127\.0\.0\.1/);
    }
    expect(hisRows[0]).toContain('list.updated');
    expect(hisRows[0]).toContain('Fields: description');
    const mineRow = texts.find((t) => t.includes('audit-mine'));
    expect(mineRow).toContain(`${me.token.name} token`);
    expect(mineRow).toMatch(/127\.0\.0\.1/);
    // To the second.
    expect(mineRow).toMatch(/\d{1,2}:\d{2}:\d{2}/);

    await page.getByLabel('Person').selectOption({ label: 'auditor-bob (token)' });
    await expect.poll(() => new URL(page.url()).searchParams.get('actor')).toBe(bob.id);
    await expect.poll(async () => (await rowTexts()).length).toBe(2);
    for (const t of await rowTexts()) expect(t).toContain('auditor-bob');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Resource id').fill(mine.id);
    await expect.poll(async () => (await rowTexts()).length).toBe(1);
    expect((await rowTexts())[0]).toContain('audit-mine');
    expect(await page.getByLabel('Resource id').getAttribute('maxlength')).toBe('100');

    // The filters live in the URL: a reload (or a link) shows the same rows.
    await page.reload();
    await expect.poll(async () => (await rowTexts()).length).toBe(1);
    expect(await page.getByLabel('Resource id').inputValue()).toBe(mine.id);
  });

  it('links a credential to its audit history', async () => {
    await call('PATCH', `/v1/credentials/${demo.credentialId}`, { name: 'audited-credential' });
    await page.goto(`${base}/credentials/${demo.credentialId}`);
    await page.getByRole('main').getByRole('link', { name: 'Audit log' }).click();
    await expect
      .poll(() => new URL(page.url()).searchParams.get('resourceId'))
      .toBe(demo.credentialId);
    await expect.poll(async () => (await rowTexts()).length).toBeGreaterThan(0);
    for (const t of await rowTexts()) expect(t).toContain(demo.credentialId);
    expect((await rowTexts())[0]).toContain('credential.updated');
  });
});
