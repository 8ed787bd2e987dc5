/**
 * The console's Flows pages in a real browser (Debian's Chromium via playwright-core) against
 * `tern demo`'s Tern and simulator on SQLite: a flow built in the step-list editor (OFFERS, wait
 * a day, send a follow-up), a bad step's problem under its field, the simulate panel ("0 s
 * OFFERS": the follow-up at 1 d; "0 s OFFERS, 1 h STOP": none), and a real OFFERS texted through
 * the simulator showing its run's timeline on the profile page, then cancelled from the run page.
 *
 * TERN_SCREENSHOTS=1 also writes flow-editor and flow-run-profile into docs/screenshots/.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_INBOUND_NUMBER, type RunningDemo } from '../src/demo.js';
import {
  go as goIn,
  shot as shotOf,
  useConsole,
  type ConsoleSession,
} from './helpers/console-browser.js';

const FLOW = 'offers-nudge';
const FOLLOW_UP = 'Still keen? This week’s offers end on Sunday.';
const TEXTER = '+447911123401';

let session: ConsoleSession | undefined;
let demo: RunningDemo;
let page: Page;
let base: string;

const shot = (name: string, fullPage = false) => shotOf(page, name, fullPage);
const go = (label: string) => goIn(page, label);

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

/** A text from `phone` to the demo's number, through the simulator to Tern's inbound webhook. */
async function textFrom(phone: string, text: string): Promise<void> {
  const res = await fetch(`${demo.simulator.url ?? ''}/__sim/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: phone.slice(1), to: DEMO_INBOUND_NUMBER.slice(1), text }),
  });
  if (res.status !== 201) throw new Error(`simulator inbound: ${res.status} ${await res.text()}`);
}

const step = (n: number, type: string) => page.getByRole('group', { name: `Step ${n}: ${type}` });

useConsole(
  'web-flows',
  {
    viewport: { width: 1366, height: 900 },
    timezoneId: 'Europe/London',
  },
  async (started) => {
    session = started;
    ({ demo, page, base } = session);
    await api('POST', '/templates', {
      name: 'flow-follow-up',
      messageType: 'marketing',
      body: FOLLOW_UP,
    });
    await page.goto(demo.consoleUrl);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  },
  90_000,
);

describe('flows in Chromium', { timeout: 60_000 }, () => {
  let flowUrl = '';

  it('builds a flow as a list of steps: OFFERS, wait a day, send the follow-up', async () => {
    await go('Flows');
    await page.getByRole('heading', { name: 'Flows', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Create flow' }).first().click();
    await page.getByRole('heading', { name: 'Create flow' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill(FLOW);
    await page.getByLabel('Starts when').selectOption('keyword');
    await expect
      .poll(() => page.getByLabel('To the inbound number of').inputValue())
      .toBe(demo.credentialId);
    await page.getByLabel('Keyword', { exact: true }).fill('offers');
    await page
      .getByLabel('Channel configuration', { exact: true })
      .selectOption({ label: 'demo-marketing (marketing)' });

    await page.getByLabel('Add a step').selectOption('wait');
    const wait = step(1, 'Wait');
    // No wait of nothing: the API's problem shows under the duration as it is typed.
    await wait.getByLabel('Wait for').fill('0');
    await expect.poll(() => wait.getByRole('alert').textContent()).toMatch(/from 1 to/);
    expect(await wait.getByLabel('Wait for').getAttribute('aria-invalid')).toBe('true');
    await wait.getByLabel('Wait for').fill('1');
    await wait.getByLabel('Unit').selectOption('d');
    await expect.poll(() => wait.getByRole('alert').count()).toBe(0);

    await page.getByLabel('Add a step').selectOption('send');
    const send = step(2, 'Send a template');
    await send.getByLabel('Template').selectOption({ label: 'flow-follow-up (marketing)' });
    await page.getByLabel('Status').selectOption('active');
    await page.getByRole('button', { name: 'Create flow' }).click();
    await page.getByRole('heading', { name: `Edit ${FLOW}` }).waitFor();
    flowUrl = page.url();

    const flowId = flowUrl.split('/flows/')[1] ?? '';
    const stored = await api<{ version: number; status: string; definition: unknown }>(
      'GET',
      `/flows/${flowId}`,
    );
    expect(stored).toMatchObject({
      version: 1,
      status: 'active',
      definition: {
        trigger: { type: 'keyword', credentialId: demo.credentialId, keyword: 'OFFERS' },
        channelConfigurationId: demo.channelIds.marketing,
        steps: [
          { id: 'wait', type: 'wait', seconds: 86_400 },
          { id: 'send', type: 'send' },
        ],
      },
    });
  });

  it('refuses a bad step on save and names it under the field, saves versions, explains a stale save', async () => {
    await page.goto(flowUrl);
    const send = step(2, 'Send a template');
    await send.getByLabel('Step ID').fill('follow up!');
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await expect
      .poll(() => send.getByRole('alert').first().textContent())
      .toMatch(/letters, digits, _ or -/);
    expect(await send.getByLabel('Step ID').getAttribute('aria-invalid')).toBe('true');
    await send.getByLabel('Step ID').fill('follow-up');
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText('Saved as version 2').waitFor();
    const versions = page.getByRole('table', { name: 'Versions' });
    await versions.getByText('v2', { exact: true }).waitFor();
    expect(await versions.textContent()).toContain('wait (wait) → follow-up (send)');

    // Saved elsewhere meanwhile (version 3): the console's save is refused and explained.
    const flowId = flowUrl.split('/flows/')[1] ?? '';
    await api('PATCH', `/flows/${flowId}`, { status: 'paused' });
    await page.getByLabel('Sends per run at most').fill('2');
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText('Someone else saved this flow').waitFor();
    await page.getByRole('button', { name: 'Reload latest' }).click();
    await expect.poll(() => page.getByLabel('Status').inputValue()).toBe('paused');
    await page.getByLabel('Status').selectOption('active');
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText('Saved as version 4').waitFor();
    // Moving a step: the rows swap, and back.
    await page.getByRole('button', { name: 'Move step 2 up' }).click();
    await step(1, 'Send a template').waitFor();
    await page.getByRole('button', { name: 'Move step 1 down' }).click();
    await step(2, 'Send a template').waitFor();
    // A branch with an empty case: the problem shows on that case; removing the step clears it.
    await page.getByLabel('Add a step').selectOption('branch');
    const branch = step(3, 'Branch on the reply');
    await expect
      .poll(() => branch.getByRole('group', { name: 'Case 1' }).getByRole('alert').count())
      .toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Remove step 3' }).click();
    await expect.poll(() => branch.count()).toBe(0);
  });

  it('simulates OFFERS: the follow-up a day later; OFFERS then STOP: no follow-up', async () => {
    await page.goto(flowUrl);
    const script = page.getByLabel('Script');
    await script.fill('0 s OFFERS');
    await page.getByLabel('Consent at 0 s').selectOption('subscribed');
    await page.getByRole('button', { name: 'Simulate', exact: true }).click();
    const messages = page.getByRole('table', { name: 'Simulated messages' });
    const followUp = messages.getByRole('row').filter({ hasText: FOLLOW_UP });
    await followUp.waitFor();
    expect(await followUp.locator('td').first().textContent()).toBe('1 d');
    expect(await followUp.textContent()).toContain('would send');
    const timeline = page.getByRole('list', { name: 'Simulated timeline' });
    expect(await timeline.textContent()).toMatch(/1 d/);
    await shot('flow-editor', true);

    await script.fill('at 0 s the person texts OFFERS\nat 1 h the person texts STOP');
    await page.getByRole('button', { name: 'Simulate', exact: true }).click();
    await expect.poll(() => timeline.textContent()).toMatch(/1 h/);
    await expect.poll(() => page.getByTestId('simulation').textContent()).toMatch(/opted out/);
    expect(await page.getByTestId('simulation').textContent()).not.toContain(FOLLOW_UP);

    // A line the panel cannot read is named before anything is asked.
    await script.fill('tomorrow OFFERS');
    await page.getByRole('button', { name: 'Simulate', exact: true }).click();
    await expect.poll(() => page.locator('#sim-script-error').textContent()).toMatch(/Line 1/);

    // The person's number goes to the API, which names a bad one.
    await script.fill('0 s OFFERS');
    await page.getByLabel('As the person').fill('not a number');
    await page.getByRole('button', { name: 'Simulate', exact: true }).click();
    await expect.poll(() => page.locator('#sim-script-error').textContent()).toMatch(/phone/i);
    await page.getByLabel('As the person').fill('');
  });

  it('shows a real run’s timeline on the profile page after OFFERS, and cancels it', async () => {
    await textFrom(TEXTER, 'OFFERS');
    await page.goto(`${base}/profiles/${encodeURIComponent(TEXTER)}`);
    const runs = page.getByTestId('profile-runs');
    const run = runs.getByRole('listitem').filter({ hasText: FLOW });
    await run.waitFor({ timeout: 20_000 });
    const timeline = run.getByRole('list', { name: `Timeline of ${FLOW}` });
    await expect.poll(() => timeline.textContent(), { timeout: 20_000 }).toMatch(/wait/i);
    await shot('flow-run-profile', true);

    await run.getByRole('link', { name: FLOW }).click();
    await page.getByRole('heading', { name: new RegExp(`Run of ${FLOW} for`) }).waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
    await expect
      .poll(() => page.getByRole('list', { name: `Timeline of ${FLOW}` }).textContent())
      .toMatch(/cancel/i);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('ended');

    // The flow's runs list has it, ended.
    await page.goto(`${flowUrl}/runs`);
    const row = page.getByRole('row').filter({ hasText: TEXTER });
    await expect.poll(() => row.textContent()).toMatch(/ended/);
  });
});
