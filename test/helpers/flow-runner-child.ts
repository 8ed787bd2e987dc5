/**
 * A flow runner alone in a process of its own, for the crash tests (test/flow-crash.test.ts):
 * `node --import tsx test/helpers/flow-runner-child.ts <database url> [<postgres schema>]`.
 * A short lease (1 s), so a runner killed holding runs gives them up within the test.
 */
import { systemClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/database.js';
import { FlowEngine } from '../../src/flows/flow-engine.js';
import { FlowRunner } from '../../src/flows/flow-runner.js';

const [url, schema] = process.argv.slice(2);
if (!url) throw new Error('usage: flow-runner-child.ts <database url> [<schema>]');
const db = openDatabase(url, schema ? { schema, poolSize: 4 } : {});
const runner = new FlowRunner(
  { db, clock: systemClock, engine: new FlowEngine({ db, clock: systemClock }) },
  { leaseMs: 1_000, batch: 10, idleMs: 20 },
);
runner.start();
process.stdout.write(`flow runner ${runner.owner} ready\n`);
process.once('SIGTERM', () => {
  void runner.stop().then(() => db.close());
});
