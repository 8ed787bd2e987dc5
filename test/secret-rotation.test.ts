import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ROTATED_COLUMNS, reencryptAllSecrets } from '../src/crypto/rotation.js';
import { Keyring, secretKey } from '../src/crypto/secret-box.js';
import { recordEvents } from '../src/events/events.js';
import { WebhookDispatcher } from '../src/events/webhook-dispatcher.js';
import { verifySignature } from '../src/events/webhook-signature.js';
import { TEST_KEYRING, buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { createInboundCredential } from './helpers/inbound.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

/** Every `*_encrypted` column of src/db/schema.ts, per table (read from the source). */
function encryptedColumnsInSchema(): Record<string, string[]> {
  const source = readFileSync(new URL('../src/db/schema.ts', import.meta.url), 'utf8');
  const tableOf = new Map<string, string>();
  for (const m of source.matchAll(/^\s{2}(\w+): (\w+Table);$/gm)) tableOf.set(m[2]!, m[1]!);
  const found: Record<string, string[]> = {};
  for (const m of source.matchAll(/export interface (\w+Table) \{([^}]*)\}/g)) {
    const columns = [...m[2]!.matchAll(/^\s+(\w+_encrypted)\??:/gm)].map((c) => c[1]!);
    if (columns.length > 0) found[tableOf.get(m[1]!) ?? m[1]!] = columns.sort();
  }
  return found;
}

describe('secrets rotation covers every encrypted column', () => {
  it('ROTATED_COLUMNS lists exactly the *_encrypted columns of the schema', () => {
    const inSchema = encryptedColumnsInSchema();
    // The parse itself works: the two tables known to hold secrets are found.
    expect(Object.keys(inSchema)).toEqual(
      expect.arrayContaining(['credentials', 'event_webhooks']),
    );
    const rotated = Object.fromEntries(
      Object.entries(ROTATED_COLUMNS).map(([table, columns]) => [table, [...columns].sort()]),
    );
    expect(rotated).toEqual(inSchema);
  });
});

const key = (byte: number) => secretKey(Buffer.alloc(32, byte));

describeEachDialect('secrets rotation', ({ db }) => {
  it('two rotations in a row leave every secret readable under the newest key alone; event webhooks still sign', async () => {
    const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    try {
      const received: { headers: IncomingHttpHeaders; raw: string }[] = [];
      const server = createServer((req, res) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
        req.on('end', () => {
          received.push({ headers: req.headers, raw });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

      const cred = await createInboundCredential(t);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/event-webhooks',
        headers: t.auth,
        payload: { url },
      });
      expect(res.statusCode, res.body).toBe(201);
      const hook = res.json<{ id: string; secret: string }>();

      // The key file keeps one previous key: after the second rotation the first is gone.
      const first = new Keyring(key(0x01), TEST_KEYRING.keys());
      const counts = await reencryptAllSecrets(db(), t.clock, first, SYSTEM_ACTOR);
      expect(counts).toEqual({ credentials: 1, eventWebhooks: 1, unreadableEventWebhooks: [] });
      const second = new Keyring(key(0x02), [key(0x01)]);
      await reencryptAllSecrets(db(), t.clock, second, SYSTEM_ACTOR);
      const newestOnly = new Keyring(key(0x02));

      // Every stored secret, in every encrypted column the schema has, decrypts with the newest key.
      let checked = 0;
      for (const [table, columns] of Object.entries(encryptedColumnsInSchema())) {
        const rows = await sql<Record<string, string>>`select ${sql.join(
          columns.map((c) => sql.ref(c)),
        )} from ${sql.table(table)}`.execute(db().kysely);
        for (const row of rows.rows)
          for (const column of columns) {
            expect(() => newestOnly.decrypt(row[column]!), `${table}.${column}`).not.toThrow();
            checked++;
          }
      }
      expect(checked).toBe(3);
      const credentialRow = await db()
        .kysely.selectFrom('credentials')
        .select('webhook_secret_encrypted')
        .where('id', '=', cred.id)
        .executeTakeFirstOrThrow();
      expect(newestOnly.decrypt(credentialRow.webhook_secret_encrypted)).toContain(cred.secret);

      // A dispatcher holding only the newest key delivers, signed with the secret shown at creation.
      await recordEvents(db().kysely, t.clock, [
        { sandbox: 'prod', type: 'consent.changed', payload: { phone: '+15550001' } },
      ]);
      const d = new WebhookDispatcher(
        { db: db(), clock: t.clock, logger: t.app.log as never, keyring: newestOnly },
        { allowLoopback: true, settleMs: 0 },
      );
      await d.drain();
      await d.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      expect(received).toHaveLength(1);
      const nowSeconds = Math.floor(t.clock.now().getTime() / 1000);
      const header = received[0]!.headers['x-tern-signature'] as string;
      expect(verifySignature(hook.secret, header, received[0]!.raw, nowSeconds)).toBe(true);
    } finally {
      await t.app.close();
    }
  });

  it('a secret no key decrypts does not stop the rotation: it is reported and left', async () => {
    const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/event-webhooks',
        headers: t.auth,
        payload: { url: 'https://hooks.example.com/a' },
      });
      const { id } = res.json<{ id: string }>();
      // As the old rotation left it: under a key that is no longer configured.
      const lost = new Keyring(key(0x09)).encrypt('whsec_lost');
      await db()
        .kysely.updateTable('event_webhooks')
        .set({ secret_encrypted: lost })
        .where('id', '=', id)
        .execute();
      const counts = await reencryptAllSecrets(
        db(),
        t.clock,
        new Keyring(key(0x01), TEST_KEYRING.keys()),
        SYSTEM_ACTOR,
      );
      expect(counts).toEqual({
        credentials: 0,
        eventWebhooks: 0,
        unreadableEventWebhooks: [{ sandbox: 'prod', id }],
      });
    } finally {
      await t.app.close();
    }
  });
});
