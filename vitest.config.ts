import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'simulator/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores: more workers only add contention on the shared databases.
    maxWorkers: 2,
    // The suite-wide secrets scan: every test records what it put into Tern and what Tern put
    // out (test/helpers/leak-record.ts); the global teardown fails the run on any leak.
    globalSetup: ['test/leak-scan.global.ts'],
    setupFiles: ['test/setup.ts'],
  },
});
