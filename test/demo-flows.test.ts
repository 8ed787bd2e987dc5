/**
 * The demo's OFFERS automation end to end, as a person sees it on the virtual phone: `tern demo`
 * (startDemo: SQLite in a temp folder, the simulator, the send worker and the flow runner) on a
 * clock where a flow's day lasts 2 s. Texting OFFERS brings the offers reply, puts the number on
 * the Offers list, subscribed, and a "day" later the follow-up; a number that texts STOP in
 * between gets the opt-out confirmation and no follow-up. A second start on the same folder
 * reuses what the first configured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_FOLLOW_UP_START,
  DEMO_INBOUND_NUMBER,
  DEMO_OFFERS_REPLY_START,
  startDemo,
  type RunningDemo,
} from '../src/demo.js';

/** A day in 2 s: long enough to text STOP in between, short enough for a test. */
const TIME_SCALE = 43_200;
const DAY_MS = (86_400 / TIME_SCALE) * 1000;
const KEEPER = '+447911200001';
const STOPPER = '+447911200002';

let dataDir: string;
let demo: RunningDemo;
let banner = '';

const start = () =>
  startDemo({
    port: 0,
    simulatorPort: 0,
    dataDir,
    out: new Writable({
      write(chunk: Buffer, _encoding, done) {
        banner += chunk.toString();
        done();
      },
    }),
    env: {
      LOG_LEVEL: 'silent',
      TERN_MAX_EVENT_LOOP_DELAY_MS: '0',
      TERN_FLOW_TIME_SCALE: String(TIME_SCALE),
    },
  });

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await demo.tern.app.inject({
    method: method as 'GET',
    url: `/api/v1${path}`,
    headers: { authorization: `Bearer ${demo.token}` },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`);
  return res.json<T>();
}

/** A text from the virtual phone `phone` to the demo's number (what its Send button posts). */
async function textFrom(phone: string, text: string): Promise<void> {
  const res = await fetch(`${demo.simulator.url ?? ''}/__sim/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: phone.slice(1), to: DEMO_INBOUND_NUMBER.slice(1), text }),
  });
  if (res.status !== 201) throw new Error(`simulator inbound: ${res.status} ${await res.text()}`);
}

interface PhoneItem {
  direction: 'sent' | 'received';
  at: number;
  text: string;
}

/** What the virtual phone shows for `phone` (the page polls this). */
async function thread(phone: string): Promise<PhoneItem[]> {
  const res = await fetch(
    `${demo.simulator.url ?? ''}/__sim/phone/conversation?number=${phone.slice(1)}`,
  );
  return (await res.json()) as PhoneItem[];
}

/** The first text `phone` received that starts with `start`, waiting up to `ms`. */
async function received(phone: string, start: string, ms = 15_000): Promise<PhoneItem> {
  const until = Date.now() + ms;
  for (;;) {
    const item = (await thread(phone)).find(
      (i) => i.direction === 'received' && i.text.startsWith(start),
    );
    if (item) return item;
    if (Date.now() > until) {
      throw new Error(
        `${phone} got no text starting "${start}": ${JSON.stringify(await thread(phone))}`,
      );
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}

interface FlowRunView {
  id: string;
  phone: string;
  status: string;
  endReason: string | null;
}

async function runsOf(phone: string): Promise<FlowRunView[]> {
  const page = await api<{ items: FlowRunView[] }>(
    'GET',
    `/flow-runs?flowId=${demo.offers.flowId}&phone=${encodeURIComponent(phone)}`,
  );
  return page.items;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tern-demo-flows-'));
  demo = await start();
}, 60_000);

afterAll(async () => {
  await demo?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the demo: OFFERS, the offers reply, the list, and a follow-up a day later', () => {
  it('says what to try, with the day the demo runs flows on', () => {
    expect(banner).toContain('Text OFFERS from the virtual phone');
    expect(banner).toContain('flows run a day in 2 seconds');
  });

  it('tells the truth about quiet hours: a +44 follow-up goes at 03:00, a US one waits for 08:00', async () => {
    const check = (to: string) =>
      api<{ action: string; scheduledFor: string | null }>('POST', '/policy/check', {
        to,
        messageType: 'marketing',
        at: '2026-12-02T03:00:00.000Z',
      });
    expect((await check(KEEPER)).action).toBe('send');
    // 03:00 UTC is 22:00 in New York: the federal window holds it until 08:00 there.
    const us = await check('+12125550123');
    expect(us.action).toBe('hold');
    expect(us.scheduledFor).toMatch(/^2026-12-02T13:/);
  });

  it(
    'answers OFFERS, adds the number to Offers subscribed, and follows up a day later unless STOP came in between',
    { timeout: 60_000 },
    async () => {
      const texted = Date.now();
      await textFrom(KEEPER, 'OFFERS');
      await textFrom(STOPPER, 'OFFERS');
      const reply = await received(KEEPER, DEMO_OFFERS_REPLY_START);
      expect(reply.text).toContain('Reply STOP to opt out');

      // The stopper's run has started (it waits its day); STOP, within the day, ends it. (Its
      // offers reply may still be queued then: the worker's consent check would suppress it.)
      await expect
        .poll(async () => (await runsOf(STOPPER)).map((r) => r.status), { timeout: 5000 })
        .toEqual(['active']);
      await textFrom(STOPPER, 'STOP');
      await expect
        .poll(async () => (await runsOf(STOPPER)).map((r) => [r.status, r.endReason]), {
          timeout: 5000,
        })
        .toEqual([['ended', 'opted_out']]);
      expect(Date.now() - texted).toBeLessThan(DAY_MS);
      await received(STOPPER, 'You are unsubscribed');

      // Both were added to the list and subscribed by the keyword's response; STOP then
      // unsubscribed one of them (the list keeps them: consent decides who is texted).
      const members = await api<{ items: { phone: string; consent: string }[] }>(
        'GET',
        `/lists/${demo.offers.listId}/members?limit=100`,
      );
      expect(members.items.map((m) => [m.phone, m.consent]).sort()).toEqual([
        [KEEPER, 'subscribed'],
        [STOPPER, 'unsubscribed'],
      ]);

      // A day later the follow-up reaches the one who stayed, on the marketing channel.
      const followUp = await received(KEEPER, DEMO_FOLLOW_UP_START, DAY_MS + 20_000);
      expect(followUp.at - texted).toBeGreaterThanOrEqual(DAY_MS);
      expect(followUp.text).toContain('Reply STOP to opt out');
      await expect
        .poll(async () => (await runsOf(KEEPER)).map((r) => [r.status, r.endReason]), {
          timeout: 5000,
        })
        .toEqual([['ended', 'completed']]);

      // A further day passes for the stopper, and no follow-up comes: only the offers reply (if
      // it left before the STOP) and the opt-out confirmation.
      await new Promise((done) => setTimeout(done, DAY_MS + 1000));
      const stopperTexts = (await thread(STOPPER))
        .filter((i) => i.direction === 'received')
        .map((i) => i.text);
      expect(stopperTexts.some((t) => t.startsWith(DEMO_FOLLOW_UP_START))).toBe(false);
      expect(stopperTexts.at(-1)).toMatch(/^You are unsubscribed/);
      expect(stopperTexts.length).toBeLessThanOrEqual(2);
    },
  );

  it('simulates the same conversation on a manual clock: the follow-up at a day, none after STOP', async () => {
    interface Simulated {
      messages: { atSeconds: number; kind: string; status: string; text: string | null }[];
      runs: { endReason: string | null }[];
    }
    const simulate = (script: { atSeconds: number; text: string }[]) =>
      api<Simulated>('POST', `/flows/${demo.offers.flowId}/simulate`, { script });
    const stays = await simulate([{ atSeconds: 0, text: 'OFFERS' }]);
    expect(stays.messages.filter((m) => m.kind === 'flow')).toEqual([
      expect.objectContaining({ atSeconds: 86_400, status: 'would_send' }),
    ]);
    expect(stays.messages.find((m) => m.kind === 'flow')?.text).toMatch(
      new RegExp(`^${DEMO_FOLLOW_UP_START}`),
    );
    expect(stays.runs.map((r) => r.endReason)).toEqual(['completed']);
    // The keyword's response is played too: its reply at once, then the follow-up a day later.
    expect(stays.messages.map((m) => [m.atSeconds, m.kind])).toEqual([
      [0, 'reply'],
      [86_400, 'flow'],
    ]);
    expect(stays.messages[0]?.text).toMatch(new RegExp(`^${DEMO_OFFERS_REPLY_START}`));
    const stops = await simulate([
      { atSeconds: 0, text: 'OFFERS' },
      { atSeconds: 3600, text: 'STOP' },
    ]);
    expect(stops.messages.filter((m) => m.kind === 'flow')).toEqual([]);
    expect(stops.runs.map((r) => r.endReason)).toEqual(['opted_out']);
    expect(stops.messages.map((m) => [m.atSeconds, m.kind])).toEqual([
      [0, 'reply'],
      [3600, 'reply'],
    ]);
  });

  it(
    'reuses its list, templates, keyword response and flow when started again',
    { timeout: 60_000 },
    async () => {
      const first = demo.offers;
      await demo.close();
      demo = await start();
      expect(demo.offers).toEqual(first);
      const lists = await api<{ items: { name: string }[] }>('GET', '/lists?name=Offers');
      expect(lists.items.filter((l) => l.name === 'Offers')).toHaveLength(1);
      const flows = await api<{ items: { name: string; status: string }[] }>('GET', '/flows');
      expect(flows.items.filter((f) => f.name === 'Offers follow-up')).toEqual([
        expect.objectContaining({ status: 'active' }),
      ]);
      const responses = await api<{ items: { keyword: string; version: number }[] }>(
        'GET',
        `/credentials/${demo.credentialId}/keyword-responses`,
      );
      expect(responses.items.map((r) => [r.keyword, r.version])).toEqual([['OFFERS', 1]]);
    },
  );
});
