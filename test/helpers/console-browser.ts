/**
 * The browser suites' harness: `tern demo`'s Tern and simulator (startDemo, SQLite in a temp
 * folder) and Debian's Chromium driven by playwright-core. Never downloads a browser; without
 * one the suite fails and says how to install it. TERN_SCREENSHOTS=1 makes `shot` write the
 * README's pictures into docs/screenshots/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, type TestContext } from 'vitest';
import { startDemo, type RunningDemo } from '../../src/demo.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '../..');
const SCREENSHOTS = process.env.TERN_SCREENSHOTS === '1' ? join(ROOT, 'docs/screenshots') : null;

/** Who a test's own request to Tern is: the demo's token (the default), another token, a person's session, or nobody. */
export type Caller = { token: string } | { cookie: string; csrf: string } | 'anonymous';

export interface Answer<T> {
  status: number;
  body: T;
}

export interface ConsoleSession {
  demo: RunningDemo;
  /** Tern's base URL (API and console). */
  base: string;
  context: BrowserContext;
  page: Page;
  /** A JSON request to Tern beside the browser (`path` from the root: /api/v1/…); throws on 3xx–5xx. */
  api<T>(method: string, path: string, body?: unknown, as?: Caller): Promise<T>;
  /** The same, with the status. */
  answer<T>(method: string, path: string, body?: unknown, as?: Caller): Promise<Answer<T>>;
  close(): Promise<void>;
}

function callerHeaders(demo: RunningDemo, as: Caller | undefined): Record<string, string> {
  if (as === 'anonymous') return {};
  if (as && 'cookie' in as) return { cookie: as.cookie, 'x-csrf-token': as.csrf };
  return { authorization: `Bearer ${as?.token ?? demo.token}` };
}

async function answerOf<T>(
  demo: RunningDemo,
  method: string,
  path: string,
  body: unknown,
  as: Caller | undefined,
): Promise<Answer<T>> {
  const res = await fetch(`${demo.tern.url}${path}`, {
    method,
    headers: {
      ...callerHeaders(demo, as),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as T };
}

export interface ConsoleOptions {
  viewport?: { width: number; height: number };
  acceptDownloads?: boolean;
  /** The browser's zone (an IANA name), so local times on screen do not follow the machine's. */
  timezoneId?: string;
}

/**
 * A browser suite's hooks: the console started before its tests, then `ready` (the suite's own
 * set-up, within `timeoutMs` in all); a picture of a failing step; everything closed after.
 */
export function useConsole(
  name: string,
  options: ConsoleOptions,
  ready: (session: ConsoleSession) => Promise<void> | void,
  timeoutMs = 60_000,
): void {
  let session: ConsoleSession | undefined;
  beforeAll(async () => {
    session = await startConsole(name, options);
    await ready(session);
  }, timeoutMs);
  afterEach((ctx) => screenshotOnFailure(ctx, session?.page));
  afterAll(async () => {
    await session?.close();
  });
}

/** Starts the demo and a headless Chromium on it; `name` names the temp folders. */
export async function startConsole(
  name: string,
  options: ConsoleOptions = {},
): Promise<ConsoleSession> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser tests need Debian's Chromium ` +
        '(apt-get install -y chromium), or CHROMIUM_PATH pointing at one. They never download a browser.',
    );
  }
  if (!existsSync(join(ROOT, 'web/dist/index.html'))) {
    execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  const dataDir = mkdtempSync(join(tmpdir(), `tern-${name}-`));
  const profileDir = mkdtempSync(join(tmpdir(), 'tern-chromium-'));
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  let demo: RunningDemo | undefined;
  let context: BrowserContext | undefined;
  const close = async () => {
    await context?.close();
    await demo?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  };
  try {
    demo = await startDemo({
      port: 0,
      simulatorPort: 0,
      dataDir,
      out: sink,
      // A loaded test machine must not shed the console's requests.
      env: { LOG_LEVEL: 'silent', TERN_MAX_EVENT_LOOP_DELAY_MS: '0' },
    });
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: options.viewport ?? { width: 1366, height: 860 },
      acceptDownloads: options.acceptDownloads ?? false,
      ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    const running = demo;
    return {
      demo,
      base: demo.tern.url,
      context,
      page,
      api: async (method, path, body, as) =>
        (await answerOf<never>(running, method, path, body, as)).body,
      answer: (method, path, body, as) => answerOf(running, method, path, body, as),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** For `afterEach`: a failing step leaves a picture of the page, named in the failure output. */
export async function screenshotOnFailure(ctx: TestContext, page: Page | undefined): Promise<void> {
  if (ctx.task.result?.state !== 'fail' || !page) return;
  const path = join(tmpdir(), `tern-web-failure-${ctx.task.name.replace(/\W+/g, '-')}.png`);
  await page.screenshot({ path }).catch(() => undefined);
  console.error(`screenshot of the failed step: ${path}`);
}

/** A README screenshot, only with TERN_SCREENSHOTS=1. */
export async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

/** The console's own navigation, as a click in the left rail would do it. */
export async function go(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
}
