/**
 * vitest globalSetup: makes the directory the secrets recorder writes to (helpers/leak-record.ts)
 * and, once every test file has run, scans all the records (helpers/leak-scan.ts). A leak fails
 * the run: vitest only logs an error thrown in a global teardown and still exits 0, so the exit
 * code is set here. The records of a failing run are kept for inspection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findLeaks, formatLeaks, readRecords } from './helpers/leak-scan.js';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'tern-leak-scan-'));
  project.provide('leakScanDir', dir);
  return () => {
    const started = Date.now();
    const records = readRecords(dir);
    const secrets = new Set(records.flatMap((r) => (r.type === 'secret' ? [r.value] : []))).size;
    const outputs = records.filter((r) => r.type === 'output');
    const bytes = outputs.reduce((n, r) => n + r.text.length + (r.headers?.length ?? 0), 0);
    const leaks = findLeaks(records);
    const summary =
      `secrets scan: ${secrets} secrets against ${outputs.length} outputs ` +
      `(${(bytes / 1e6).toFixed(1)} MB) in ${Date.now() - started} ms`;
    if (leaks.length > 0) {
      console.error(`\n${formatLeaks(leaks)}\n${summary}; records kept in ${dir}\n`);
      process.exitCode = 1;
      return;
    }
    console.log(`\n${summary}: no leak\n`);
    rmSync(dir, { recursive: true, force: true });
  };
}
