/**
 * The send-time policy in the console, in a real browser (Debian's Chromium via playwright-core,
 * never downloaded) against `tern demo`'s Tern and simulator on SQLite: the shipped rules with
 * their sources, a custom rule the server refuses naming the interval, a dry run for a Florida
 * number after 20:00 Eastern, a held message's hold on its detail page and the campaign
 * estimate's count held per rule.
 *
 * The browser runs in America/New_York, so the dry run's "sent at" and the dates shown are
 * Eastern whatever the machine's zone. TERN_SCREENSHOTS=1 also writes policy-rules and
 * policy-dry-run into docs/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunningDemo } from '../src/demo.js';
import {
  go as goIn,
  shot as shotOf,
  useConsole,
  type ConsoleSession,
} from './helpers/console-browser.js';

const EASTERN = 'America/New_York';
/** A Miami number (area code 305): Florida, Eastern time, by the area code alone. */
const MIAMI = '+13055550142';
const FLORIDA_RULE = 'Florida (FTSA) hours';

let session: ConsoleSession | undefined;
let demo: RunningDemo;
let page: Page;
let base: string;

const go = (label: string) => goIn(page, label);

/** A README screenshot of the page, or of one part of it (TERN_SCREENSHOTS=1 only). */
async function shot(name: string, target?: Locator): Promise<void> {
  if (!target) return shotOf(page, name);
  if (process.env.TERN_SCREENSHOTS !== '1') return;
  const dir = join(resolve(import.meta.dirname, '..'), 'docs/screenshots');
  mkdirSync(dir, { recursive: true });
  await page.waitForTimeout(300);
  await target.screenshot({ path: join(dir, `${name}.png`) });
}

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

/** The hour of `date` in Eastern time (0–23). */
function easternHour(date: Date): number {
  return Number(
    new Intl.DateTimeFormat('en', { timeZone: EASTERN, hour: '2-digit', hourCycle: 'h23' }).format(
      date,
    ),
  );
}

/** Tomorrow's date in Eastern time, `YYYY-MM-DD` (a datetime-local input's date part). */
function easternTomorrow(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: EASTERN }).format(
    new Date(Date.now() + 24 * 3600_000),
  );
}

const hhmm = (h: number) => `${String(h).padStart(2, '0')}:00`;

useConsole(
  'web-policy',
  {
    viewport: { width: 1366, height: 900 },
    timezoneId: EASTERN,
  },
  async (started) => {
    session = started;
    ({ demo, page, base } = session);
    await api('PUT', `/profiles/${encodeURIComponent(MIAMI)}/consent`, {
      consent: 'subscribed',
      note: 'web form',
    });
    await page.goto(demo.consoleUrl);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  },
  90_000,
);

const rulesTable = () => page.getByRole('table', { name: 'Send-time policy' });
const ruleRow = (name: string) => rulesTable().getByRole('row').filter({ hasText: name });

describe('send-time policy in Chromium', { timeout: 60_000 }, () => {
  it('lists the shipped rules, the Florida window with its source and date', async () => {
    await go('Send-time policy');
    await page.getByRole('heading', { name: 'Send-time policy', exact: true }).waitFor();
    const florida = ruleRow(FLORIDA_RULE);
    await florida.waitFor();
    const text = (await florida.textContent()) ?? '';
    expect(text).toContain('shipped');
    expect(text).toContain('Every day 08:00–20:00');
    expect(text).toContain('§501.059');
    expect(text).toMatch(/from \d{4}-\d{2}-\d{2}/);
    // The federal window and the Texas Sunday rule read per weekday.
    expect(await ruleRow('TCPA').textContent()).toContain('Every day 08:00–21:00');
    const texas = (await ruleRow('Texas').textContent()) ?? '';
    expect(texas).toContain('Mon–Sat 09:00–21:00');
    expect(texas).toContain('Sun 12:00–21:00');
    await shot('policy-rules');
  });

  it('adds a custom rule: an end before its start is named under that interval', async () => {
    await page.getByRole('button', { name: 'Add rule' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a send-time rule' });
    await dialog.getByLabel('Name', { exact: true }).fill('New York store hours');
    await dialog.getByLabel('State or region').fill('NY');
    await dialog.getByLabel('Source', { exact: true }).fill('Our own policy');
    await dialog.getByLabel('Mon until', { exact: true }).fill('07:00');
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    const error = dialog.locator('#rule-mon-0-end-error');
    await expect.poll(() => error.textContent()).toMatch(/\S/);
    expect(await dialog.getByLabel('Mon until', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    await dialog.getByLabel('Mon until', { exact: true }).fill('19:00');
    await dialog.getByRole('button', { name: 'Copy Monday to every day' }).click();
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Added “New York store hours”' }).waitFor();
    const row = ruleRow('New York store hours');
    expect(await row.textContent()).toContain('custom');
    expect(await row.textContent()).toContain('Every day 08:00–19:00');
  });

  it('dry-runs a marketing text to a Miami number at 20:30 Eastern: held until 08:00 by the Florida rule', async () => {
    await page.getByLabel('To', { exact: true }).fill(MIAMI);
    await page.getByLabel('Sent at').fill(`${easternTomorrow()}T20:30`);
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const result = page.getByTestId('policy-check-result');
    await expect
      .poll(() => result.getByTestId('policy-check-headline').textContent())
      .toMatch(/^Held until .*08:00 \(America\/New_York\)$/);
    expect(await result.getByTestId('policy-check-rule').textContent()).toContain(FLORIDA_RULE);
    expect(await result.getByTestId('policy-check-source').textContent()).toBe(
      "the number's area code",
    );
    expect(await result.getByTestId('policy-check-zone').textContent()).toBe(EASTERN);
    await shot('policy-dry-run', page.getByRole('region', { name: 'Dry run: when would it go?' }));
  });

  it("overrides the Florida rule to close now: a marketing text's detail shows its hold", async () => {
    // A window that excludes the present hour but lies inside 8–20, so the override decides.
    const h = easternHour(new Date());
    const start = h >= 8 && h < 18 ? h + 2 : 9;
    await page.getByRole('button', { name: `Override ${FLORIDA_RULE}` }).click();
    const dialog = page.getByRole('dialog', { name: /^Override/ });
    await dialog.getByLabel('Mon from', { exact: true }).fill(hhmm(start));
    await dialog.getByLabel('Mon until', { exact: true }).fill(hhmm(start + 1));
    await dialog.getByRole('button', { name: 'Copy Monday to every day' }).click();
    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await page.getByRole('status').filter({ hasText: 'overridden for this sandbox' }).waitFor();

    const sent = await api<{ id: string; scheduledFor: string; policy: { rule: string } | null }>(
      'POST',
      '/messages',
      { channelConfigurationId: demo.channelIds.marketing, to: MIAMI, text: 'Weekend sale' },
    );
    expect(sent.policy).not.toBeNull();
    await page.goto(`${base}/messages/${sent.id}`);
    const hold = page.getByTestId('policy-hold');
    await hold.waitFor();
    const text = (await hold.textContent()) ?? '';
    expect(text).toContain('Held by the send-time policy until');
    expect(text).toContain(FLORIDA_RULE);
    expect(text).toContain("the number's area code");
    expect(await page.locator('h1 + .badge, .page-header .badge').first().textContent()).toBe(
      'queued',
    );
  });

  it('shows in the campaign estimate how many recipients the Florida rule holds and when they go', async () => {
    const list = await api<{ id: string }>('POST', '/lists', { name: 'miami' });
    await api('POST', `/lists/${list.id}/members`, { phones: [MIAMI] });
    const template = await api<{ id: string }>('POST', '/templates', {
      name: 'weekend-sale',
      body: 'Weekend sale: 20% off',
      messageType: 'marketing',
    });
    const draft = await api<{ id: string }>('POST', '/campaigns', {
      name: 'Weekend sale',
      audience: { listId: list.id },
      templateId: template.id,
      channelConfigurationId: demo.channelIds.marketing,
      pacing: { perMinute: 30 },
    });
    await page.goto(`${base}/campaigns/${draft.id}/edit`);
    await page.getByRole('heading', { name: 'Draft: Weekend sale' }).waitFor();
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Estimate' }).click();
    await expect.poll(() => page.getByTestId('estimate-held').textContent()).toBe('1');
    const byRule = page.getByRole('table', { name: 'Held or dropped by rule' });
    const row = byRule.getByRole('row').filter({ hasText: FLORIDA_RULE });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/^Florida \(FTSA\) hours1held; go from /);
  });

  it('restores the Florida rule as shipped', async () => {
    await go('Send-time policy');
    await page.getByRole('button', { name: `Restore ${FLORIDA_RULE} as shipped` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('status').filter({ hasText: 'as Tern ships it' }).waitFor();
    await expect
      .poll(() => ruleRow(FLORIDA_RULE).first().textContent())
      .not.toContain('overridden');
  });

  it('disables a shipped rule for the sandbox, and deletes the custom one', async () => {
    await page.getByRole('button', { name: 'Disable Washington hours' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('status').filter({ hasText: 'is disabled' }).waitFor();
    const washington = ruleRow('Washington hours');
    await expect.poll(() => washington.textContent()).toContain('disabled');
    expect(await washington.textContent()).toContain('overridden here');
    const rules = await api<{ items: { id: string; enabled: boolean }[] }>('GET', '/policy/rules');
    expect(rules.items.find((r) => r.id === 'us-wa')?.enabled).toBe(false);

    await page.getByRole('button', { name: 'Delete New York store hours' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted' }).waitFor();
    await expect.poll(() => ruleRow('New York store hours').count()).toBe(0);
  });
});
