import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', 'scripts', 'build-if-stale.mjs');
const tree = mkdtempSync(join(tmpdir(), 'tern-build-'));
afterAll(() => rmSync(tree, { recursive: true, force: true }));

/** Writes a file of the tree with its modification time `secondsAgo` in the past. */
function file(path: string, secondsAgo: number): void {
  const full = join(tree, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, '');
  const at = Date.now() / 1000 - secondsAgo;
  utimesSync(full, at, at);
}

function check(): { status: number | null; out: string } {
  const run = spawnSync(process.execPath, [script, '--check', '--root', tree], {
    encoding: 'utf8',
  });
  return { status: run.status, out: run.stdout };
}

describe('npm start builds only when the build is missing or stale', () => {
  it('names a missing build, accepts a current one, and names the source that changed', () => {
    file('src/cli.ts', 100);
    file('web/src/main.tsx', 100);
    expect(check()).toEqual({
      status: 1,
      out: 'tern: a build is due (dist/src/cli.js is missing).\n',
    });

    file('dist/src/cli.js', 50);
    file('web/dist/index.html', 50);
    expect(check()).toEqual({
      status: 0,
      out: 'tern: the build in dist/ is current; not rebuilding (npm run build forces one).\n',
    });

    file('web/src/pages/Flows.tsx', 10);
    expect(check()).toEqual({
      status: 1,
      out: 'tern: a build is due (web/src changed since the last build).\n',
    });
  });
});
