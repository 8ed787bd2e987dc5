/**
 * Keyword responses on the credential screen, in a real browser (Debian's Chromium via
 * playwright-core) against `tern demo` on SQLite: the demo's DISCOUNT keyword gets a template
 * reply and an action list, a bad action is named under its row, and a text of DISCOUNT to the
 * demo's number then gets the reply. TERN_SCREENSHOTS=1 writes keyword-responses.png.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_INBOUND_NUMBER, type RunningDemo } from '../src/demo.js';
import { shot, useConsole, type ConsoleSession } from './helpers/console-browser.js';

const PERSON = '+14155550166';

let session: ConsoleSession | undefined;
let demo: RunningDemo;
let page: Page;
let base: string;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${demo.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

useConsole(
  'web-keywords',
  { viewport: { width: 1366, height: 900 } },
  async (started) => {
    session = started;
    ({ demo, page, base } = session);
    await api('POST', '/templates', {
      name: 'discount-reply',
      messageType: 'transactional',
      body: 'Your code: SAVE10, {{ profile.attributes.tier | default: "friend" }}.',
    });
    await api('POST', '/lists', { name: 'Discount-seekers' });
    await page.goto(demo.consoleUrl);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  },
  90_000,
);

const card = () => page.getByRole('group', { name: /^DISCOUNT\b/ });

describe('keyword responses in Chromium', { timeout: 60_000 }, () => {
  it('shows a card per custom keyword on the credential screen', async () => {
    await page.goto(`${base}/credentials/${demo.credentialId}`);
    await page.getByRole('heading', { name: 'Keyword responses' }).waitFor();
    await card().waitFor();
    expect(await card().textContent()).toContain('recorded only');
  });

  it('names a bad action under its row, changing nothing', async () => {
    const c = card();
    await c
      .getByLabel('Reply with template')
      .selectOption({ label: 'discount-reply (transactional)' });
    await c.getByRole('button', { name: 'Add action' }).click();
    await c.getByLabel('Action 1 attribute name').fill('keywords');
    await c.getByLabel('Action 1 value', { exact: true }).fill('x');
    await c.getByRole('button', { name: 'Save response to DISCOUNT' }).click();
    const row = c.locator('li.action-row').first();
    await expect.poll(() => row.locator('.field-error').textContent()).toContain('kept by Tern');
    const listed = await api<{ items: unknown[] }>(
      'GET',
      `/credentials/${demo.credentialId}/keyword-responses`,
    );
    expect(listed.items.filter((r) => (r as { keyword: string }).keyword === 'DISCOUNT')).toEqual(
      [],
    );
  });

  it('saves a template reply and actions; texting DISCOUNT then gets the reply', async () => {
    const c = card();
    await c.getByLabel('Action 1 attribute name').fill('tier');
    await c.getByLabel('Action 1 value', { exact: true }).fill('gold');
    await c.getByRole('button', { name: 'Add action' }).click();
    await c.getByLabel('Action 2 type').selectOption('add_to_list');
    await c.getByLabel('Action 2 list').selectOption({ label: 'Discount-seekers' });
    await c.getByRole('button', { name: 'Save response to DISCOUNT' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved the response to DISCOUNT' }).waitFor();
    await shot(page, 'keyword-responses');

    const saved = await api<{ templateId: string; actions: { type: string }[]; version: number }>(
      'GET',
      `/credentials/${demo.credentialId}/keyword-responses/DISCOUNT`,
    );
    expect(saved.actions.map((a) => a.type)).toEqual(['set_attribute', 'add_to_list']);
    expect(saved.version).toBe(1);

    // The simulator's phone texts the demo's number; Tern answers from it.
    demo.simulator.injectInbound({
      from: PERSON.slice(1),
      to: DEMO_INBOUND_NUMBER.slice(1),
      text: 'discount',
    });
    await expect
      .poll(
        async () => {
          const messages = await api<{ items: { to: string; text: string }[] }>(
            'GET',
            `/messages?to=${encodeURIComponent(PERSON)}`,
          );
          return messages.items.map((m) => m.text);
        },
        { timeout: 15_000 },
      )
      .toContain('Your code: SAVE10, gold.');
  });
});
