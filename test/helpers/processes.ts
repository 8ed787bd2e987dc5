/**
 * Child processes for tests, benchmarks and fault runs: the simulator and Tern itself, each in its
 * own process (so that the load generator never shares their event loop), stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { request } from 'undici';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Told of every child: its arguments and extra environment, then its whole output on exit. */
export interface ChildObserver {
  started(args: string[], env: Record<string, string>): void;
  exited(args: string[], output: string): void;
}

/** Observers of the children started here (the test suite's secrets scan reads their output). */
export const childObservers: ChildObserver[] = [];

export interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function start(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  url: (match: RegExpExecArray) => string,
  nodeOptions = ['--import', 'tsx'],
): Promise<Child> {
  const child = spawn(process.execPath, [...nodeOptions, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  for (const observer of childObservers) observer.started(args, env);
  child.once('close', () => {
    for (const observer of childObservers) observer.exited(args, out);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 30 s:\n${out}`)), 30_000);
    const check = () => {
      const match = ready.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      resolve({
        process: child,
        url: url(match),
        output: () => out,
        stop: (signal = 'SIGTERM') =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
            child.once('exit', (code) => done(code));
            child.kill(signal);
          }),
      });
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${out}`));
    });
  });
}

/**
 * The Infobip simulator with `extra` flags (e.g. `--dlr-delay-ms`); its default outcome rules
 * (numbers ending 0994–0999 fail) are off unless `options.defaultRules`.
 */
export async function startSimulator(
  apiKey: string,
  extra: string[] = [],
  options: { defaultRules?: boolean } = {},
): Promise<Child> {
  const port = await freePort();
  return start(
    [
      'simulator/src/main.ts',
      '--port',
      String(port),
      '--api-key',
      apiKey,
      ...(options.defaultRules ? [] : ['--no-default-rules']),
      ...extra,
    ],
    {},
    /listening on (http:\/\/\S+)/,
    (m) => m[1] ?? '',
  );
}

/**
 * `tern serve` (or another command) on a free port: from source, or with `compiled` from the
 * build in `dist/` (what `npm start` runs; benchmarks measure that, see {@link assertBuildFresh}).
 */
export async function startTern(
  env: Record<string, string>,
  command = 'serve',
  options: { compiled?: boolean } = {},
): Promise<Child> {
  const port = env.TERN_PORT ?? String(await freePort());
  if (options.compiled) assertBuildFresh();
  return start(
    [options.compiled ? 'dist/src/cli.js' : 'src/cli.ts', command],
    {
      LOG_LEVEL: 'warn',
      TERN_HOST: '127.0.0.1',
      TERN_PUBLIC_URL: `http://127.0.0.1:${port}`,
      // Benchmarks and fault tests measure the work, not the protections in front of it.
      TERN_RATE_LIMIT_API_PER_MINUTE: '10000000',
      TERN_RATE_LIMIT_WEBHOOK_PER_MINUTE: '10000000',
      TERN_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
      TERN_PORT: port,
    },
    command === 'serve' ? /Tern is running at (http:\/\/\S+)/ : /send worker running/,
    (m) => m[1] ?? `http://127.0.0.1:${port}`,
    options.compiled ? [] : undefined,
  );
}

/**
 * Throws unless `dist/` holds a build at least as new as every file under `src/`: a benchmark
 * of a stale build would report figures for code that no longer exists.
 */
export function assertBuildFresh(): void {
  const entry = 'dist/src/cli.js';
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
  const built = statSync(entry).mtimeMs;
  const newest = readdirSync('src', { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile() && f.name.endsWith('.ts'))
    .map((f) => statSync(join(f.parentPath, f.name)).mtimeMs)
    .reduce((a, b) => Math.max(a, b), 0);
  if (newest > built) throw new Error(`dist/ is older than src/: run "npm run build" first`);
}

/** Calls Tern's API with an admin token; throws with the answer on anything but 2xx. */
export async function ternApi<T>(
  base: string,
  token: string,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await request(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300)
    throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}
