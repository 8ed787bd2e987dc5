/**
 * Start-up failures an operator can fix, from the built CLI (`node bin/tern serve`) as a process:
 * exit 1 and one line on stderr saying what is wrong and what to do, the stack only with
 * LOG_LEVEL=debug.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertBuildFresh, childObservers, freePort } from './helpers/processes.js';

let dir: string;
beforeAll(() => {
  assertBuildFresh();
  dir = mkdtempSync(join(tmpdir(), 'tern-startup-'));
  chmodSync(dir, 0o755); // a second user (below) must reach the directories inside
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  stderr: string;
  stdout: string;
}

/** Runs `node bin/tern serve …` with `env` over a clean environment of Tern settings. */
function serve(env: Record<string, string>, args: string[] = [], uid?: number): Promise<Exit> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(TERN_|DATABASE_URL|LOG_LEVEL)/.test(k)),
  );
  const full = { TERN_HOST: '127.0.0.1', LOG_LEVEL: 'warn', TERN_WORKER: 'false', ...env };
  const argv = ['bin/tern', 'serve', ...args];
  for (const observer of childObservers) observer.started(argv, full);
  const child = spawn(process.execPath, argv, {
    env: { ...base, ...full },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  let stderr = '';
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      for (const observer of childObservers) observer.exited(argv, out + stderr);
      resolve({ code, stderr, stdout: out });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

it('a port in use is named, with --port and TERN_PORT to choose another; --port is honoured', async () => {
  const port = await freePort();
  const holder: Server = createServer();
  await new Promise<void>((done) => holder.listen(port, '127.0.0.1', done));
  try {
    // In memory, migrated in a blink; the key file in a directory of its own (Tern makes it 0700).
    const database = (name: string) => ({
      DATABASE_URL: ':memory:',
      TERN_KEY_FILE: join(dir, name, 'tern.key'),
    });
    const [byEnv, byFlag] = await Promise.all([
      serve({ ...database('env'), TERN_PORT: String(port) }),
      serve({ ...database('flag'), TERN_PORT: String(await freePort()) }, ['--port', String(port)]),
    ]);
    for (const exit of [byEnv, byFlag]) {
      expect(exit.code).toBe(1);
      expect(lines(exit.stderr)).toEqual([
        `tern serve: port ${port} on 127.0.0.1 is already in use (another Tern or another program holds it): stop that, or choose another port with --port ${port + 1} or TERN_PORT.`,
      ]);
    }
  } finally {
    await new Promise((done) => holder.close(done));
  }
}, 30_000);

it('a port in use is found before the database is opened: no directory made, no migration run', async () => {
  const port = await freePort();
  const holder: Server = createServer();
  await new Promise<void>((done) => holder.listen(port, '127.0.0.1', done));
  try {
    // A database in a directory that does not exist yet: opening it would create the directory.
    const data = join(dir, 'never-opened');
    const exit = await serve({
      DATABASE_URL: join(data, 'tern.db'),
      TERN_PORT: String(port),
      LOG_LEVEL: 'info',
    });
    expect(exit.code).toBe(1);
    expect(lines(exit.stderr)).toEqual([
      `tern serve: port ${port} on 127.0.0.1 is already in use (another Tern or another program holds it): stop that, or choose another port with --port ${port + 1} or TERN_PORT.`,
    ]);
    expect(existsSync(data)).toBe(false);
    expect(exit.stdout).not.toContain('migrations applied');
  } finally {
    await new Promise((done) => holder.close(done));
  }
}, 30_000);

it('a database directory that cannot be created says so and what to do; the stack only at debug', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const env = { DATABASE_URL: join(file, 'data', 'tern.db'), TERN_PORT: '0' };
  const [exit, debug] = await Promise.all([serve(env), serve({ ...env, LOG_LEVEL: 'debug' })]);
  expect(exit.code).toBe(1);
  const [line, ...more] = lines(exit.stderr);
  expect(more).toEqual([]);
  expect(line).toMatch(
    new RegExp(
      `^tern serve: the database directory ${join(file, 'data')} does not exist and could not be created \\(ENOTDIR.*\\): create it .*, or set DATABASE_URL to a file in a directory this user can write to\\.$`,
    ),
  );
  expect(exit.stderr).not.toContain('Migration');
  expect(debug.code).toBe(1);
  expect(lines(debug.stderr)[0]).toBe(line);
  expect(debug.stderr).toMatch(/\n\s+at /);
}, 30_000);

it('a database directory this user cannot write to says so, not "Migration unknown failed"', async () => {
  // Root may write anywhere: then the child runs as nobody (65534), as a service user would.
  const asRoot = process.getuid?.() === 0;
  const data = join(dir, 'read-only');
  mkdirSync(data);
  writeFileSync(join(data, 'tern.db'), '');
  chmodSync(join(data, 'tern.db'), 0o666);
  chmodSync(data, 0o555);
  const exit = await serve(
    { DATABASE_URL: join(data, 'tern.db'), TERN_KEY_FILE: join(dir, 'unused.key'), TERN_PORT: '0' },
    [],
    asRoot ? 65534 : undefined,
  );
  expect(exit.code).toBe(1);
  expect(lines(exit.stderr)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^tern serve: the database directory ${data} is not writable by the user Tern runs as \\(uid \\d+\\) \\(SQLite writes its -wal and -shm files there\\): give that user write access to it, or set DATABASE_URL to a file in a directory this user can write to\\.$`,
      ),
    ),
  ]);
}, 30_000);
