import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { request } from 'undici';
import { expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What a scanner checks on every answer (the CSP in full: it is the contract with the console). */
function expectScannerHeaders(headers: Record<string, unknown>, what: string): void {
  const csp = String(headers['content-security-policy']);
  expect(csp, what).toContain("default-src 'self'");
  expect(csp, what).toContain("script-src 'self'");
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(csp, what).toContain("object-src 'none'");
  expect(csp, what).not.toContain('unsafe-eval');
  const scripts = csp.split(';').find((d) => d.trim().startsWith('script-src '));
  expect(scripts, what).toBe("script-src 'self'");
  // Swagger UI inserts one <style> element: only /docs allows inline styles, never scripts.
  if (!what.startsWith('/docs')) expect(csp, what).not.toContain('unsafe-inline');
  expect(headers['x-content-type-options'], what).toBe('nosniff');
  expect(headers['x-frame-options'], what).toBe('DENY');
  expect(headers['referrer-policy'], what).toBe('no-referrer');
}

describeEachDialect('security headers', ({ db }) => {
  it('sets CSP, nosniff, no-referrer and no framing on every answer, and no-store on /api (real socket)', async () => {
    const t = await buildTestApp(db());
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await request(`${base}${path}`, { headers });
      await res.body.dump();
      return res;
    };
    for (const [path, headers] of [
      ['/api/v1/me', t.auth],
      ['/api/v1/me', {}], // the 401 too
      ['/api/v1/nope', t.auth],
    ] as const) {
      const res = await get(path, headers);
      expectScannerHeaders(res.headers, path);
      expect(res.headers['cache-control'], path).toBe('no-store');
    }
    for (const path of ['/docs/', '/docs/static/index.html', '/openapi.json', '/healthz', '/']) {
      const res = await get(path, { accept: 'text/html' });
      expect(res.statusCode, path).toBeLessThan(400);
      expectScannerHeaders(res.headers, path);
    }
    // A token created through the API (its only showing) is not kept by any cache.
    const created = await request(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: { ...t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci' }),
    });
    await created.body.dump();
    expect(created.headers['cache-control']).toBe('no-store');
    await t.app.close();
  });

  it.runIf(existsSync(CHROMIUM))(
    'the console and the Swagger UI run under the CSP in Chromium, with no violation',
    { timeout: 60_000 },
    async () => {
      const t = await buildTestApp(db());
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const profile = mkdtempSync(join(tmpdir(), 'tern-csp-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
        ],
      });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        page.setDefaultTimeout(15_000);
        const violations: string[] = [];
        page.on('console', (m) => {
          if (/Content.Security.Policy|Refused to/i.test(m.text()))
            violations.push(`${page.url()}: ${m.text()}`);
        });
        // A string, run in the page (the test's tsconfig has no DOM types).
        await page.addInitScript(
          "document.addEventListener('securitypolicyviolation', (e) => console.error('Refused to load (CSP): ' + e.violatedDirective + ' ' + e.blockedURI))",
        );
        // The console: sign in and reach the dashboard (its charts included).
        await page.goto(base);
        await page.getByRole('button', { name: 'Use an admin token' }).click();
        await page.getByLabel('Admin token').fill(t.token);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
        // Swagger UI: the operations render (its bundle and initializer ran).
        await page.goto(`${base}/docs/`);
        await page.locator('.opblock').first().waitFor();
        await page.waitForTimeout(300);
        expect(violations).toEqual([]);
        // Framing is refused: an iframe of /docs stays empty.
        await page.setContent(`<iframe id="f" src="${base}/docs/"></iframe>`);
        await page.waitForTimeout(500);
        const framed = page.frames().find((f) => f.url().startsWith(`${base}/docs`));
        expect(
          (await framed
            ?.locator('.swagger-ui')
            .count()
            .catch(() => 0)) ?? 0,
        ).toBe(0);
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
        await t.app.close();
      }
    },
  );
});
