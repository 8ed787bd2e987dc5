import { createServer } from 'node:net';
import Fastify from 'fastify';
import pg from 'pg';
import { expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../db/dialect.js';
import { installErrorHandling } from './error-handler.js';

/** A port nothing listens on: one the system just gave out and took back. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

/** A real node-postgres error: the pool cannot reach a server (nothing listens on the port). */
async function unreachableDatabaseError(): Promise<unknown> {
  const port = await closedPort();
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'x', connectionTimeoutMillis: 2000 });
  try {
    await pool.query('select 1');
    throw new Error('expected the query to fail');
  } catch (error) {
    return error;
  } finally {
    await pool.end();
  }
}

it('tells a database that cannot be reached from other errors', async () => {
  expect(isDatabaseUnavailable(await unreachableDatabaseError())).toBe(true);
  expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  expect(isDatabaseUnavailable(Object.assign(new Error('shutting down'), { code: '57P01' }))).toBe(
    true,
  );
  expect(isDatabaseUnavailable(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
  expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
  expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
});

it('answers 503 with Retry-After when the database is unreachable, 500 for anything else', async () => {
  const app = Fastify({ logger: false });
  installErrorHandling(app);
  const unreachable = await unreachableDatabaseError();
  app.get('/down', () => {
    throw unreachable;
  });
  app.get('/bug', () => Promise.reject(new TypeError('x is undefined')));
  const down = await app.inject('/down');
  expect(down.statusCode).toBe(503);
  expect(down.headers['retry-after']).toBe('5');
  expect(down.json()).toEqual({
    error: {
      code: 'unavailable',
      message: 'The database is unavailable. Try again shortly.',
      details: [],
    },
  });
  const bug = await app.inject('/bug');
  expect(bug.statusCode).toBe(500);
  expect(bug.json<{ error: { code: string } }>().error.code).toBe('internal_error');
  await app.close();
});
