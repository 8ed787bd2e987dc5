/**
 * Lints the deployment recipes with what this machine has (no Docker daemon, no buildx, no
 * systemd as init): the Dockerfile's stages, compose.yaml's services, the systemd unit, the
 * reverse-proxy blocks, and that every variable they and docs/operations.md name is one Tern
 * (src/config.ts) or its simulator reads. The health-check command is run for real, against a
 * small server, since the image has no curl to fall back on.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// `yaml` (eemeli/yaml, no dependencies of its own) is already installed as a dependency of
// @fastify/swagger; a test-only import, so no entry of its own in package.json.
import { parse as parseYaml } from 'yaml';

const root = join(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
function dockerfileStages(text: string): { preamble: Instruction[]; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      stages.push({ from: match?.[1] ?? '', name: match?.[2], instructions: [] });
    } else if (stages.length === 0) preamble.push(instruction);
    else stages[stages.length - 1]!.instructions.push(instruction);
  }
  return { preamble, stages };
}

const docker = dockerfileStages(read('Dockerfile'));
const stage = (name: string): Stage => {
  const found = docker.stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage "${name}"`);
  return found;
};
const args = (s: Stage, keyword: string): string[] =>
  s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

/** The JavaScript a `node -e` health check runs, from its exec-form (JSON array) command. */
function nodeEvalScript(command: unknown): string {
  const parts = typeof command === 'string' ? (JSON.parse(command) as unknown) : command;
  expect(Array.isArray(parts)).toBe(true);
  const list = parts as string[];
  const at = list.indexOf('-e');
  expect(list.slice(0, at)).toContain('node');
  const script = list[at + 1];
  expect(typeof script).toBe('string');
  return script!;
}

let server: Server | undefined;
let answer = 200;
const asked: string[] = [];
afterAll(() => server?.close());

/** A stand-in for Tern on a free port: /readyz answers `answer`, everything else 404. */
async function readyzServer(): Promise<number> {
  const s = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(req.url === '/readyz' ? answer : 404).end('{}');
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  server = s;
  return (s.address() as AddressInfo).port;
}

/** Runs a health-check script as the image would, with TERN_PORT set; resolves its exit code. */
function healthCheckExit(script: string, port: number): Promise<number | null> {
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, TERN_PORT: String(port) },
    stdio: 'ignore',
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

describe('Dockerfile', () => {
  it('builds in a stage with the dev dependencies and runs from the same Node 20 base', () => {
    const base = docker.preamble.find(
      (i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='),
    );
    expect(base?.args).toMatch(/^NODE_IMAGE=node:20[-.]/);
    expect(docker.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(stage('build').from).toBe(stage('runtime').from);
    expect(args(stage('build'), 'RUN')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^npm ci\b/), 'npm run build']),
    );
  });

  it('installs only production dependencies in the runtime stage and copies the built tree', () => {
    const runs = args(stage('runtime'), 'RUN')
      .join(' && ')
      .split(/\s*&&\s*/);
    const npm = runs.filter((r) => /^npm (ci|install|i)\b/.test(r));
    expect(npm).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
    expect(runs.some((r) => /\bnpm run build\b|\btsc\b|\bvite\b/.test(r))).toBe(false);
    const copied = args(stage('runtime'), 'COPY').filter((c) => c.startsWith('--from=build'));
    expect(copied.map((c) => c.split(/\s+/)[1])).toEqual(
      expect.arrayContaining(['/src/bin', '/src/dist', '/src/web/dist']),
    );
  });

  it('copies into the build stage only paths that exist, and .dockerignore keeps none of them out', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const copy of args(stage('build'), 'COPY')) {
      const sources = copy.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(root, source)), `${source} exists`).toBe(true);
        expect(ignored, `${source} is not in .dockerignore`).not.toContain(source);
      }
    }
    // tsconfig.build.json compiles these; the build stage must have copied each of them.
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    const copiedSources = args(stage('build'), 'COPY').flatMap((c) => c.split(/\s+/).slice(0, -1));
    for (const dir of build.include) expect(copiedSources).toContain(dir);
    for (const secret of ['.env', 'data', 'node_modules', '*.key', '.git'])
      expect(ignored).toContain(secret);
  });

  it('runs as a user that is not root, with the data directory as a volume and the port exposed', () => {
    const users = args(stage('runtime'), 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const env = args(stage('runtime'), 'ENV').join(' ');
    const dataDir = /DATABASE_URL=(\S+)\/tern\.db/.exec(env)?.[1];
    expect(dataDir).toBe('/app/data');
    expect(args(stage('runtime'), 'VOLUME').join(' ')).toContain(`"${dataDir}"`);
    // With PostgreSQL the key file is ./data/tern.key from the working directory: the same volume.
    expect(args(stage('runtime'), 'WORKDIR')).toEqual(['/app']);
    const port = /TERN_PORT=(\d+)/.exec(env)?.[1];
    expect(args(stage('runtime'), 'EXPOSE')).toEqual([port]);
    expect(env).toContain('TERN_HOST=0.0.0.0');
  });

  it('health-checks /readyz with node alone: exit 0 when ready, 1 when not or when nothing answers', async () => {
    const check = args(stage('runtime'), 'HEALTHCHECK')[0] ?? '';
    const command = check.slice(check.indexOf('CMD ') + 4);
    expect(command).not.toMatch(/\b(curl|wget)\b/);
    const script = nodeEvalScript(command);
    const port = await readyzServer();
    answer = 200;
    expect(await healthCheckExit(script, port)).toBe(0);
    answer = 503;
    expect(await healthCheckExit(script, port)).toBe(1);
    expect(asked).toEqual(['/readyz', '/readyz']);
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    expect(await healthCheckExit(script, port)).toBe(1); // nothing listening
  });

  it('starts tern serve by default', () => {
    expect(args(stage('runtime'), 'ENTRYPOINT')).toEqual(['["node", "bin/tern"]']);
    expect(args(stage('runtime'), 'CMD')).toEqual(['["serve"]']);
  });
});

interface ComposeService {
  image?: string;
  build?: unknown;
  profiles?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  network_mode?: string;
  command?: string[];
}
const composeText = read('compose.yaml');
const compose = parseYaml(composeText) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

describe('compose.yaml', () => {
  it('runs Tern on PostgreSQL, health-checked, with a volume each; the simulator is a profile', () => {
    const { tern, postgres, simulator } = compose.services;
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'simulator', 'tern']);
    expect(tern?.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(tern?.environment?.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
    expect(tern?.volumes).toContain('tern-data:/app/data');
    expect(postgres?.healthcheck?.test).toEqual(expect.arrayContaining(['pg_isready']));
    expect(postgres?.volumes).toContain('pg-data:/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes).sort()).toEqual(['pg-data', 'tern-data']);
    expect(simulator?.profiles).toEqual(['simulator']);
    expect(simulator?.image).toBe(tern?.image);
    expect(simulator?.command?.[0]).toBe('simulator');
    // Tern allows plain http only to loopback: the simulator shares Tern's network namespace.
    expect(simulator?.network_mode).toBe('service:tern');
  });

  it("health-checks Tern with the image's own node: exit 0 on a ready /readyz, 1 on a 503", async () => {
    const test = compose.services.tern?.healthcheck?.test ?? [];
    expect(test[0]).toBe('CMD');
    const script = nodeEvalScript(test.slice(1));
    expect(script).toContain(':8080/readyz'); // the port the compose file publishes
    // Run against the stand-in, the port swapped for its own.
    answer = 200;
    const port = await readyzServer();
    const here = script.replace(':8080/', `:${port}/`);
    expect(await healthCheckExit(here, port)).toBe(0);
    answer = 503;
    expect(await healthCheckExit(here, port)).toBe(1);
  });

  it('holds no secret inline: each one is a ${VARIABLE} from the environment or .env', () => {
    const env = compose.services.tern?.environment ?? {};
    for (const name of ['TERN_ADMIN_TOKEN', 'TERN_SECRET_KEY', 'TERN_METRICS_TOKEN'])
      expect(env[name], name).toMatch(new RegExp(`^\\$\\{${name}(:[-?][^}]*)?\\}$`));
    expect(env.DATABASE_URL).toContain(':${POSTGRES_PASSWORD:?');
    expect(compose.services.postgres?.environment?.POSTGRES_PASSWORD).toMatch(
      /^\$\{POSTGRES_PASSWORD:\?[^}]*\}$/,
    );
  });
});

const unit = read('deploy/tern.service');
const unitValues = (key: string): string[] =>
  unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

describe('deploy/tern.service', () => {
  it('runs as a dedicated user from a working directory, with an environment file, restarting on failure', () => {
    expect(unitValues('User')).toEqual(['tern']);
    expect(unitValues('WorkingDirectory')).toEqual(['/opt/tern']);
    expect(unitValues('EnvironmentFile')).toEqual(['/etc/tern/tern.env']);
    expect(unitValues('Restart')).toEqual(['on-failure']);
    expect(unitValues('ExecStart')).toEqual(['/usr/bin/node bin/tern serve']);
  });

  it('leaves the SQLite data directory writable under ProtectSystem=strict', () => {
    expect(unitValues('ProtectSystem')).toEqual(['strict']);
    const state = unitValues('StateDirectory');
    const dataDir = /^DATABASE_URL=(.+)\/tern\.db$/.exec(
      unitValues('Environment').find((v) => v.startsWith('DATABASE_URL=')) ?? '',
    )?.[1];
    expect(dataDir).toBe(`/var/lib/${state[0]}`);
    // V8's JIT needs writable-executable memory; Node does not start under this.
    expect(unitValues('MemoryDenyWriteExecute')).toEqual([]);
  });

  it.runIf(spawnSync('systemd-analyze', ['--version']).status === 0)(
    'passes systemd-analyze verify without a warning',
    () => {
      const run = spawnSync('systemd-analyze', ['verify', join(root, 'deploy/tern.service')], {
        encoding: 'utf8',
        timeout: 15_000,
      });
      expect(run.status).toBe(0);
      // Where node is not /usr/bin/node, systemd says so; every other line is a real problem.
      const problems = run.stderr
        .split('\n')
        .filter((l) => l.trim() !== '' && !/is not executable|No such file or directory/.test(l));
      expect(problems).toEqual([]);
    },
  );
});

describe('reverse-proxy examples', () => {
  it('Caddy and nginx proxy to Tern, name TERN_PUBLIC_URL, and do not buffer the event stream', () => {
    const caddy = read('deploy/Caddyfile');
    expect(caddy).toContain('TERN_PUBLIC_URL');
    expect(caddy).toMatch(/@events path \/api\/v1\/events\/stream[\s\S]*?flush_interval -1/);
    expect(caddy).toContain('reverse_proxy 127.0.0.1:8080');

    const nginx = read('deploy/nginx.conf');
    expect(nginx).toContain('TERN_PUBLIC_URL');
    expect(nginx).toMatch(/listen 443 ssl;/);
    const events = /location = \/api\/v1\/events\/stream \{([^}]*)\}/.exec(nginx)?.[1] ?? '';
    expect(events).toContain('proxy_buffering off;');
    expect(events).toContain('proxy_pass http://127.0.0.1:8080;');
  });
});

describe('variables named in the recipes and docs/operations.md', () => {
  const tern = new Set(
    [...read('src/config.ts').matchAll(/'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!),
  );
  const simulator = new Set(
    [...read('simulator/src/cli.ts').matchAll(/\b(TERN_SIM_[A-Z0-9_]+)\b/g)].map((m) => m[1]!),
  );
  // Not Tern's: the postgres image's and Node's own.
  const others = new Set([
    'POSTGRES_USER',
    'POSTGRES_DB',
    'POSTGRES_PASSWORD',
    'NODE_ENV',
    'NODE_IMAGE',
  ]);

  it.each([
    'compose.yaml',
    'Dockerfile',
    'deploy/tern.service',
    'deploy/Caddyfile',
    'deploy/nginx.conf',
    'docs/operations.md',
  ])('%s names only variables Tern, its simulator, PostgreSQL or Node read', (path) => {
    const named = new Set(
      [...read(path).matchAll(/\b((?:TERN|DATABASE|LOG|POSTGRES|NODE)_[A-Z0-9_]+)\b/g)].map(
        (m) => m[1]!,
      ),
    );
    expect(named.size).toBeGreaterThan(0);
    const unknown = [...named].filter((n) => !tern.has(n) && !simulator.has(n) && !others.has(n));
    expect(unknown).toEqual([]);
  });
});
