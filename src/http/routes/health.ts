import { Type } from '@sinclair/typebox';
import type { App } from '../app-type.js';
import type { Db } from '../../db/database.js';
import { pingDatabase } from '../../db/database.js';
import { pendingMigrations } from '../../db/migrate.js';

const Health = Type.Object({ status: Type.Literal('ok') });
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  checks: Type.Object({
    database: Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]),
    migrations: Type.Union([Type.Literal('ok'), Type.Literal('pending'), Type.Literal('unknown')]),
    shuttingDown: Type.Boolean(),
  }),
  pendingMigrations: Type.Optional(Type.Array(Type.String())),
});

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
        summary: 'The database is reachable and migrated; 503 otherwise',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const databaseOk = await pingDatabase(deps.db);
      const pending = databaseOk
        ? await pendingMigrations(deps.db).catch(() => undefined)
        : undefined;
      const migrations = pending === undefined ? 'unknown' : pending.length > 0 ? 'pending' : 'ok';
      const shuttingDown = deps.isShuttingDown();
      const ready = databaseOk && migrations === 'ok' && !shuttingDown;
      return reply.status(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        checks: { database: databaseOk ? 'ok' : 'unreachable', migrations, shuttingDown },
        ...(pending && pending.length > 0 ? { pendingMigrations: pending } : {}),
      });
    },
  );
}
