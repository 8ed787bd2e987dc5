#!/usr/bin/env node
// `npm start` and `npm run demo`: builds only when the build is missing or older than its
// sources, so a start on a built tree takes no ~30 s of compiling (and a production install
// without the dev dependencies starts at all). `--force` always builds; `--check` only says
// (exit 1 when a build is due); `--root DIR` judges another tree (the tests).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';

const rootAt = process.argv.indexOf('--root');
const root =
  rootAt > 0 ? join(process.argv[rootAt + 1] ?? '.', '/') : new URL('..', import.meta.url).pathname;
const outputs = ['dist/src/cli.js', 'web/dist/index.html'].map((p) => join(root, p));
const sources = ['src', 'simulator/src', 'web/src'];
const files = [
  'web/index.html',
  'web/vite.config.ts',
  'web/tsconfig.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];

/** The newest modification time of a file or, recursively, a folder's files (0: none). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((max, entry) => Math.max(max, statSync(join(entry.parentPath, entry.name)).mtimeMs), 0);
}

function staleReason() {
  if (process.argv.includes('--force')) return 'asked to (--force)';
  const missing = outputs.find((p) => !existsSync(p));
  if (missing) return `${missing.slice(root.length)} is missing`;
  const built = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  const changed = [...sources, ...files].find((p) => newest(join(root, p)) > built);
  return changed ? `${changed} changed since the last build` : null;
}

const reason = staleReason();
if (reason === null) {
  process.stdout.write(
    'tern: the build in dist/ is current; not rebuilding (npm run build forces one).\n',
  );
} else if (process.argv.includes('--check')) {
  process.stdout.write(`tern: a build is due (${reason}).\n`);
  process.exit(1);
} else {
  process.stdout.write(`tern: building (${reason})…\n`);
  const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(built.status ?? 1);
}
