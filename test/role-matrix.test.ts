import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Role } from '../src/auth/roles.js';
import type { Db } from '../src/db/database.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { signIn } from './helpers/sessions.js';

/**
 * Who may do what, written out from issue 18's role list and NOT read from
 * src/http/route-permissions.ts (a test that derived its expectations from the table it checks
 * would prove nothing):
 *
 * - viewer: reads everything, runs dry runs (estimates, counts, checks, renders, simulations).
 * - operator: sends messages, runs campaigns and flows (and the templates and audiences they use).
 * - compliance: keywords and their replies, consent, send-time rules; ALONE edits them (the
 *   owner does not: a one-person team holds both roles).
 * - owner: everything an operator does, plus credentials, channel configurations, webhooks and
 *   people; never compliance settings unless they hold that role too.
 * - instance: creating sandboxes and tokens (an instance administrator, a token valid everywhere).
 */
type Who = 'anyone' | 'operator' | 'compliance' | 'owner' | 'instance';

const EXPECTED: Record<string, Who> = {
  'GET /v1/sandboxes': 'anyone',
  'POST /v1/sandboxes': 'instance',
  // A sandbox's settings are its consent policy: compliance's.
  'PATCH /v1/sandboxes/:name': 'compliance',
  'GET /v1/tokens': 'anyone',
  'POST /v1/tokens': 'instance',
  'DELETE /v1/tokens/:id': 'instance',
  'GET /v1/audit': 'anyone',

  'GET /v1/members': 'anyone',
  'PUT /v1/members/:userId': 'owner',
  'DELETE /v1/members/:userId': 'owner',
  // Pending invitations (who was asked in, by email) are the owner's to see.
  'GET /v1/invitations': 'owner',
  'POST /v1/invitations': 'owner',
  'DELETE /v1/invitations/:id': 'owner',

  'GET /v1/credentials': 'anyone',
  'GET /v1/credentials/:id': 'anyone',
  // (With a body of no fields; the field-level case is its own test below.)
  'POST /v1/credentials': 'owner',
  'PATCH /v1/credentials/:id': 'owner',
  'DELETE /v1/credentials/:id': 'owner',
  'POST /v1/credentials/:id/verify': 'owner',
  'GET /v1/credentials/:id/keyword-responses': 'anyone',
  'GET /v1/credentials/:id/keyword-responses/:keyword': 'anyone',
  'PUT /v1/credentials/:id/keyword-responses/:keyword': 'compliance',
  'DELETE /v1/credentials/:id/keyword-responses/:keyword': 'compliance',

  'GET /v1/channel-configurations': 'anyone',
  'GET /v1/channel-configurations/:id': 'anyone',
  'POST /v1/channel-configurations': 'owner',
  'PATCH /v1/channel-configurations/:id': 'owner',
  'DELETE /v1/channel-configurations/:id': 'owner',

  'GET /v1/event-webhooks': 'anyone',
  'GET /v1/event-webhooks/:id': 'anyone',
  'GET /v1/event-webhooks/:id/deliveries': 'anyone',
  'POST /v1/event-webhooks': 'owner',
  'PATCH /v1/event-webhooks/:id': 'owner',
  'DELETE /v1/event-webhooks/:id': 'owner',

  'GET /v1/profiles': 'anyone',
  'GET /v1/profiles/consent.csv': 'anyone',
  'GET /v1/profiles/:phone': 'anyone',
  'PUT /v1/profiles/:phone/consent': 'compliance',
  'POST /v1/profiles/consent.csv': 'compliance',
  'POST /v1/profiles/:phone/double-opt-in': 'compliance',
  'DELETE /v1/profiles/:phone': 'compliance',

  'GET /v1/inbound': 'anyone',
  'GET /v1/inbound/:id': 'anyone',
  'GET /v1/stats': 'anyone',

  'GET /v1/messages': 'anyone',
  'GET /v1/messages/export': 'anyone',
  'GET /v1/messages/:id': 'anyone',
  'POST /v1/messages': 'operator',
  'POST /v1/messages/batch': 'operator',

  'GET /v1/campaigns': 'anyone',
  'GET /v1/campaigns/:id': 'anyone',
  'GET /v1/campaigns/:id/results': 'anyone',
  'GET /v1/campaigns/:id/recipients/export': 'anyone',
  'POST /v1/campaigns/:id/estimate': 'anyone',
  'POST /v1/campaigns': 'operator',
  'PATCH /v1/campaigns/:id': 'operator',
  'DELETE /v1/campaigns/:id': 'operator',
  'POST /v1/campaigns/:id/test-send': 'operator',
  'POST /v1/campaigns/:id/confirm': 'operator',
  'POST /v1/campaigns/:id/pause': 'operator',
  'POST /v1/campaigns/:id/resume': 'operator',
  'POST /v1/campaigns/:id/cancel': 'operator',

  'GET /v1/segments': 'anyone',
  'GET /v1/segments/:id': 'anyone',
  'GET /v1/segments/:id/count': 'anyone',
  'GET /v1/segments/:id/members': 'anyone',
  'POST /v1/segments/count': 'anyone',
  'POST /v1/segments': 'operator',
  'PATCH /v1/segments/:id': 'operator',
  'DELETE /v1/segments/:id': 'operator',
  'GET /v1/lists': 'anyone',
  'GET /v1/lists/:id': 'anyone',
  'GET /v1/lists/:id/members': 'anyone',
  'POST /v1/lists': 'operator',
  'PATCH /v1/lists/:id': 'operator',
  'DELETE /v1/lists/:id': 'operator',
  'POST /v1/lists/:id/members': 'operator',
  'DELETE /v1/lists/:id/members': 'operator',
  'POST /v1/lists/:id/import': 'operator',

  'GET /v1/templates': 'anyone',
  'GET /v1/templates/:id': 'anyone',
  'GET /v1/templates/:id/versions': 'anyone',
  'POST /v1/templates/render': 'anyone',
  'POST /v1/templates/:id/preview': 'anyone',
  'POST /v1/templates': 'operator',
  'PATCH /v1/templates/:id': 'operator',
  'DELETE /v1/templates/:id': 'operator',

  'GET /v1/policy/rules': 'anyone',
  'GET /v1/policy/rules/:id': 'anyone',
  'POST /v1/policy/check': 'anyone',
  'POST /v1/policy/rules': 'compliance',
  'PATCH /v1/policy/rules/:id': 'compliance',
  'DELETE /v1/policy/rules/:id': 'compliance',

  'GET /v1/flows': 'anyone',
  'GET /v1/flows/:id': 'anyone',
  'GET /v1/flows/:id/versions': 'anyone',
  'GET /v1/flow-runs': 'anyone',
  'GET /v1/flow-runs/:id': 'anyone',
  'POST /v1/flows/validate': 'anyone',
  'POST /v1/flows/:id/simulate': 'anyone',
  'POST /v1/flows': 'operator',
  'PATCH /v1/flows/:id': 'operator',
  'DELETE /v1/flows/:id': 'operator',
  'POST /v1/flow-runs/:id/cancel': 'operator',
  'POST /v1/flow-events': 'operator',

  // Approvals: the size threshold is the owner's (with an empty body). Deciding is open to every
  // role at the route; whether this person may decide this request is the approvals service's.
  'GET /v1/approval-settings': 'anyone',
  'PUT /v1/approval-settings': 'owner',
  'GET /v1/approvals': 'anyone',
  'GET /v1/approvals/:id': 'anyone',
  'POST /v1/approvals/:id/approve': 'anyone',
  'POST /v1/approvals/:id/reject': 'anyone',
  'POST /v1/approvals/:id/cancel': 'anyone',
};

/** The roles the issue lets do each kind of thing (what a 403's details must name). */
const ROLES_FOR: Record<Exclude<Who, 'instance'>, Role[]> = {
  anyone: ['owner', 'operator', 'compliance', 'viewer'],
  operator: ['owner', 'operator'],
  compliance: ['compliance'],
  owner: ['owner'],
};

type Principal = Role | 'instance-admin' | 'sandbox-token';
const PRINCIPALS: Principal[] = [
  'viewer',
  'operator',
  'compliance',
  'owner',
  'instance-admin',
  'sandbox-token',
];

function allowed(who: Who, principal: Principal): boolean {
  // An instance administrator is owner everywhere and may act on the instance; compliance only
  // with that role. A token limited to one sandbox may do everything inside it.
  if (principal === 'instance-admin') return who !== 'compliance';
  if (principal === 'sandbox-token') return who !== 'instance';
  return who !== 'instance' && ROLES_FOR[who].includes(principal);
}

/**
 * The fingerprint once background work that earlier, allowed calls started (a confirmed
 * campaign's fan-out and sends, a flow run) has stopped changing it: two equal reads 250 ms
 * apart (at most 15 s), so that a difference is the refused request's doing.
 */
async function settled(db: Db): Promise<string> {
  let last = await fingerprint(db);
  for (let i = 0; i < 60; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const next = await fingerprint(db);
    if (next === last) return next;
    last = next;
  }
  return last;
}

/**
 * Everything the database holds, as one hash, but sessions (signing in adds them) and
 * the rate limit's counters: a refused request changes none of it.
 */
async function fingerprint(db: Db): Promise<string> {
  const hash = createHash('sha256');
  for (const table of await ownTables(db)) {
    if (['sessions', 'kysely_migration', 'kysely_migration_lock'].includes(table)) continue;
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
      db.kysely,
    );
    const lines = rows.rows.map((r) => JSON.stringify(r)).sort();
    hash.update(`${table}\n${lines.join('\n')}\n`);
  }
  return hash.digest('hex');
}

/**
 * This test's tables. Kysely's introspection lists every schema on PostgreSQL, and failed when
 * a parallel test dropped its schema mid-query ("schema … does not exist"); this reads only
 * the test's own schema (first on the search path).
 */
async function ownTables(db: Db): Promise<string[]> {
  if (db.capabilities.name === 'sqlite') {
    return (await db.kysely.introspection.getTables()).map((t) => t.name).sort();
  }
  const rows = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE'
    order by table_name`.execute(db.kysely);
  return rows.rows.map((r) => r.name);
}

interface ErrorBody {
  error: {
    code: string;
    message: string;
    details: { permission?: string; allowedRoles?: string[] }[];
  };
}

const isSandboxNotFound = (status: number, body: string) =>
  status === 404 && body.includes('x-sandbox-name');

async function headersFor(
  t: TestApp,
): Promise<Record<Principal | 'outsider', Record<string, string>>> {
  await t.services.sandboxes.ensure('other');
  const one = async (roles: Record<string, Role[]>, instanceAdmin = false) =>
    (await signIn(t, { roles, instanceAdmin })).headers;
  const token = await t.app.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: t.auth,
    payload: { name: 'prod-only', sandbox: 'prod' },
  });
  expect(token.statusCode, token.body).toBe(201);
  return {
    viewer: await one({ prod: ['viewer'] }),
    operator: await one({ prod: ['operator'] }),
    compliance: await one({ prod: ['compliance'] }),
    owner: await one({ prod: ['owner'] }),
    'instance-admin': await one({}, true),
    'sandbox-token': { authorization: `Bearer ${token.json<{ token: string }>().token}` },
    // Every role, but in another sandbox.
    outsider: await one({ other: ['owner', 'operator', 'compliance', 'viewer'] }),
  };
}

describeEachDialect('roles on every route', ({ db }) => {
  it(
    'each role may do what the issue says on every /api route, and nothing else',
    { timeout: 240_000 },
    async () => {
      const started = Date.now();
      const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
      const headers = await headersFor(t);
      await t.app.ready();
      const routes = t.app.registeredRoutes.filter(
        (r) => r.url.startsWith('/api') && r.method !== 'HEAD',
      );
      // The event stream never ends under inject; it is a read (test/event-stream.test.ts).
      const checked = routes.filter((r) => r.url !== '/api/v1/events/stream');
      const missing = checked
        .map((r) => `${r.method} ${r.url.replace(/^\/api/, '')}`)
        .filter((key) => key !== 'GET /v1/me' && !(key in EXPECTED));
      expect(missing, 'routes the role table above does not name: add them').toEqual([]);

      let requests = 0;
      for (const route of checked) {
        const key = `${route.method} ${route.url.replace(/^\/api/, '')}`;
        // Unknown ids: an allowed caller gets 400 or 404 (for the object), never a change.
        const url = route.url.replace(/:([A-Za-z]+)/g, (_m, p: string) =>
          p === 'name' ? 'prod' : p === 'phone' ? '%2B14155550100' : 'x',
        );
        const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
        const call = (principal: Principal | 'outsider') => {
          requests += 1;
          return t.app.inject({
            method: route.method as 'GET',
            url,
            headers: { ...headers[principal], 'x-sandbox-name': 'prod' },
            ...(payload ? { payload } : {}),
          });
        };

        const outsider = await call('outsider');
        if (key === 'GET /v1/me') {
          expect(outsider.statusCode, `${key} as a user of no role here`).toBe(200);
          continue;
        }
        expect(
          isSandboxNotFound(outsider.statusCode, outsider.body),
          `${key} for a user with no role in prod: ${outsider.statusCode} ${outsider.body}`,
        ).toBe(true);

        const who = EXPECTED[key] as Who;
        const denied = PRINCIPALS.filter((p) => !allowed(who, p));
        const before = denied.length > 0 ? await settled(db()) : '';
        for (const principal of denied) {
          const res = await call(principal);
          const name = `${key} as ${principal}`;
          expect(res.statusCode, `${name} is refused: ${res.body}`).toBe(403);
          const body = res.json<ErrorBody>();
          expect(body.error.code, name).toBe('forbidden');
          const detail = body.error.details[0];
          if (who === 'instance') expect(detail?.permission, name).toBe('instance');
          else
            expect([...(detail?.allowedRoles ?? [])].sort(), name).toEqual(ROLES_FOR[who].sort());
        }
        if (denied.length > 0) {
          expect(await settled(db()), `${key}: a refused request changed data`).toBe(before);
        }
        for (const principal of PRINCIPALS.filter((p) => allowed(who, p))) {
          const res = await call(principal);
          const name = `${key} as ${principal}: ${res.statusCode} ${res.body}`;
          expect([401, 403], name).not.toContain(res.statusCode);
          expect(isSandboxNotFound(res.statusCode, res.body), name).toBe(false);
          expect(res.statusCode, name).toBeLessThan(500);
        }
      }
      await t.app.close();
      // The matrix's size and time, for the report.
      console.info(
        `role matrix: ${checked.length} routes × ${PRINCIPALS.length + 1} principals, ${requests} requests in ${Date.now() - started} ms`,
      );
    },
  );

  it(
    'a credential: keyword fields need compliance, the key needs owner, both need both',
    { timeout: 90_000 },
    async () => {
      const t = await buildTestApp(db(), { TERN_ALLOW_LOOPBACK_PROVIDER: 'true' });
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/credentials',
        headers: t.auth,
        payload: {
          name: 'main',
          baseUrl: 'https://x1.api.infobip.com',
          apiKey: 'key-000000000000000001',
          optOutKeywords: ['STOP'],
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json<{ id: string }>().id;
      const as = async (roles: Role[]) => ({
        ...(await signIn(t, { roles: { prod: roles } })).headers,
        'x-sandbox-name': 'prod',
      });
      const owner = await as(['owner']);
      const compliance = await as(['compliance']);
      const both = await as(['owner', 'compliance']);
      const patch = (headers: Record<string, string>, payload: object) =>
        t.app.inject({ method: 'PATCH', url: `/api/v1/credentials/${id}`, headers, payload });
      const read = async () =>
        (await t.app.inject({ url: `/api/v1/credentials/${id}`, headers: t.auth })).json<{
          optOutKeywords: string[];
          apiKeyHint: string;
        }>();
      const refused = async (
        headers: Record<string, string>,
        payload: object,
        permissions: string[],
      ) => {
        const before = await read();
        const res = await patch(headers, payload);
        expect(res.statusCode, res.body).toBe(403);
        const body = res.json<ErrorBody>();
        expect(body.error.code).toBe('forbidden');
        expect(body.error.details.map((d) => d.permission).sort()).toEqual(permissions);
        expect(await read()).toEqual(before);
      };

      await refused(owner, { optOutKeywords: ['STOP', 'HALTNOW'] }, ['compliance']);
      await refused(compliance, { apiKey: 'key-000000000000000002' }, ['manage']);
      // Both fields: each role alone lacks one.
      const bothFields = { optOutKeywords: ['STOP', 'NOMORE'], apiKey: 'key-000000000000000003' };
      await refused(owner, bothFields, ['compliance']);
      await refused(compliance, bothFields, ['manage']);

      const byCompliance = await patch(compliance, { optOutKeywords: ['STOP', 'HALTNOW'] });
      expect(byCompliance.statusCode, byCompliance.body).toBe(200);
      // (The standard opt-out words are always kept: HALTNOW is the one added.)
      expect((await read()).optOutKeywords).toContain('HALTNOW');
      const byOwner = await patch(owner, { apiKey: 'key-000000000000000002' });
      expect(byOwner.statusCode, byOwner.body).toBe(200);
      expect((await read()).apiKeyHint).toContain('0002');
      const byBoth = await patch(both, bothFields);
      expect(byBoth.statusCode, byBoth.body).toBe(200);
      expect((await read()).optOutKeywords).toContain('NOMORE');
      expect((await read()).optOutKeywords).not.toContain('HALTNOW');
      expect((await read()).apiKeyHint).toContain('0003');

      // The webhook URLs carry their secrets: only a caller who manages credentials sees them.
      const asCompliance = await t.app.inject({
        url: `/api/v1/credentials/${id}`,
        headers: compliance,
      });
      expect(asCompliance.json<{ webhooks: unknown }>().webhooks).toEqual({
        inbound: { url: null, secret: null },
        deliveryReports: { url: null, secret: null },
      });
      const asOwner = await t.app.inject({ url: `/api/v1/credentials/${id}`, headers: owner });
      expect(
        asOwner.json<{ webhooks: { inbound: { url: string } } }>().webhooks.inbound.url,
      ).toMatch(/^http:\/\/tern\.test\/webhooks\/infobip\//);
      await t.app.close();
    },
  );
});
