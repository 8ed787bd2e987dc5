import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Paths that belong to the API and its neighbours: never answered with the console. */
const NOT_THE_CONSOLE = /^\/(?:api|docs|webhooks|openapi\.json|healthz|readyz)(?:[/?]|$)/;

/** `web/dist` from the source tree (`src/http`) or the compiled one (`dist/src/http`). */
export function defaultWebRoot(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const up of ['../../web/dist', '../../../web/dist']) {
    const candidate = join(here, up);
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

function listFiles(root: string): Set<string> {
  const files = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.add(relative(root, path).split(sep).join('/'));
    }
  };
  walk(root);
  return files;
}

const MISSING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tern</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Tern is running</h1>
<p>The admin console has not been built. Run <code>npm run build</code> (or <code>npm start</code>), then reload.</p>
<p>The API is at <a href="/docs">/docs</a>.</p>
</body></html>
`;

/**
 * Serves the admin console (`web/dist`) at `/`: its files by name, and `index.html` for any
 * other browser GET (Accept: text/html) outside the API, so the console's own paths
 * (`/credentials/…`) load on refresh.
 * Only files present at start-up are served, so a request path never reaches the file system.
 */
export async function registerWebConsole(
  app: FastifyInstance,
  root: string | undefined = defaultWebRoot(),
): Promise<void> {
  if (!root) {
    const missing = (_request: FastifyRequest, reply: FastifyReply) =>
      reply.type('text/html; charset=utf-8').send(MISSING_PAGE);
    app.get('/', { schema: { hide: true } }, missing);
    return;
  }
  const files = listFiles(root);
  await app.register(fastifyStatic, { root, serve: false });
  const handler = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (NOT_THE_CONSOLE.test(path)) return reply.callNotFound();
    let file: string;
    try {
      file = decodeURIComponent(path.slice(1));
    } catch {
      return reply.callNotFound();
    }
    if (files.has(file) && file !== 'index.html') {
      // Vite names assets by content hash: they never change under the same name.
      const immutable = file.startsWith('assets/');
      return reply.sendFile(file, {
        cacheControl: true,
        immutable,
        maxAge: immutable ? 31_536_000_000 : 0,
      });
    }
    // The console's own paths are for browsers; an API client asking for JSON gets the 404.
    if (/\.[a-z0-9]+$/i.test(file) || !request.headers.accept?.includes('text/html'))
      return reply.callNotFound();
    return reply
      .header('cache-control', 'no-cache')
      .header('x-frame-options', 'DENY')
      .sendFile('index.html', { cacheControl: false });
  };
  app.get('/', { schema: { hide: true } }, handler);
  app.get('/*', { schema: { hide: true } }, handler);
}
