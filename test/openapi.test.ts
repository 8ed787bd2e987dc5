import { expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { describeEachDialect } from './helpers/databases.js';

type Operation = { summary?: string; security?: unknown; responses?: Record<string, unknown> };

describeEachDialect('OpenAPI document', ({ db }) => {
  it('describes every /api route with a summary, bearer security and its error answers', async () => {
    const { app } = await buildTestApp(db());
    await app.ready();
    const doc = (await app.inject('/openapi.json')).json<{
      paths: Record<string, Record<string, Operation>>;
    }>();
    const routes = app.registeredRoutes.filter(
      (r) => r.url.startsWith('/api') && r.method !== 'HEAD',
    );
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      const name = `${route.method} ${route.url}`;
      expect(operation, name).toBeDefined();
      expect(operation?.summary, name).toBeTruthy();
      expect(operation?.security, name).toEqual([{ bearerAuth: [] }]);
      const statuses = Object.keys(operation?.responses ?? {});
      expect(statuses, name).toContain('401');
      expect(
        statuses.some((s) => s.startsWith('2')),
        name,
      ).toBe(true);
    }
    await app.close();
  });
});
