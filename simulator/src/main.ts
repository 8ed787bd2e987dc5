/** Standalone entry: `npx tsx simulator/src/main.ts [options]` (same as `tern simulator`). */
import { simulatorCommand } from './cli.js';

simulatorCommand(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
