import { expect, it } from 'vitest';
import { createAdminToken } from '../src/auth/admin-tokens.js';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';
import { SYSTEM_ACTOR } from '../src/auth/principal.js';

/** Turns `/api/v1/things/:id` into a concrete URL so that every route can be called. */
function concrete(url: string): string {
  return url.replace(/:[A-Za-z]+/g, 'x1').replace(/\*$/, 'x');
}

describeEachDialect('http', ({ db }) => {
  it('answers the health and readiness probes', async () => {
    const { app } = await buildTestApp(db());
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', shuttingDown: false },
    });
    await app.close();
  });

  it('is not ready when the database is gone', async () => {
    const { app } = await buildTestApp(db());
    await db().close();
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      status: 'not_ready',
      checks: { database: 'unreachable' },
    });
    await app.close();
  });

  it('requires a token on every /api route, answering 401 in the error shape', async () => {
    const { app } = await buildTestApp(db());
    await app.ready();
    const apiRoutes = app.registeredRoutes.filter(
      (r) => r.url.startsWith('/api') && r.method !== 'HEAD',
    );
    expect(apiRoutes.length).toBeGreaterThan(0);
    for (const route of apiRoutes) {
      for (const authorization of [
        undefined,
        'Bearer wrong-token',
        'Basic dXNlcjpwYXNz',
        'Bearer',
      ]) {
        const res = await app.inject({
          method: route.method as 'GET',
          url: concrete(route.url),
          headers: authorization ? { authorization } : {},
          payload: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        });
        expect(res.statusCode, `${route.method} ${route.url} with ${authorization}`).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: 'unauthorized', details: [] } });
      }
    }
    await app.close();
  });

  it('accepts a valid token and resolves the sandbox', async () => {
    const { app, auth, services } = await buildTestApp(db());
    await services.sandboxes.create('dev', SYSTEM_ACTOR);
    const me = await app.inject({ url: '/api/v1/me', headers: auth });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ token: { name: 'test', sandbox: null }, sandbox: 'prod' });
    const dev = await app.inject({
      url: '/api/v1/me',
      headers: { ...auth, 'x-sandbox-name': 'dev' },
    });
    expect(dev.json()).toMatchObject({ sandbox: 'dev' });
    await app.close();
  });

  it('accepts TERN_ADMIN_TOKEN from the environment', async () => {
    const { app } = await buildTestApp(db(), { TERN_ADMIN_TOKEN: 'env-token-0123456789' });
    const me = await app.inject({
      url: '/api/v1/me',
      headers: { authorization: 'Bearer env-token-0123456789' },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ token: { id: 'env' } });
    await app.close();
  });

  it('holds a sandbox-limited token to its sandbox', async () => {
    const { app, clock, services } = await buildTestApp(db());
    await services.sandboxes.create('dev', SYSTEM_ACTOR);
    const { token } = await createAdminToken(db(), clock, { name: 'dev only', sandbox: 'dev' });
    const headers = { authorization: `Bearer ${token}` };
    expect(
      (await app.inject({ url: '/api/v1/me', headers: { ...headers, 'x-sandbox-name': 'dev' } }))
        .statusCode,
    ).toBe(200);
    // Another sandbox is "not found" for it, never "forbidden": nothing leaks about what exists.
    const other = await app.inject({ url: '/api/v1/me', headers });
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ error: { code: 'not_found' } });
    await app.close();
  });

  it('rejects a malformed sandbox name with a 400 naming the header', async () => {
    const { app, auth } = await buildTestApp(db());
    const res = await app.inject({
      url: '/api/v1/me',
      headers: { ...auth, 'x-sandbox-name': 'Not Valid!' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: { code: 'validation_failed', details: [{ path: '/headers/x-sandbox-name' }] },
    });
    await app.close();
  });

  it('answers unknown routes, bad JSON and oversized bodies in the error shape', async () => {
    const { app, auth } = await buildTestApp(db(), { TERN_BODY_LIMIT_BYTES: '2048' });
    app.post('/echo', (request) => request.body);
    const missing = await app.inject({ url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { code: 'route_not_found', message: 'No route GET /nope.', details: [] },
    });

    const badJson = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ error: { code: 'invalid_json' } });

    const big = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ text: 'x'.repeat(4096) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    await app.close();
  });

  it('hides 5xx details from the caller and logs them with the request id', async () => {
    const { app, logs } = await buildTestApp(db());
    app.get('/boom', () => {
      throw new Error('secret internals: connection string postgres://u:p@h/db');
    });
    const res = await app.inject({ url: '/boom', headers: { 'x-request-id': 'req-123' } });
    expect(res.statusCode).toBe(500);
    expect(res.headers['x-request-id']).toBe('req-123');
    // Tern's own time for the request, on every answer (errors too).
    expect(res.headers['server-timing']).toMatch(/^app;dur=\d+\.\d$/);
    expect(res.json()).toEqual({
      error: {
        code: 'internal_error',
        message: 'Something went wrong on our side. Quote request id req-123 when reporting it.',
        details: [],
      },
    });
    expect(res.body).not.toContain('secret internals');
    const line = logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'unhandled error');
    expect(line).toMatchObject({
      reqId: 'req-123',
      err: { message: expect.stringContaining('secret internals') as unknown },
    });
    await app.close();
  });

  it('never logs the Authorization header', async () => {
    const { app, logs, token, auth } = await buildTestApp(db(), { LOG_LEVEL: 'trace' });
    await app.inject({ url: '/api/v1/me', headers: auth });
    await app.inject({
      url: '/api/v1/me',
      headers: { authorization: 'Bearer guessed-secret-token' },
    });
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.text).not.toContain(token);
    expect(logs.text).not.toContain('guessed-secret-token');
    await app.close();
  });

  it('publishes an OpenAPI document and Swagger UI', async () => {
    const { app } = await buildTestApp(db());
    const doc = (await app.inject('/openapi.json')).json<{
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown }>>;
    }>();
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.paths['/api/v1/me']?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/healthz']).toBeDefined();
    const ui = await app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    await app.close();
  });
});
