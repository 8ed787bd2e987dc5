import { Type } from '@sinclair/typebox';
import type { App } from '../app-type.js';
import type { Db } from '../../db/database.js';
import { pingDatabase } from '../../db/database.js';
import { pendingMigrations } from '../../db/migrate.js';

const Health = Type.Object({ status: Type.Literal('ok') });
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Object({
    database: Type.Union([
      Type.Literal('ok'),
      Type.Literal('unreachable'),
      Type.Literal('write_locked'),
    ]),
    migrations: Type.Union([Type.Literal('ok'), Type.Literal('pending'), Type.Literal('unknown')]),
    shuttingDown: Type.Boolean(),
  }),
  pendingMigrations: Type.Optional(Type.Array(Type.String())),
  /** Why not ready, in a sentence, when the database is the cause. */
  reason: Type.Optional(Type.String()),
});

const LOCKED =
  'another process holds the SQLite write lock: writes answer 503 until it is released';

/** Liveness and readiness probes, open to load balancers (no token). */
export function healthRoutes(app: App, deps: { db: Db; isShuttingDown: () => boolean }) {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'The process is alive', response: { 200: Health } } },
    () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'The database is reachable, writable and migrated; 503 otherwise',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const reachable = await pingDatabase(deps.db);
      // Reads go on while another process holds SQLite's write lock; every write would fail.
      const writable = reachable && (await deps.db.writable().catch(() => false));
      const database = !reachable ? 'unreachable' : writable ? 'ok' : 'write_locked';
      const pending = reachable
        ? await pendingMigrations(deps.db).catch(() => undefined)
        : undefined;
      const migrations = pending === undefined ? 'unknown' : pending.length > 0 ? 'pending' : 'ok';
      const shuttingDown = deps.isShuttingDown();
      const ready = database === 'ok' && migrations === 'ok' && !shuttingDown;
      return reply.status(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        checks: { database, migrations, shuttingDown },
        ...(pending && pending.length > 0 ? { pendingMigrations: pending } : {}),
        ...(database === 'write_locked' ? { reason: LOCKED } : {}),
      });
    },
  );
}
