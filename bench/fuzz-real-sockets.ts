/**
 * The real-socket fuzz run at length: `tern serve` as a child process, every route sent
 * `--per-route` fuzzed requests over undici (the generator of test/real-socket.test.ts, which
 * sends 6 each in CI), the process checked alive with /healthz under 100 ms after every route.
 *
 *   npx tsx bench/fuzz-real-sockets.ts [--per-route 500] [--seed 20261201] [--dialect sqlite|postgres]
 *
 * PostgreSQL needs TERN_TEST_DATABASE_URL (a throwaway database is made beside it and dropped).
 * Prints every problem (a 5xx, no answer, a 4xx without the error shape, a stall) and exits 1
 * when there is one.
 */
import { parseArgs } from 'node:util';
import type { DialectName } from '../src/db/dialect.js';
import { serveOn } from '../test/helpers/real-http.js';
import { makeFixtures, ROUTE_CASES } from '../test/helpers/route-cases.js';
import { fuzzRoutes } from '../test/helpers/socket-fuzz.js';
import { isMain } from './lib/script.js';

export async function fuzzRealSockets(options: {
  perRoute: number;
  seed: number;
  dialect: DialectName;
}): Promise<number> {
  const served = await serveOn(options.dialect);
  try {
    const fixtures = await makeFixtures(served);
    const started = Date.now();
    const run = await fuzzRoutes(fixtures, ROUTE_CASES, options.perRoute, options.seed);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `fuzz over real sockets [${options.dialect}]: ${run.sent} requests to ${ROUTE_CASES.length} routes in ${seconds.toFixed(1)} s, ` +
        `slowest answer ${run.slowestMs.toFixed(1)} ms, ${run.problems.length} problems (seed ${options.seed})`,
    );
    for (const p of run.problems) console.log(`  ${p.label}\n    → ${p.problem}`);
    return run.problems.length;
  } finally {
    await served.dispose();
  }
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      'per-route': { type: 'string', default: '500' },
      seed: { type: 'string', default: '20261201' },
      dialect: { type: 'string', default: 'sqlite' },
    },
  });
  const dialect = values.dialect === 'postgres' ? 'postgres' : 'sqlite';
  const problems = await fuzzRealSockets({
    perRoute: Number(values['per-route']),
    seed: Number(values.seed),
    dialect,
  });
  process.exit(problems > 0 ? 1 : 0);
}
