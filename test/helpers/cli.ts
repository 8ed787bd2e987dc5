import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordChildOutput, recordChildSecrets } from './leak-record.js';
import { freePort } from './processes.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The CLI from source (through tsx), as `bin/tern` runs it once built. Its arguments, environment
 * and output go to the suite-wide secrets scan.
 */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  recordChildSecrets(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.once('close', () => recordChildOutput(args, stdout, stderr));
  return child;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Resolves with all stdout so far once `pattern` appears in it. */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; got:\n${seen}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(seen);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (seen += d.toString()));
  });
}

/**
 * Compiles the CLI (tsc only, as `npm run build` does first) when dist/ is missing it or is older
 * than the CLI's own sources (src/main.ts, src/cli/): .ci/run builds everything before the tests,
 * so this only saves a forgotten build while working on the CLI. Another file's type error still
 * emits, so the exit code is not the test: the entry file must be fresh.
 */
export function ensureBuiltCli(): string {
  const entry = join(ROOT, 'dist/src/cli.js');
  const sources = [
    join(ROOT, 'src/main.ts'),
    ...readdirSync(join(ROOT, 'src/cli')).map((f) => join(ROOT, 'src/cli', f)),
  ];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  const fresh = () =>
    existsSync(entry) && statSync(join(ROOT, 'dist/src/main.js')).mtimeMs >= newest;
  if (!fresh()) {
    spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      { cwd: ROOT, stdio: 'ignore', timeout: 300_000 },
    );
    if (!fresh()) throw new Error('the CLI did not build: run "npx tsc -p tsconfig.build.json"');
  }
  return entry;
}

export interface BuiltCliOptions {
  /** The working directory: a folder with no database in it. */
  cwd: string;
  env?: Record<string, string>;
  /** Written to standard input (`--file -`). */
  input?: string;
}

/**
 * The built CLI (`node dist/src/cli.js`, what bin/tern runs) in `cwd`, with only PATH, HOME and
 * `env`: nothing of the test's own environment reaches it. Recorded for the secrets scan.
 */
export function runBuiltCli(args: string[], options: BuiltCliOptions): Promise<CliResult> {
  const env = options.env ?? {};
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: options.cwd, ...env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  recordChildSecrets(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  if (options.input !== undefined) child.stdin?.end(options.input);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      recordChildOutput(args, stdout, stderr);
      resolve({ code, stdout, stderr });
    }),
  );
}

export interface BuiltTern {
  /** Tern's URL. */
  base: string;
  /** The Infobip simulator's URL (its key: {@link BUILT_SIMULATOR_KEY}). */
  simulator: string;
  token: string;
  /** The folder the server runs in (its database and nothing else). */
  dataDir: string;
  dispose(): Promise<void>;
}

export const BUILT_TERN_TOKEN = 'cli-suite-admin-token-0123456789';
export const BUILT_SIMULATOR_KEY = 'cli-suite-simulator-key-000000';

/**
 * `tern serve` and `tern simulator` from the build, on free ports, with a database in a folder
 * of their own: the running Tern the CLI suites manage from elsewhere. Built, not through tsx,
 * because a busy CI machine took over 30 s to start the source.
 */
export async function serveBuilt(env: Record<string, string> = {}): Promise<BuiltTern> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tern-cli-server-'));
  const children: ChildProcess[] = [];
  const startBuilt = async (args: string[], extra: Record<string, string>, ready: RegExp) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), ...args], {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? '', HOME: dataDir, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    // The simulator prints the key it takes (it is a stand-in for Infobip): Tern's output is scanned.
    const scanned = args[0] === 'serve';
    if (scanned) recordChildSecrets(args, extra);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    if (scanned) child.once('close', () => recordChildOutput(args, out, ''));
    return (await waitForOutput(child, ready, 120_000)).match(ready)?.[1] ?? '';
  };
  const dispose = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('close', () => {
              clearTimeout(timer);
              done();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const [simPort, port] = [await freePort(), await freePort()];
    const simulator = await startBuilt(
      [
        'simulator',
        '--port',
        String(simPort),
        '--api-key',
        BUILT_SIMULATOR_KEY,
        '--no-default-rules',
      ],
      {},
      /listening on (http:\/\/\S+)/,
    );
    const base = await startBuilt(
      ['serve'],
      {
        DATABASE_URL: join(dataDir, 'tern.db'),
        TERN_ADMIN_TOKEN: BUILT_TERN_TOKEN,
        TERN_ALLOW_LOOPBACK_PROVIDER: 'true',
        TERN_HOST: '127.0.0.1',
        TERN_PORT: String(port),
        TERN_PUBLIC_URL: `http://127.0.0.1:${port}`,
        TERN_RATE_LIMIT_API_PER_MINUTE: '10000000',
        TERN_MAX_EVENT_LOOP_DELAY_MS: '0',
        LOG_LEVEL: 'warn',
        ...env,
      },
      /Tern is running at (http:\/\/\S+)/,
    );
    return { base, simulator, token: BUILT_TERN_TOKEN, dataDir, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
