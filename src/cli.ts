import { main } from './main.js';

// The executable entry: kept apart from main.ts so that tests can import main() without side effects.
process.exitCode = await main(process.argv.slice(2));
