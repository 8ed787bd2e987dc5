import { defineConfig } from 'vitest/config';

/**
 * Suites whose assertions are wall-clock budgets (50 ms per pathological input, /healthz
 * within 100 ms, a live segment's event within a second, a template check's time, a batch of
 * bad messages answered within a second, a flow definition checked within 200 ms). They run
 * after everything else, one file at a time, so a budget measures Tern and not the chaos suite
 * killing processes on the other core.
 */
const TIMED = [
  'test/pathological-inputs.test.ts',
  'test/real-socket.test.ts',
  'test/sqlite-write-lock.test.ts',
  'test/audiences.test.ts',
  'src/http/json-body.test.ts',
  'src/templates/check.test.ts',
  'src/templates/dlt-fit.test.ts',
  'src/templates/render.test.ts',
  'test/validation-errors.test.ts',
  'src/flows/definition-schema.test.ts',
  'src/flows/simulate.test.ts',
  // A demo flow's day lasts 2 s of wall time.
  'test/demo-flows.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The suite-wide secrets scan: every test records what it put into Tern and what Tern put
    // out (test/helpers/leak-record.ts); each project's global teardown fails the run on a leak.
    globalSetup: ['test/leak-scan.global.ts'],
    setupFiles: ['test/setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['src/**/*.test.ts', 'simulator/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: TIMED,
          // Two cores: more workers only add contention on the shared databases.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timed',
          include: TIMED,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
