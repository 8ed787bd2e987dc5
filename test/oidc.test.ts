import { afterEach, describe, expect, it } from 'vitest';
import { safeReturnPath } from '../src/auth/oidc.js';
import { createUser, findUserByEmail, findUserById } from '../src/auth/users.js';
import { ConfigError, parseConfig } from '../src/config.js';
import type { Db } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import {
  browse,
  CookieJar,
  freePort,
  signInAtIdp,
  startIdp,
  type Idp,
} from './helpers/oidc-provider.js';

const OIDC_ENV = {
  TERN_OIDC_ISSUER: 'https://idp.example.com',
  TERN_OIDC_CLIENT_ID: 'tern',
  TERN_OIDC_CLIENT_SECRET: 'a-client-secret-of-some-length',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('single sign-on configuration', () => {
  it('is off when nothing is set, on when the issuer, client id and secret are', () => {
    expect(parseConfig({}).oidc).toBeNull();
    const config = parseConfig({
      ...OIDC_ENV,
      TERN_PUBLIC_URL: 'https://tern.example.com/',
      TERN_OIDC_NAME: 'Acme',
    });
    expect(config.oidc).toEqual({
      issuer: 'https://idp.example.com',
      clientId: 'tern',
      clientSecret: OIDC_ENV.TERN_OIDC_CLIENT_SECRET,
      name: 'Acme',
      redirectUri: 'https://tern.example.com/auth/oidc/callback',
    });
  });

  it('partly set is an error naming what is missing', () => {
    const problems = problemsOf({ TERN_OIDC_ISSUER: 'https://idp.example.com' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('TERN_OIDC_CLIENT_ID, TERN_OIDC_CLIENT_SECRET missing');
    expect(problemsOf({ TERN_OIDC_NAME: 'Acme' })[0]).toContain('TERN_OIDC_ISSUER');
  });

  it('takes https issuers, and http only on loopback', () => {
    expect(problemsOf({ ...OIDC_ENV, TERN_OIDC_ISSUER: 'http://idp.example.com' })[0]).toContain(
      'TERN_OIDC_ISSUER must be an https URL',
    );
    expect(problemsOf({ ...OIDC_ENV, TERN_OIDC_ISSUER: 'not a url' })).toHaveLength(1);
    for (const issuer of ['http://127.0.0.1:4000', 'http://localhost:4000/oidc']) {
      expect(parseConfig({ ...OIDC_ENV, TERN_OIDC_ISSUER: issuer }).oidc?.issuer).toBe(issuer);
    }
  });

  it('never puts the client secret in an error', () => {
    const problems = problemsOf({ ...OIDC_ENV, TERN_OIDC_ISSUER: 'ftp://x' });
    expect(problems.join('\n')).not.toContain(OIDC_ENV.TERN_OIDC_CLIENT_SECRET);
  });
});

it('the client secret is blanked in any log line that carries the configuration', () => {
  const config = parseConfig(OIDC_ENV);
  const lines: string[] = [];
  const logger = createLogger('info', {
    write: (line: string) => {
      lines.push(line);
    },
  });
  logger.info({ config }, 'configuration');
  logger.info({ oidc: config.oidc }, 'single sign-on');
  logger.info(config.oidc ?? {}, 'flat');
  expect(lines).toHaveLength(3);
  for (const line of lines) expect(line).not.toContain(OIDC_ENV.TERN_OIDC_CLIENT_SECRET);
  expect(lines[0]).toContain('[redacted]');
});

describeEachDialect('GET /auth/methods', ({ db }) => {
  it(
    'says password only without single sign-on, and names the button with it',
    { timeout: 120_000 },
    async () => {
      const plain = await buildTestApp(db());
      const res = await plain.app.inject({ url: '/auth/methods' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ password: true, oidc: null });
      await plain.app.close();

      const sso = await buildTestApp(db(), { ...OIDC_ENV, TERN_OIDC_NAME: 'Acme' });
      const answer = await sso.app.inject({ url: '/auth/methods' });
      expect(answer.json()).toEqual({
        password: true,
        oidc: { name: 'Acme', startUrl: '/auth/oidc/start' },
      });
      // Public: it names no provider address or client.
      expect(answer.body).not.toContain('idp.example.com');
      await sso.app.close();
    },
  );
});

type Tern = Awaited<ReturnType<typeof buildTestApp>> & { base: string; callback: string };

/** An invited user (no password), a viewer in `prod`. */
async function invite(t: Tern, db: Db, email: string) {
  const user = await createUser(db.kysely, t.clock, { email });
  await db.kysely
    .insertInto('memberships')
    .values({
      sandbox: 'prod',
      user_id: user.id,
      role: 'viewer',
      created_at: t.clock.now().toISOString(),
    })
    .execute();
  return user;
}

/** Start → the provider's forms as `login` → the callback; Tern's last answer. */
async function signIn(t: Tern, login: string, jar = new CookieJar()) {
  const start = await browse(jar, `${t.base}/auth/oidc/start`);
  expect(start.status).toBe(302);
  expect(start.location).not.toBeNull();
  if (!start.location!.startsWith(t.config.oidc!.issuer)) return { jar, callback: start, start };
  expect(jar.get(t.base, 'tern_oidc')).toBeDefined();
  const back = await signInAtIdp(jar, start.location!, login, t.callback);
  return { jar, start, back, callback: await browse(jar, back) };
}

/** The sign-in error the console is sent to show, or null for a redirect without one. */
function signInError(location: string | null): string | null {
  return new URL(location ?? '/', 'http://tern.test').searchParams.get('signInError');
}

describeEachDialect('single sign-on against a real OpenID provider', ({ db }) => {
  let idp: Idp | undefined;
  let tern: Tern | undefined;
  afterEach(async () => {
    await tern?.app.close();
    await idp?.stop();
    tern = undefined;
    idp = undefined;
  });

  async function setUp() {
    const port = await freePort();
    // The provider needs Tern's callback; Tern needs the provider's issuer: fix Tern's port first.
    idp = await startIdp(`http://127.0.0.1:${port}/auth/oidc/callback`);
    const t = await buildTestApp(db(), {
      TERN_PUBLIC_URL: `http://127.0.0.1:${port}`,
      TERN_OIDC_ISSUER: idp.issuer,
      TERN_OIDC_CLIENT_ID: idp.clientId,
      TERN_OIDC_CLIENT_SECRET: idp.clientSecret,
      TERN_OIDC_NAME: 'Test IdP',
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    tern = {
      ...t,
      base: `http://127.0.0.1:${port}`,
      callback: `http://127.0.0.1:${port}/auth/oidc/callback`,
    };
    return { idp, tern };
  }

  it(
    'an invited user signs in through the provider and the session cookie works on /api/v1/me',
    { timeout: 90_000 },
    async () => {
      const { idp, tern } = await setUp();
      const user = await invite(tern, db(), 'alice@example.com');
      idp.accounts.set('alice-sub', { email: 'Alice@Example.com', emailVerified: true });

      const { jar, start, callback } = await signIn(tern, 'alice-sub');
      // PKCE, state and nonce on the way out.
      const auth = new URL(start.location!);
      expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
      expect(auth.searchParams.get('state')).toBeTruthy();
      expect(auth.searchParams.get('nonce')).toBeTruthy();
      expect(auth.searchParams.get('redirect_uri')).toBe(tern.callback);
      expect(callback.status, callback.body).toBe(302);
      expect(signInError(callback.location)).toBeNull();
      expect(callback.location).toBe(`${tern.base}/`);
      expect(jar.get(tern.base, 'tern_oidc')).toBeUndefined();
      const session = jar.get(tern.base, 'tern_session');
      expect(session).toBeDefined();

      const me = await fetch(`${tern.base}/api/v1/me`, {
        headers: { cookie: `tern_session=${session}`, 'x-sandbox-name': 'prod' },
      });
      expect(me.status).toBe(200);
      const body = (await me.json()) as {
        kind: string;
        user: { id: string; email: string; via: string };
        roles: string[];
      };
      expect(body.kind).toBe('user');
      expect(body.user).toMatchObject({ id: user.id, email: 'alice@example.com', via: 'oidc' });
      expect(body.roles).toEqual(['viewer']);

      // Linked on first use: the next sign-in finds the user by (issuer, subject), even after the
      // provider changed the address.
      const linked = await findUserById(db().kysely, user.id);
      expect(linked).toMatchObject({ oidc_issuer: idp.issuer, oidc_subject: 'alice-sub' });
      idp.accounts.set('alice-sub', { email: 'alice@new.example.com', emailVerified: true });
      const again = await signIn(tern, 'alice-sub');
      expect(signInError(again.callback.location)).toBeNull();
      expect(again.jar.get(tern.base, 'tern_session')).toBeDefined();

      const rows = await db()
        .kysely.selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'user.signed_in')
        .execute();
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({ resource_id: user.id });
      expect(JSON.parse(rows[0]!.details!)).toEqual({ via: 'oidc' });
      // The client secret reaches no log line.
      expect(tern.logs.text).not.toContain(idp.clientSecret);
    },
  );

  it(
    'refuses an email nobody invited, an unverified email, and a disabled user',
    { timeout: 90_000 },
    async () => {
      const { idp, tern } = await setUp();
      idp.accounts.set('bob-sub', { email: 'bob@example.com', emailVerified: true });
      const bob = await signIn(tern, 'bob-sub');
      expect(bob.callback.status).toBe(302);
      expect(signInError(bob.callback.location)).toBe(
        'Not invited: ask an owner to invite bob@example.com.',
      );
      expect(bob.jar.get(tern.base, 'tern_session')).toBeUndefined();
      // Never made on first sign-in.
      expect(await findUserByEmail(db().kysely, 'bob@example.com')).toBeUndefined();

      const carol = await invite(tern, db(), 'carol@example.com');
      idp.accounts.set('carol-sub', { email: 'carol@example.com', emailVerified: false });
      const unverified = await signIn(tern, 'carol-sub');
      expect(signInError(unverified.callback.location)).toContain(
        'The provider has not verified carol@example.com',
      );
      expect((await findUserById(db().kysely, carol.id))?.oidc_subject).toBeNull();

      const dave = await invite(tern, db(), 'dave@example.com');
      await db()
        .kysely.updateTable('users')
        .set({ disabled_at: tern.clock.now().toISOString() })
        .where('id', '=', dave.id)
        .execute();
      idp.accounts.set('dave-sub', { email: 'dave@example.com', emailVerified: true });
      const disabled = await signIn(tern, 'dave-sub');
      expect(signInError(disabled.callback.location)).toBe(
        'This account is disabled: ask an administrator.',
      );

      // An invited user already linked to another identity is not taken over by a matching email.
      const erin = await invite(tern, db(), 'erin@example.com');
      await db()
        .kysely.updateTable('users')
        .set({ oidc_issuer: idp.issuer, oidc_subject: 'erin-1' })
        .where('id', '=', erin.id)
        .execute();
      idp.accounts.set('erin-2', { email: 'erin@example.com', emailVerified: true });
      const other = await signIn(tern, 'erin-2');
      expect(signInError(other.callback.location)).toContain('another single-sign-on identity');

      const signedIn = await db().kysely.selectFrom('sessions').selectAll().execute();
      expect(signedIn).toEqual([]);
    },
  );

  it(
    'refuses a tampered or missing state and a missing or forged pending-login cookie',
    { timeout: 90_000 },
    async () => {
      const { idp, tern } = await setUp();
      await invite(tern, db(), 'alice@example.com');
      idp.accounts.set('alice-sub', { email: 'alice@example.com', emailVerified: true });

      const attempt = async (change: (url: URL, jar: CookieJar) => void) => {
        const jar = new CookieJar();
        const start = await browse(jar, `${tern.base}/auth/oidc/start`);
        const back = new URL(await signInAtIdp(jar, start.location!, 'alice-sub', tern.callback));
        change(back, jar);
        const answer = await browse(jar, back.href);
        expect(answer.status).toBe(302);
        expect(jar.get(tern.base, 'tern_session')).toBeUndefined();
        return signInError(answer.location);
      };
      expect(await attempt((url) => url.searchParams.set('state', 'forged'))).toContain(
        'does not belong to the sign-in this browser started',
      );
      expect(await attempt((url) => url.searchParams.delete('state'))).toContain(
        'does not belong to the sign-in this browser started',
      );
      // A callback carried to another browser (no cookie), or a cookie not sealed by this Tern.
      expect(await attempt((_url, jar) => jar.set(tern.base, 'tern_oidc', ''))).toContain(
        'not started in this browser',
      );
      expect(
        await attempt((_url, jar) =>
          jar.set(tern.base, 'tern_oidc', `v1.00000000.${'A'.repeat(16)}.${'A'.repeat(22)}.AAAA`),
        ),
      ).toContain('not started in this browser');
      // Older than ten minutes by Tern's clock.
      expect(await attempt(() => tern.clock.advance(11 * 60 * 1000))).toContain(
        'longer than 10 minutes',
      );
      // A callback with nothing at all (someone opening the URL).
      const bare = await browse(new CookieJar(), tern.callback);
      expect(signInError(bare.location)).toContain('not started in this browser');
      expect(await db().kysely.selectFrom('sessions').selectAll().execute()).toEqual([]);
    },
  );

  it(
    'says the provider is down in a sentence, keeps serving, and tries again once it is up',
    { timeout: 90_000 },
    async () => {
      const idpPort = await freePort();
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const t = await buildTestApp(db(), {
        TERN_PUBLIC_URL: base,
        TERN_OIDC_ISSUER: `http://127.0.0.1:${idpPort}`,
        TERN_OIDC_CLIENT_ID: 'tern-console',
        TERN_OIDC_CLIENT_SECRET: 'the-secret-of-a-provider-that-is-down',
      });
      // Starts although the provider is unreachable: discovery waits for the first sign-in.
      await t.app.listen({ port, host: '127.0.0.1' });
      tern = { ...t, base, callback: `${base}/auth/oidc/callback` };
      const down = await browse(new CookieJar(), `${base}/auth/oidc/start`);
      expect(down.status).toBe(302);
      expect(down.location!.startsWith(`${base}/?signInError=`)).toBe(true);
      expect(signInError(down.location)).toContain('cannot be reached right now');
      expect(down.body).not.toMatch(/at .*\.js|Error:/);
      // The operator's log says why (the library's reason), the person's page only the sentence.
      expect(t.logs.text).toContain('"oidc":"provider_unavailable"');
      expect(t.logs.text).toMatch(/"reason":"[^"]+"/);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/auth/methods`)).status).toBe(200);

      // The provider comes up: the next sign-in discovers it (a failure is not remembered).
      idp = await startIdp(tern.callback, idpPort);
      const jar = new CookieJar();
      const up = await browse(jar, `${base}/auth/oidc/start`);
      expect(up.location!.startsWith(idp.issuer)).toBe(true);
    },
  );

  it(
    'without single sign-on configured, both routes send the browser back with the reason',
    { timeout: 60_000 },
    async () => {
      const t = await buildTestApp(db());
      for (const url of ['/auth/oidc/start', '/auth/oidc/callback?code=x&state=y']) {
        const res = await t.app.inject({ url });
        expect(res.statusCode).toBe(302);
        expect(signInError(res.headers.location as string)).toContain('not configured');
      }
      await t.app.close();
    },
  );
});

describe('return paths', () => {
  it('keeps console paths and drops anything that leaves the origin', () => {
    expect(safeReturnPath('/messages?x=1')).toBe('/messages?x=1');
    for (const bad of [
      undefined,
      '//evil.example',
      '/\\evil.example',
      'https://evil.example',
      '/a\r\nSet-Cookie:x',
      `/${'a'.repeat(600)}`,
    ]) {
      expect(safeReturnPath(bad)).toBe('/');
    }
  });
});
