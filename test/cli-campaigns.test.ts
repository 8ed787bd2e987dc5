import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuiltCli, runBuiltCli, serveBuilt, type BuiltTern } from './helpers/cli.js';

const PHONES = ['+14155550101', '+14155550102', '+14155550103', '+14155550104'];

/**
 * Templates, segments, lists and campaigns through the built CLI, run from a folder with no
 * database, against one Tern served on a real port: an operator builds an audience, a template,
 * and runs a campaign to its end.
 */
describe('tern templates / segments / lists / campaigns', () => {
  let dir: string;
  let env: Record<string, string>;
  let served: BuiltTern;
  beforeAll(async () => {
    ensureBuiltCli();
    served = await serveBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tern-cli-camp-'));
    env = { TERN_URL: served.base, TERN_TOKEN: served.token };
  }, 240_000);
  afterAll(async () => {
    await served?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const runCli = (args: string[], e: Record<string, string>) =>
    runBuiltCli(args, { cwd: dir, env: e });

  const json = async <T>(args: string[]): Promise<T> => {
    const result = await runCli([...args, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const fails = async (args: string[], code: number, stderr: string) => {
    const result = await runCli(args, env);
    expect(result.code, result.stdout).toBe(code);
    expect(result.stderr).toContain(stderr);
  };

  it('builds an audience and a template, and runs a campaign', { timeout: 180_000 }, async () => {
    const credential = await json<{ id: string }>([
      'credentials',
      'create',
      '--data',
      JSON.stringify({
        name: 'ops',
        baseUrl: 'https://x1.api.infobip.com',
        apiKey: 'cli-camp-key-0000000000000-1a2b',
        sendRatePerSecond: 10,
      }),
    ]);
    const channel = await json<{ id: string }>([
      'channels',
      'create',
      '--data',
      JSON.stringify({
        name: 'promo',
        credentialId: credential.id,
        sender: 'OPS',
        messageType: 'marketing',
        marketingFooter: 'Reply STOP to opt out',
      }),
    ]);
    // Consent comes from the profiles' own door (a list never grants it): three subscribed, one out.
    for (const [i, phone] of PHONES.entries()) {
      const answer = await fetch(
        `${served.base}/api/v1/profiles/${encodeURIComponent(phone)}/consent`,
        {
          method: 'PUT',
          headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ consent: i < 3 ? 'subscribed' : 'unsubscribed' }),
        },
      );
      expect(answer.status, await answer.text()).toBeLessThan(300);
    }

    // Lists: by flags, by CSV, members, remove.
    const list = await json<{ id: string }>(['lists', 'create', '--data', '{"name": "vip"}']);
    expect(await json(['lists', 'add', list.id, '--phones', PHONES.join(',')])).toMatchObject({
      added: 4,
      profilesCreated: 0,
    });
    const csv = join(dir, 'members.csv');
    writeFileSync(csv, 'name,phone\nEve,+14155550105\nBad,12\nFay,+14155550106\n');
    expect(await json(['lists', 'import', list.id, '--file', csv])).toMatchObject({
      rows: 3,
      added: 2,
      profilesCreated: 2,
      rejected: 1,
      rejections: [{ line: 3, reason: 'not a valid phone number' }],
    });
    expect(await json(['lists', 'remove', list.id, '--phones', '+14155550106'])).toEqual({
      removed: 1,
    });
    const members = await json<{ items: { phone: string }[] }>(['lists', 'members', list.id]);
    expect(readdirSync(dir).filter((f) => /\.db|\.key/.test(f))).toEqual([]);
    expect(members.items.map((m) => m.phone).sort()).toEqual([...PHONES, '+14155550105']);
    await fails(['lists', 'add', list.id, '--phones', 'nope'], 1, '/phones/0');

    // Segments: a rule, its count (saved and unsaved), members; a bad rule names the node.
    const rule = { consent: { in: ['subscribed'] } };
    const segment = await json<{ id: string; version: number }>([
      'segments',
      'create',
      '--data',
      JSON.stringify({ name: 'subscribed', rule }),
    ]);
    expect(await json(['segments', 'count', segment.id])).toEqual({ count: 3 });
    expect(await json(['segments', 'count', '--data', JSON.stringify({ rule })])).toEqual({
      count: 3,
    });
    const inSegment = await json<{ items: unknown[] }>([
      'segments',
      'members',
      segment.id,
      '--limit',
      '2',
    ]);
    expect(inSegment.items).toHaveLength(2);
    expect(
      await json([
        'segments',
        'update',
        segment.id,
        '--if-match',
        '1',
        '--data',
        '{"description": "opted in"}',
      ]),
    ).toMatchObject({ version: 2, description: 'opted in' });
    await fails(
      ['segments', 'create', '--data', '{"name": "bad", "rule": {"consent": {"is": 1}}}'],
      1,
      '/rule',
    );
    await fails(['segments', 'create', '--data', '{"name": 5}'], 1, '/name');

    // Templates: create, a type error named as the API names it, preview, a new version.
    const body = 'Hi {{ profile.attributes.firstName | default: "there" }}, 20% off today.';
    const template = await json<{ id: string; version: number }>([
      'templates',
      'create',
      '--data',
      JSON.stringify({ name: 'spring', body, messageType: 'marketing' }),
    ]);
    await fails(['templates', 'create', '--data', '{"name": "x", "body": 5}'], 1, '/body');
    await fails(
      ['templates', 'create', '--data', '{"name": "x", "body": "{{ a | nope }}"}'],
      1,
      '/body',
    );
    const preview = await json<{ items: { ok: boolean; text: string; segments: number }[] }>([
      'templates',
      'preview',
      template.id,
      '--phones',
      PHONES[0] ?? '',
      '--data',
      JSON.stringify({ phones: [PHONES[0]], channelConfigurationId: channel.id }),
    ]);
    expect(preview.items[0]).toMatchObject({ ok: true, segments: 1 });
    expect(preview.items[0]?.text).toContain('Hi there, 20% off today.');
    expect(preview.items[0]?.text).toContain('Reply STOP to opt out');
    const v2 = await json<{ version: number }>([
      'templates',
      'update',
      template.id,
      '--if-match',
      '1',
      '--data',
      JSON.stringify({ body: `${body} Ends Sunday.` }),
    ]);
    expect(v2.version).toBe(2);
    expect(await json(['templates', 'get', template.id, '--template-version', '1'])).toMatchObject({
      version: 1,
      body,
    });

    // Campaign: a draft to the list, estimate, confirm, pause, resume, cancel, results.
    const campaign = await json<{ id: string; templateVersion: number }>([
      'campaigns',
      'create',
      '--data',
      JSON.stringify({
        name: 'Spring sale',
        audience: { listId: list.id },
        templateId: template.id,
        channelConfigurationId: channel.id,
        pacing: { perSecond: 5 },
      }),
    ]);
    expect(campaign.templateVersion).toBe(2);
    await fails(
      ['campaigns', 'create', '--data', '{"name": "x", "pacing": {"perSecond": "fast"}}'],
      1,
      '/pacing/perSecond',
    );
    const estimate = await json<{ recipients: number; eligible: number }>([
      'campaigns',
      'estimate',
      campaign.id,
    ]);
    // The default policy lets marketing reach `unknown` (Eve, from the CSV); the opt-out is excluded.
    expect(estimate).toMatchObject({ recipients: 5, eligible: 4 });
    await fails(
      ['campaigns', 'confirm', campaign.id, '--template-version', '1'],
      1,
      'pins version 2',
    );
    const confirmed = await json<{
      status: string;
      progress: { queued: number; excluded: number };
    }>(['campaigns', 'confirm', campaign.id, '--template-version', '2']);
    // Confirm queues the first chunk itself: the whole of this small audience.
    expect(confirmed).toMatchObject({ status: 'running', progress: { queued: 4, excluded: 1 } });
    expect(await json(['campaigns', 'pause', campaign.id])).toMatchObject({ status: 'paused' });
    expect(await json(['campaigns', 'resume', campaign.id])).toMatchObject({ status: 'running' });
    expect(await json(['campaigns', 'cancel', campaign.id])).toMatchObject({
      status: 'cancelled',
    });
    const results = await json<{ messages: { cancelled: number; total: number } }>([
      'campaigns',
      'results',
      campaign.id,
    ]);
    expect(results).toMatchObject({ recipients: 5, excluded: 1 });
    expect(results.messages).toMatchObject({ total: 4, cancelled: 4 });
    const cancelled = await json<{ items: { id: string }[] }>([
      'campaigns',
      'list',
      '--status',
      'cancelled',
    ]);
    expect(cancelled.items.map((c) => c.id)).toEqual([campaign.id]);
    await fails(['campaigns', 'delete', campaign.id], 1, 'only a draft can be deleted');

    // The people's view of the same: columns, not JSON.
    const table = await runCli(['campaigns', 'results', campaign.id], env);
    expect(table.stdout).toMatch(/cancelled\s+4/);
    await json(['templates', 'delete', template.id]);
    expect(await json(['templates', 'list'])).toEqual({ items: [], nextCursor: null });
  });

  it('explains a wrong invocation', async () => {
    await fails(['campaigns', 'frobnicate'], 2, 'use list, get, create, update, delete, estimate');
    await fails(['campaigns', 'list', '--status', 'done'], 2, '--status must be one of');
    await fails(['lists', 'import', 'x'], 2, '--file');
    await fails(['templates', 'preview', 'x'], 2, '--phones');
    await fails(['segments', 'count'], 2, '--data');
  });
});
