/**
 * Runs in every test file: Tern processes started through helpers/processes.ts have their
 * output and secrets recorded for the suite-wide secrets scan, and the records are written out
 * when the file ends.
 */
import { afterAll } from 'vitest';
import { childObservers } from './helpers/processes.js';
import { flushLeakRecords, recordChildOutput, recordChildSecrets } from './helpers/leak-record.js';

childObservers.push({
  started: (argv, env) => recordChildSecrets(argv, env),
  // Tern from source or from dist/. The simulator's output is not Tern's: it is given the key.
  exited: (argv, output) => {
    if (!argv[0]?.startsWith('simulator/')) recordChildOutput(argv.slice(1), output, '');
  },
});

afterAll(flushLeakRecords);
