# syntax=docker/dockerfile:1
# Tern in a container: a build stage with the dev dependencies (TypeScript, Vite) compiles the
# server and the console; the runtime stage, from the same base, installs only the production
# dependencies and runs as an unprivileged user. See docs/operations.md.
# Written and linted (test/deploy-recipes.test.ts) but never built here: no Docker daemon.

# Guess: bookworm-slim (glibc), for which better-sqlite3 ships prebuilt binaries; on Alpine
# (musl) it would compile from source and need python3, make and g++.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY simulator/src ./simulator/src
COPY web ./web
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TERN_HOST=0.0.0.0 \
    TERN_PORT=8080 \
    DATABASE_URL=/app/data/tern.db
WORKDIR /app
# A dedicated system user; the data directory is created (and owned) before it becomes a volume,
# so a fresh named volume starts owned by it. Tern sets the directory to 0700 itself.
RUN groupadd --system tern \
 && useradd --system --gid tern --home-dir /app --no-create-home --shell /usr/sbin/nologin tern \
 && mkdir -p /app/data \
 && chown tern:tern /app/data
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/web/dist ./web/dist
USER tern
# The SQLite database and the key file (tern.key) both live here; with PostgreSQL the key file
# is ./data/tern.key, the same directory. Lose this volume and every stored API key is unreadable.
VOLUME ["/app/data"]
EXPOSE 8080
# The image has no curl: Node's own fetch asks /readyz (database reachable, migrations applied).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TERN_PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Settings come from `docker run -e` / compose (docs/operations.md): TERN_PUBLIC_URL, TERN_ADMIN_TOKEN,
# TERN_TRUST_PROXY behind a proxy, TERN_OIDC_ISSUER + TERN_OIDC_CLIENT_ID + TERN_OIDC_CLIENT_SECRET
# for single sign-on; the first administrator: docker exec -i <container> node bin/tern users create.
# Tern finishes in-flight work on SIGTERM (docker stop's signal); node runs as PID 1 directly.
ENTRYPOINT ["node", "bin/tern"]
CMD ["serve"]
