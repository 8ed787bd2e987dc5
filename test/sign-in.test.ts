import { afterEach, beforeEach, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { createUser } from '../src/auth/users.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import {
  cookieHeader,
  logIn,
  signIn,
  TEST_PASSWORD,
  testPasswordHash,
} from './helpers/sessions.js';

describeEachDialect('console sign-in', ({ db }) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp(db());
  });
  afterEach(async () => {
    await t.app.close();
  });

  const tryLogIn = (email: string, password: string) =>
    t.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });

  it('signs in with email and password: a Secure, HttpOnly, SameSite=Lax cookie on Path=/', async () => {
    await createUser(db().kysely, t.clock, {
      email: 'Ada@Example.test',
      name: 'Ada',
      passwordHash: await testPasswordHash(),
    });
    const res = await tryLogIn(' ada@example.TEST ', TEST_PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ user: { email: string; name: string }; csrfToken: string }>();
    expect(body.user).toMatchObject({
      email: 'ada@example.test',
      name: 'Ada',
      instanceAdmin: false,
    });
    expect(body.csrfToken.length).toBeGreaterThan(20);
    const session = res.cookies.find((c) => c.name === 'tern_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    const setCookie = [res.headers['set-cookie']].flat().join('\n');
    expect(setCookie).toMatch(
      /tern_session=[^;]+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax/,
    );
    // The CSRF secret's cookie is HttpOnly too: the token comes in the JSON answer.
    expect(res.cookies.find((c) => c.name === 'tern_csrf')).toMatchObject({
      httpOnly: true,
      secure: true,
    });

    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { cookie: cookieHeader(res.cookies) },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      kind: 'user',
      user: { email: 'ada@example.test', via: 'password' },
    });
  });

  it('answers an unknown email and a wrong password with the same 401, in about the same time', async () => {
    await createUser(db().kysely, t.clock, {
      email: 'bob@example.test',
      passwordHash: await testPasswordHash(),
    });
    await createUser(db().kysely, t.clock, { email: 'nopass@example.test' });
    const timed = async (email: string, password: string) => {
      const started = performance.now();
      const res = await tryLogIn(email, password);
      return { res, ms: performance.now() - started };
    };
    await timed('bob@example.test', 'warming the dummy hash'); // the dummy hash is made once
    const wrong = await timed('bob@example.test', 'not the password at all');
    const unknown = await timed('nobody@example.test', 'not the password at all');
    const noPassword = await timed('nopass@example.test', 'not the password at all');
    for (const { res } of [wrong, unknown, noPassword]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        error: {
          code: 'unauthorized',
          message: 'The email or password is not right.',
          details: [],
        },
      });
      expect(res.cookies).toEqual([]);
    }
    // Each runs one scrypt: an unknown email is not answered in a fraction of the time.
    expect(unknown.ms).toBeGreaterThan(wrong.ms * 0.4);
    expect(noPassword.ms).toBeGreaterThan(wrong.ms * 0.4);
  });

  it('refuses a cookie request that changes something without the CSRF token; bearer tokens are exempt', async () => {
    const ada = await signIn(t, { roles: { prod: ['owner'] } });
    let n = 0;
    const create = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/templates',
        headers,
        payload: { name: `hi-${++n}`, body: 'Hello' },
      });

    const without = await create({ cookie: ada.headers.cookie });
    expect(without.statusCode).toBe(403);
    expect(without.json()).toMatchObject({
      error: { code: 'forbidden', details: [{ path: '/headers/x-csrf-token' }] },
    });
    expect(without.json<{ error: { message: string } }>().error.message).toMatch(/x-csrf-token/);
    const forged = await create({ cookie: ada.headers.cookie, 'x-csrf-token': 'forged' });
    expect(forged.statusCode).toBe(403);
    // Another session's token does not pass for this one.
    const bob = await signIn(t, { roles: { prod: ['owner'] } });
    expect(
      (await create({ cookie: ada.headers.cookie, 'x-csrf-token': bob.csrfToken })).statusCode,
    ).toBe(403);

    const ok = await create(ada.headers);
    expect(ok.statusCode, ok.body).toBe(201);
    // A bearer token wins over the cookie, and a script needs no CSRF token.
    expect((await create({ ...t.auth, cookie: ada.headers.cookie })).statusCode).toBe(201);
    // Reads need no token.
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/api/v1/templates',
          headers: { cookie: ada.headers.cookie },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('GET /auth/session gives the user and a fresh CSRF token, or 401', async () => {
    const ada = await signIn(t, { name: 'Ada', roles: { prod: ['viewer'] } });
    const res = await t.app.inject({
      method: 'GET',
      url: '/auth/session',
      headers: { cookie: ada.headers.cookie },
    });
    expect(res.statusCode).toBe(200);
    const { csrfToken } = res.json<{ csrfToken: string }>();
    expect(res.json()).toMatchObject({ user: { id: ada.userId, name: 'Ada' } });
    const logout = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { cookie: ada.headers.cookie, 'x-csrf-token': csrfToken },
    });
    expect(logout.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/auth/session' })).statusCode).toBe(401);
  });

  it('logout needs the CSRF token, revokes the session and clears the cookie', async () => {
    const ada = await signIn(t, { roles: { prod: ['viewer'] } });
    const noToken = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { cookie: ada.headers.cookie },
    });
    expect(noToken.statusCode).toBe(403);
    const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: ada.headers });
    expect(out.statusCode).toBe(204);
    const cleared = out.cookies.find((c) => c.name === 'tern_session');
    expect(cleared?.value).toBe('');
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: ada.headers });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toMatchObject({
      error: { code: 'unauthorized', message: 'Your session has ended: sign in again.' },
    });
  });

  it("keeps only live sessions: a sign-in clears the user's expired and signed-out ones", async () => {
    const ada = await signIn(t, { roles: { prod: ['viewer'] } });
    const sessions = async () =>
      (
        await db()
          .kysely.selectFrom('sessions')
          .select('id')
          .where('user_id', '=', ada.userId)
          .execute()
      ).length;
    await logIn(t, ada.email, TEST_PASSWORD); // a second browser: both live
    expect(await sessions()).toBe(2);
    const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: ada.headers });
    expect(out.statusCode).toBe(204);
    t.clock.advance(12 * 60 * 60 * 1000 + 1); // the second has expired too
    const third = await logIn(t, ada.email, TEST_PASSWORD);
    expect(await sessions()).toBe(1);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: third.headers });
    expect(me.statusCode).toBe(200);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: ada.headers })).statusCode,
    ).toBe(401);
  });

  it('bounds passwords: 12 to 256 characters when set, over 256 refused before hashing', async () => {
    await expect(hashPassword('short')).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(hashPassword('x'.repeat(257))).rejects.toMatchObject({
      code: 'validation_failed',
    });
    const res = await tryLogIn('a@example.test', 'x'.repeat(257));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: { code: 'validation_failed', details: [{ path: '/password' }] },
    });
  });

  it('refuses a disabled user and an expired session', async () => {
    const ada = await signIn(t, { roles: { prod: ['viewer'] } });
    t.clock.advance(12 * 60 * 60 * 1000 + 1);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: ada.headers })).statusCode,
    ).toBe(401);
    await logIn(t, ada.email, TEST_PASSWORD);
    await db()
      .kysely.updateTable('users')
      .set({ disabled_at: t.clock.now().toISOString() })
      .where('id', '=', ada.userId)
      .execute();
    const res = await tryLogIn(ada.email, TEST_PASSWORD);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({
      error: { message: 'This account is disabled: ask an administrator.' },
    });
  });

  it('invites a person end to end: link shown once, password set, roles added, reuse and expiry refused', async () => {
    const owner = await signIn(t, { roles: { prod: ['owner'] } });
    const invite = (headers: Record<string, string>, email: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/invitations',
        headers,
        payload: { email, name: 'Cleo', roles: ['operator', 'compliance'] },
      });
    const viewer = await signIn(t, { roles: { prod: ['viewer'] } });
    expect((await invite(viewer.headers, 'x@example.test')).statusCode).toBe(403);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: owner.headers,
      payload: { email: 'c@example.test', roles: ['admin'] },
    });
    expect(bad.statusCode).toBe(400);

    const created = await invite(owner.headers, 'Cleo@Example.test');
    expect(created.statusCode).toBe(201);
    const body = created.json<{ id: string; url: string; email: string; expiresAt: string }>();
    expect(body).toMatchObject({
      email: 'cleo@example.test',
      sandbox: 'prod',
      roles: ['operator', 'compliance'],
    });
    expect(body.expiresAt).toBe('2026-12-02T12:00:00.000Z');
    const url = new URL(body.url);
    expect(url.origin + url.pathname).toBe('http://tern.test/accept-invitation');
    const token = url.searchParams.get('token') ?? '';
    // Only the hash is stored.
    const stored = await db().kysely.selectFrom('invitations').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(token);
    const pending = await t.app.inject({
      method: 'GET',
      url: '/api/v1/invitations',
      headers: owner.headers,
    });
    expect(pending.json<{ data: unknown[] }>().data).toHaveLength(1);
    expect(pending.body).not.toContain(token);

    const shown = await t.app.inject({ method: 'GET', url: `/auth/invitations/${token}` });
    expect(shown.json()).toEqual({
      email: 'cleo@example.test',
      sandbox: 'prod',
      roles: ['operator', 'compliance'],
      needsPassword: true,
    });
    const accept = (payload: object) =>
      t.app.inject({ method: 'POST', url: `/auth/invitations/${token}/accept`, payload });
    const noPassword = await accept({});
    expect(noPassword.statusCode).toBe(400);
    expect(noPassword.json()).toMatchObject({ error: { details: [{ path: '/password' }] } });
    expect((await accept({ password: 'too short' })).statusCode).toBe(400);
    const accepted = await accept({ password: 'a long enough password' });
    expect(accepted.statusCode).toBe(200);
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { cookie: cookieHeader(accepted.cookies) },
    });
    const who = me.json<{ roles: string[]; user: { email: string } }>();
    expect(who.user.email).toBe('cleo@example.test');
    expect([...who.roles].sort()).toEqual(['compliance', 'operator']);
    // Once only.
    expect((await accept({ password: 'a long enough password' })).statusCode).toBe(404);
    expect(
      (await t.app.inject({ method: 'GET', url: `/auth/invitations/${token}` })).statusCode,
    ).toBe(404);
    await logIn(t, 'cleo@example.test', 'a long enough password');
    const actions = await db().kysely.selectFrom('audit_events').select('action').execute();
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(['invitation.created', 'invitation.accepted', 'user.signed_in']),
    );

    // Expired after 7 days; withdrawn ones stop working at once.
    const later = (await invite(owner.headers, 'dan@example.test')).json<{
      url: string;
      id: string;
    }>();
    const laterToken = new URL(later.url).searchParams.get('token') ?? '';
    const withdrawn = (await invite(owner.headers, 'eve@example.test')).json<{
      url: string;
      id: string;
    }>();
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/invitations/${withdrawn.id}`,
      headers: owner.headers,
    });
    expect(del.statusCode).toBe(204);
    const withdrawnToken = new URL(withdrawn.url).searchParams.get('token') ?? '';
    expect(
      (await t.app.inject({ method: 'GET', url: `/auth/invitations/${withdrawnToken}` }))
        .statusCode,
    ).toBe(404);
    t.clock.advance(7 * 24 * 60 * 60 * 1000 + 1);
    expect(
      (await t.app.inject({ method: 'GET', url: `/auth/invitations/${laterToken}` })).statusCode,
    ).toBe(404);
  });

  it("ends a revoked session's event stream (over a real socket)", async () => {
    await t.app.close();
    t = await buildTestApp(db(), { TERN_EVENT_STREAM_TOKEN_CHECK_MS: '100' });
    const ada = await signIn(t, { roles: { prod: ['viewer'] } });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const res = await fetch(`${address}/api/v1/events/stream`, {
      headers: { cookie: ada.headers.cookie },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: ada.headers });
    expect(out.statusCode).toBe(204);
    const text = await res.text(); // ends when the server closes it
    expect(text).toContain('event: stream_closed');
    expect(text).toContain('The session has ended');
  });
});
