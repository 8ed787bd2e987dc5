/**
 * Single sign-on in a real browser: Debian's Chromium (playwright-core) clicks the console's
 * "Sign in with Test IdP", fills the real oidc-provider's login and consent forms, and comes
 * back to the console's dashboard signed in: the cookies' attributes (Secure, HttpOnly,
 * SameSite=Lax, the pending login's path) are judged by the browser, not by the test.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { expect, it } from 'vitest';
import { createUser } from '../src/auth/users.js';
import { ManualClock } from '../src/clock.js';
import { buildTestApp } from './helpers/app.js';
import { createTestDatabase, migrateTestDatabase } from './helpers/databases.js';
import { freePort, startIdp } from './helpers/oidc-provider.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

it(
  'Chromium signs in through the provider and lands on the console with a working session',
  { timeout: 180_000 },
  async () => {
    expect(existsSync(CHROMIUM), `Chromium at ${CHROMIUM}`).toBe(true);
    const testDb = await createTestDatabase('sqlite');
    const db = testDb.open();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const idp = await startIdp(`${base}/auth/oidc/callback`);
    const profile = mkdtempSync(join(tmpdir(), 'tern-chromium-oidc-'));
    // Real time: the browser drops a cookie whose expiry is past by its own clock.
    const clock = new ManualClock(new Date());
    const t = await (async () => {
      await migrateTestDatabase(db);
      return buildTestApp(
        db,
        {
          TERN_PUBLIC_URL: base,
          TERN_OIDC_ISSUER: idp.issuer,
          TERN_OIDC_CLIENT_ID: idp.clientId,
          TERN_OIDC_CLIENT_SECRET: idp.clientSecret,
          TERN_OIDC_NAME: 'Test IdP',
        },
        clock,
      );
    })();
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    try {
      await t.app.listen({ port, host: '127.0.0.1' });
      const user = await createUser(db.kysely, clock, { email: 'alice@example.com' });
      await db.kysely
        .insertInto('memberships')
        .values({
          sandbox: 'prod',
          user_id: user.id,
          role: 'operator',
          created_at: clock.now().toISOString(),
        })
        .execute();
      idp.accounts.set('alice-sub', { email: 'alice@example.com', emailVerified: true });

      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(30_000);
      // The console's sign-in screen offers the provider by its configured name.
      await page.goto(base);
      await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      // oidc-provider's development login form, then its consent form.
      await page.fill('input[name="login"]', 'alice-sub');
      await page.fill('input[name="password"]', 'any');
      await page.click('button[type="submit"]');
      await page.click('button[type="submit"]');
      await page.waitForURL(`${base}/**`);
      expect(new URL(page.url()).searchParams.get('signInError')).toBeNull();
      // The console picks the cookie session up (GET /auth/session) and shows the dashboard.
      await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

      const cookies = await context.cookies(base);
      const session = cookies.find((c) => c.name === 'tern_session');
      expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
      expect(cookies.find((c) => c.name === 'tern_oidc')).toBeUndefined();
      const me = await page.evaluate(async () => {
        const res = await fetch('/api/v1/me', { headers: { 'x-sandbox-name': 'prod' } });
        return {
          status: res.status,
          body: (await res.json()) as { user: { email: string; via: string }; roles: string[] },
        };
      });
      expect(me.status).toBe(200);
      expect(me.body.user).toMatchObject({ email: 'alice@example.com', via: 'oidc' });
      expect(me.body.roles).toEqual(['operator']);
    } finally {
      await context.close();
      await t.app.close();
      await idp.stop();
      await db.close();
      await testDb.dispose();
      rmSync(profile, { recursive: true, force: true });
    }
  },
);
