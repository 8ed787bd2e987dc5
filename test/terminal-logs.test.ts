/**
 * At a terminal every log line is readable, the send worker's thread included: its stdout is a
 * pipe to the main thread's, never a TTY, so it is told. `tern serve` runs under script(1),
 * which gives it a pseudo-terminal, as an operator's shell would.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { assertBuildFresh, freePort } from './helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'tern-terminal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the worker thread logs readable lines, not JSON, when tern serve writes to a terminal', async () => {
  assertBuildFresh();
  const port = await freePort();
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(TERN_|DATABASE_URL|LOG_LEVEL|NO_COLOR)/.test(k),
    ),
  );
  // script(1) runs the command on a pseudo-terminal; its own process group, stopped by its id.
  const child = spawn('script', ['-qfec', `${process.execPath} bin/tern serve`, '/dev/null'], {
    env: {
      ...base,
      NO_COLOR: '1',
      LOG_LEVEL: 'debug',
      TERN_HOST: '127.0.0.1',
      TERN_PORT: String(port),
      DATABASE_URL: join(dir, 'tern.db'),
      TERN_WORKER_THREAD: 'true',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  try {
    await expect
      .poll(() => out, { timeout: 60_000, interval: 200 })
      .toMatch(/send worker running in its own thread/);
    await expect
      .poll(() => out, { timeout: 10_000, interval: 200 })
      .toMatch(/send worker thread started/);
  } finally {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
  const logLines = out.split(/\r?\n/).filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l));
  // The thread's line, as the main thread's are: time, level, message, key=value.
  expect(out).toMatch(
    /^\d\d:\d\d:\d\d\.\d{3} DEBUG send worker thread started owner=\S+ database=sqlite:\S+tern\.db\r?$/m,
  );
  expect(
    logLines.some((l) => / INFO {2}send worker running in its own thread owner=/.test(l)),
  ).toBe(true);
  expect(out).not.toContain('{"level"');
}, 90_000);
