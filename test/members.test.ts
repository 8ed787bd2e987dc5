import { expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { signIn } from './helpers/sessions.js';

describeEachDialect('members of a sandbox', ({ db }) => {
  it(
    'lists, changes and removes members; keeps an owner; stays in its sandbox',
    { timeout: 90_000 },
    async () => {
      const t = await buildTestApp(db());
      await t.services.sandboxes.ensure('other');
      const owner = await signIn(t, {
        email: 'olive@example.test',
        name: 'Olive',
        roles: { prod: ['owner'] },
      });
      const ops = await signIn(t, { email: 'otto@example.test', roles: { prod: ['operator'] } });
      const stranger = await signIn(t, { email: 'sam@example.test', roles: { other: ['owner'] } });
      const as = (h: typeof owner) => ({ ...h.headers, 'x-sandbox-name': 'prod' });

      const list = await t.app.inject({ url: '/api/v1/members', headers: as(ops) });
      expect(list.statusCode, list.body).toBe(200);
      const items = list.json<{ items: { id: string; email: string; roles: string[] }[] }>().items;
      expect(items.map((m) => [m.email, m.roles])).toEqual([
        ['olive@example.test', ['owner']],
        ['otto@example.test', ['operator']],
      ]);
      expect(items[0]).toMatchObject({
        name: 'Olive',
        hasPassword: true,
        ssoLinked: false,
        disabled: false,
      });
      expect(list.body).not.toContain('password_hash');

      const put = (userId: string, payload: unknown, headers = as(owner)) =>
        t.app.inject({
          method: 'PUT',
          url: `/api/v1/members/${userId}`,
          headers,
          payload: payload as object,
        });

      // Bad roles: 400 naming the allowed values, nothing changed.
      const bad = await put(ops.userId, { roles: ['admin'] });
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.body).toContain('owner, operator, compliance, viewer');
      expect((await put(ops.userId, { roles: [] })).statusCode).toBe(400);

      const changed = await put(ops.userId, { roles: ['compliance', 'operator'] });
      expect(changed.statusCode, changed.body).toBe(200);
      expect(changed.json<{ roles: string[] }>().roles).toEqual(['operator', 'compliance']);
      // The new role takes effect at once: compliance may now set the consent policy.
      const policy = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/sandboxes/prod',
        headers: as(ops),
        payload: { consentPolicy: 'subscribed-only' },
      });
      expect(policy.statusCode, policy.body).toBe(200);

      // An operator may not change roles (their own included).
      const self = await put(ops.userId, { roles: ['owner'] }, as(ops));
      expect(self.statusCode).toBe(403);
      expect(
        self.json<{ error: { details: { allowedRoles: string[] }[] } }>().error.details[0]
          ?.allowedRoles,
      ).toEqual(['owner']);

      // Nobody gives themselves a role, an owner included (compliance would then be theirs alone).
      const selfGrant = await put(owner.userId, { roles: ['owner', 'compliance'] });
      expect(selfGrant.statusCode, selfGrant.body).toBe(403);
      expect(selfGrant.body).toContain('you cannot add compliance to your own roles');
      const unchanged = await t.app.inject({ url: '/api/v1/members', headers: as(owner) });
      expect(
        unchanged
          .json<{ items: { email: string; roles: string[] }[] }>()
          .items.find((m) => m.email === 'olive@example.test')?.roles,
      ).toEqual(['owner']);

      // The last owner keeps the role, and cannot be removed.
      const demote = await put(owner.userId, { roles: ['viewer'] });
      expect(demote.statusCode, demote.body).toBe(409);
      expect(demote.body).toContain('keeps at least one owner');
      const removeLast = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/members/${owner.userId}`,
        headers: as(owner),
      });
      expect(removeLast.statusCode).toBe(409);
      // With a second owner, the first may step down.
      expect((await put(ops.userId, { roles: ['owner', 'compliance'] })).statusCode).toBe(200);
      expect((await put(owner.userId, { roles: ['viewer'] })).statusCode).toBe(200);

      // Another sandbox's user is not found here, for reading, changing and removing.
      expect((await put(stranger.userId, { roles: ['viewer'] }, as(ops))).statusCode).toBe(404);
      const removeStranger = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/members/${stranger.userId}`,
        headers: as(ops),
      });
      expect(removeStranger.statusCode).toBe(404);
      const otherList = await t.app.inject({
        url: '/api/v1/members',
        headers: { ...stranger.headers, 'x-sandbox-name': 'other' },
      });
      expect(otherList.json<{ items: { email: string }[] }>().items.map((m) => m.email)).toEqual([
        'sam@example.test',
      ]);

      const removed = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/members/${owner.userId}`,
        headers: as(ops),
      });
      expect(removed.statusCode, removed.body).toBe(204);
      // Removed: the sandbox is no longer theirs.
      expect((await t.app.inject({ url: '/api/v1/members', headers: as(owner) })).statusCode).toBe(
        404,
      );

      const audit = await t.app.inject({ url: '/api/v1/audit?limit=100', headers: t.auth });
      const rows = audit.json<{
        items: { action: string; resourceId: string; fields: string[] }[];
      }>().items;
      const memberRows = rows.filter((r) => r.action.startsWith('member.'));
      expect(memberRows.map((r) => r.action)).toEqual([
        'member.removed',
        'member.updated',
        'member.updated',
        'member.updated',
      ]);
      expect(memberRows[0]).toMatchObject({ resourceId: owner.userId, fields: ['roles'] });
      await t.app.close();
    },
  );
});
