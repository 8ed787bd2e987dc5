import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect, withSchemaLock } from './helpers/databases.js';

/** Every table Tern owns (introspected once, under the lock that keeps parallel schema drops away). */
async function tablesOf(db: Db): Promise<string[]> {
  const tables = await withSchemaLock(() => db.kysely.introspection.getTables());
  return tables.map((t) => t.name).filter((name) => !name.startsWith('kysely_'));
}

/** Row counts of every table: a 4xx must leave all of them as they were. */
async function snapshot(db: Db, tables: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.table(table)}`.execute(db.kysely);
    counts[table] = Number(row.rows[0]?.n ?? 0);
  }
  return counts;
}

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e309',
    'null',
    'true',
    '[]',
    '{}',
    '../../etc/passwd',
    '%00',
    '\u0000',
    '💥',
    'a'.repeat(5000),
    '__proto__',
    'constructor',
  ),
);

/** Bodies that try every trick: wrong types, deep nesting, huge numbers, prototype-pollution keys. */
const bodyArb = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(
    fc.constantFrom(
      'name',
      'baseUrl',
      'apiKey',
      'to',
      'text',
      'channelConfigurationId',
      'messages',
      'results',
      'consent',
      'url',
      'sandbox',
      'validityPeriodHours',
      'optOutKeywords',
      'media',
    ),
    fc.jsonValue({ maxDepth: 3 }),
  ),
  fc.constant({ __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}, "name": "x"}') as unknown),
  fc.integer({ min: 1, max: 200 }).map((depth) => {
    let value: unknown = 'deep';
    for (let i = 0; i < depth; i++) value = { a: [value] };
    return value;
  }),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -0, '9'.repeat(400)),
);

describeEachDialect('fuzzing every route', ({ db }) => {
  it('never answers 5xx, and a 4xx changes nothing', { timeout: 120_000 }, async () => {
    const t = await buildTestApp(db(), {
      TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
      LOG_LEVEL: 'silent',
    });
    await t.app.ready();
    // Real objects, so that some requests reach deep into the handlers.
    const credential = await t.app.inject({
      method: 'POST',
      url: '/api/v1/credentials',
      headers: t.auth,
      payload: {
        name: 'fuzz',
        baseUrl: 'https://x1.api.infobip.com',
        apiKey: 'fuzz-key-000000000000',
        inboundNumber: '+14155550100',
      },
    });
    const stored = await t.services.credentials.get('prod', credential.json<{ id: string }>().id);
    const secrets = t.services.credentials.webhookSecrets(stored);
    const channel = await t.app.inject({
      method: 'POST',
      url: '/api/v1/channel-configurations',
      headers: t.auth,
      payload: { name: 'fuzz', credentialId: stored.credential.id, sender: 'FUZZ' },
    });
    const known = [
      stored.credential.id,
      channel.json<{ id: string }>().id,
      secrets.inbound,
      secrets.reports,
      '+14155550100',
      'prod',
    ];

    const routes = t.app.registeredRoutes.filter(
      (r) => r.method !== 'HEAD' && !r.url.startsWith('/docs') && r.url !== '/api/v1/events/stream',
    );
    const requestArb = fc.record({
      route: fc.constantFrom(...routes),
      params: fc.array(fc.oneof(fc.constantFrom(...known), nasty), { minLength: 3, maxLength: 3 }),
      body: fc.oneof(
        bodyArb.map((b) => ({ json: b })),
        fc
          .uint8Array({ maxLength: 200 })
          .map((bytes) => ({ raw: Buffer.from([0xff, 0xfe, ...bytes]) })),
      ),
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'text/csv',
        'application/x-www-form-urlencoded',
        undefined,
      ),
      headers: fc.record({
        auth: fc.constantFrom('valid', 'none', 'garbage'),
        sandbox: fc.option(fc.oneof(fc.constantFrom('prod', 'nope'), nasty), { nil: undefined }),
        ifMatch: fc.option(nasty, { nil: undefined }),
        idempotencyKey: fc.option(nasty, { nil: undefined }),
      }),
      query: fc.dictionary(
        fc.constantFrom(
          'limit',
          'cursor',
          'name',
          'status',
          'to',
          'force',
          'phone',
          'consent',
          'from',
        ),
        nasty,
        { maxKeys: 3 },
      ),
    });

    const tables = await tablesOf(db());
    expect(tables).toContain('messages');
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        let i = 0;
        const path = r.route.url.replace(/:[A-Za-z]+/g, () =>
          encodeURIComponent(r.params[i++] ?? 'x'),
        );
        const query = new URLSearchParams(r.query).toString();
        const headers: Record<string, string> = {};
        if (r.headers.auth === 'valid') headers.authorization = t.auth.authorization;
        if (r.headers.auth === 'garbage') headers.authorization = 'Bearer \u0000garbage';
        const headerValue = (v: string) => v.replace(/[^\x20-\x7e]/g, '?');
        if (r.headers.sandbox !== undefined)
          headers['x-sandbox-name'] = headerValue(r.headers.sandbox);
        if (r.headers.ifMatch !== undefined) headers['if-match'] = headerValue(r.headers.ifMatch);
        if (r.headers.idempotencyKey !== undefined)
          headers['idempotency-key'] = headerValue(r.headers.idempotencyKey);
        if (r.contentType) headers['content-type'] = r.contentType;
        const url = query ? `${path}?${query}` : path;
        const label = `${r.route.method} ${url}`;
        const options: InjectOptions = {
          method: r.route.method,
          url,
          headers,
        };
        if (r.route.method !== 'GET' && r.route.method !== 'DELETE') {
          options.payload = 'raw' in r.body ? r.body.raw : JSON.stringify(r.body.json);
        }
        const before = await snapshot(db(), tables);
        const res = await t.app.inject(options);
        expect(res.statusCode, `${label} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(
            await snapshot(db(), tables),
            `${label} changed the database with ${res.statusCode}`,
          ).toEqual(before);
          if (String(res.headers['content-type']).includes('json'))
            expect(res.json()).toHaveProperty('error.code');
        }
        checked += 1;
      }),
      // A fixed seed keeps CI repeatable; TERN_FUZZ_SEED=<n> explores other inputs.
      { numRuns: 500, seed: Number(process.env.TERN_FUZZ_SEED ?? 20261125) },
    );
    expect(checked).toBe(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await t.app.close();
  });
});
