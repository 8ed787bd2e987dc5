import { spawn, type ChildProcess } from 'node:child_process';
import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { createInboundCredential } from './helpers/inbound.js';

/**
 * Flow runners in processes of their own, killed with SIGKILL in the middle of the work: a
 * killed runner loses only its uncommitted step, which the next runner takes again after the
 * lease. Every run ends with exactly its two sends, whatever was killed when.
 */
const RUNS = 300;

function startRunner(url: string, schema: string | undefined): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/flow-runner-child.ts', url, ...(schema ? [schema] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`runner exited ${code}: ${out}`)));
  });
}

function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

async function sentNotes(db: Db): Promise<number> {
  const row = await db.kysely
    .selectFrom('flow_run_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', 'sent')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describeEachDialect('flow runners killed mid-work', ({ db, testDb, dialect }) => {
  it(
    `SIGKILL during the second wave: every run sends exactly twice${dialect === 'postgres' ? ', with a second runner taking over beside it' : ''}`,
    { timeout: 120_000 },
    async () => {
      const t = await buildTestApp(db());
      const cred = await createInboundCredential(t);
      const call = async (url: string, payload: object) => {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1${url}`,
          headers: t.auth,
          payload,
        });
        expect(res.statusCode, res.body).toBeLessThan(300);
        return res.json<{ id: string }>();
      };
      const channel = await call('/channel-configurations', {
        name: 'service',
        credentialId: cred.id,
        sender: 'TERN',
        messageType: 'transactional',
      });
      const template = async (name: string) =>
        (await call('/templates', { name, body: name, messageType: 'transactional' })).id;
      const [first, second] = [await template('first'), await template('second')];
      await call('/flows', {
        name: 'two sends',
        status: 'active',
        definition: {
          trigger: { type: 'api_event', event: 'signup' },
          channelConfigurationId: channel.id,
          steps: [
            { id: 'first', type: 'send', templateId: first },
            { id: 'pause', type: 'wait', seconds: 1 },
            { id: 'second', type: 'send', templateId: second },
          ],
        },
      });
      const phones = Array.from({ length: RUNS }, (_, i) => `+1415556${String(1000 + i)}`);
      for (const phone of phones) await call('/flow-events', { event: 'signup', phone });
      await t.app.close();

      const { url, schema } = testDb();
      const victim = await startRunner(url, schema);
      // On PostgreSQL a second process works beside the one that will be killed.
      const neighbour = dialect === 'postgres' ? await startRunner(url, schema) : undefined;
      let survivor: ChildProcess | undefined;
      try {
        await until('the second wave under way', async () => (await sentNotes(db())) > RUNS + 20);
        await kill(victim, 'SIGKILL');
        const atKill = await sentNotes(db());
        survivor = neighbour ?? (await startRunner(url, schema));
        await until('every run ended', async () => {
          const active = await db()
            .kysely.selectFrom('flow_runs')
            .select('id')
            .where('status', '=', 'active')
            .limit(1)
            .execute();
          return active.length === 0;
        });
        console.log(`${dialect}: killed with ${atKill} of ${2 * RUNS} sends made`);
      } finally {
        await kill(victim, 'SIGKILL');
        if (survivor) await kill(survivor, 'SIGTERM');
        if (neighbour && neighbour !== survivor) await kill(neighbour, 'SIGTERM');
      }
      const messages = await db()
        .kysely.selectFrom('messages')
        .select(['to_number', 'text'])
        .where('origin', '=', 'flow')
        .orderBy('id')
        .execute();
      expect(messages).toHaveLength(2 * RUNS);
      const byPhone = new Map<string, string[]>();
      for (const m of messages)
        byPhone.set(m.to_number, [...(byPhone.get(m.to_number) ?? []), m.text ?? '']);
      for (const phone of phones) expect(byPhone.get(phone), phone).toEqual(['first', 'second']);
      expect(await sentNotes(db())).toBe(2 * RUNS);
      const reasons = await db().kysely.selectFrom('flow_runs').select('end_reason').execute();
      expect(reasons.every((r) => r.end_reason === 'completed')).toBe(true);
    },
  );
});
