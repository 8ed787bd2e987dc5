#!/usr/bin/env bash
# The production install of docs/operations.md, run for real in an empty folder (CI runs it
# after the tests, from .ci/run): pack the built tree (scripts/pack-production.sh), unpack it
# elsewhere, `npm ci --omit=dev`, check that no dev-only package came with it, start
# `node bin/tern serve` on a fresh SQLite file and a free port, wait for /readyz, call the API
# with the admin token, fetch the console, stop it with SIGTERM and expect exit 0. Each step
# prints its time; any failure stops the run with the server's output.
#
# better-sqlite3 is the one native dependency. On a server its install script fetches the
# prebuilt binary for the platform (prebuild-install) or compiles it. Here there is no network,
# and compiling it took 11 min 31 s on this shared machine, so by default the binary this CI
# tree already compiled, for the same version and Node ABI, is handed to prebuild-install as a
# local prebuild (it loads it before accepting it). `--from-source` compiles it instead.
# `--skip-build` packs the tree as it is, without scripts/build-if-stale.mjs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

from_source=false
build=true
for arg in "$@"; do
  case "$arg" in
    --from-source) from_source=true ;;
    --skip-build) build=false ;;
    *)
      echo "usage: scripts/check-production-install.sh [--from-source] [--skip-build]" >&2
      exit 2
      ;;
  esac
done

work="$(mktemp -d "${TMPDIR:-/tmp}/tern-production-XXXXXX")"
app="$work/app"
server_pid=""
started_at=$(date +%s%N)
step_at=$started_at

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
step() {
  echo "--- production install: $1"
  step_at=$(date +%s%N)
}
done_step() { echo "    ok ($(ms_since "$step_at") ms)${1:+: $1}"; }
fail() {
  echo "FAIL: production install: $1" >&2
  if [ -f "$work/server.log" ]; then
    echo "--- the server's output:" >&2
    tail -n 40 "$work/server.log" >&2
  fi
  exit 1
}

step "build (only when dist/ is older than a source)"
if $build; then node scripts/build-if-stale.mjs >/dev/null || fail "the build failed"; fi
done_step

step "pack the built tree (scripts/pack-production.sh)"
tarball="$(bash scripts/pack-production.sh "$work")" || fail "packing failed"
done_step "$(basename "$tarball"), $(du -k "$tarball" | cut -f1) kB"

step "unpack into an empty folder and npm ci --omit=dev"
mkdir "$app"
tar -xzf "$tarball" -C "$app"
npm_env=()
if ! $from_source; then
  # prebuild-install's name for the binary it would download: <name>-v<version>-node-v<abi>-<platform>-<arch>.tar.gz
  prebuilds="$work/prebuilds"
  mkdir "$prebuilds"
  sqlite_version="$(node -p 'require("./node_modules/better-sqlite3/package.json").version')"
  prebuild="better-sqlite3-v$sqlite_version-node-v$(node -p 'process.versions.modules')-$(node -p 'process.platform')-$(node -p 'process.arch').tar.gz"
  tar -czf "$prebuilds/$prebuild" -C node_modules/better-sqlite3 build/Release/better_sqlite3.node
  npm_env=("npm_config_better_sqlite3_local_prebuilds=$prebuilds")
fi
(cd "$app" && env "${npm_env[@]}" npm ci --omit=dev --prefer-offline --no-audit --no-fund >"$work/npm.log" 2>&1) ||
  { cat "$work/npm.log" >&2; fail "npm ci --omit=dev failed"; }
if grep -q EBADENGINE "$work/npm.log"; then grep EBADENGINE "$work/npm.log" >&2; fail "npm ci printed an engine warning"; fi
done_step "$(grep -Eo 'added [0-9]+ packages' "$work/npm.log" || echo 'installed')$($from_source && echo ', better-sqlite3 compiled from source')"

step "no dev-only package installed"
# The lock file marks every package only the dev dependencies need ("dev": true); none may be
# on disk. Spelled out too, for the log: the build and test tools.
present="$(cd "$app" && node -e '
  const { existsSync } = require("node:fs");
  const lock = require("./package-lock.json");
  const devOnly = Object.entries(lock.packages).filter(([path, p]) => path && p.dev).map(([path]) => path);
  console.log(devOnly.filter((path) => existsSync(path)).join(" "));
  console.error(`    ${devOnly.length} dev-only packages in the lock file`);
')"
[ -z "$present" ] || fail "dev-only packages were installed: $present"
for tool in typescript vite vitest tsx eslint prettier oidc-provider playwright-core react; do
  [ ! -e "$app/node_modules/$tool" ] || fail "$tool (a dev dependency) was installed"
done
[ ! -e "$app/src" ] && [ ! -e "$app/test" ] || fail "the artifact holds sources or tests"
done_step "none of them on disk (typescript, vite, vitest, tsx, eslint, prettier, oidc-provider, playwright-core, react absent)"

step "node bin/tern serve on a fresh SQLite file and a free port"
port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
token="$(node -p 'require("node:crypto").randomBytes(24).toString("hex")')"
mkdir -m 0700 "$work/data"
# A clean environment: only what the install documents, nothing of this CI shell's settings.
(cd "$app" && exec env -i PATH="$PATH" HOME="$work" NODE_ENV=production \
  TERN_HOST=127.0.0.1 TERN_PORT="$port" DATABASE_URL="$work/data/tern.db" \
  TERN_ADMIN_TOKEN="$token" TERN_PUBLIC_URL="http://127.0.0.1:$port" \
  node bin/tern serve >"$work/server.log" 2>&1) &
server_pid=$!
base="http://127.0.0.1:$port"
ready=""
for _ in $(seq 1 300); do
  kill -0 "$server_pid" 2>/dev/null || fail "tern serve exited before it was ready"
  ready="$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz" || true)"
  [ "$ready" = 200 ] && break
  sleep 0.1
done
[ "$ready" = 200 ] || fail "/readyz did not answer 200 within 30 s (last: $ready)"
done_step "/readyz 200 on port $port"

step "the API with the admin token, the console"
me="$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $token" "$base/api/v1/me")"
[ "$(tail -n 1 <<<"$me")" = 200 ] || fail "GET /api/v1/me answered $(tail -n 1 <<<"$me"): $(head -n 1 <<<"$me")"
grep -q '"kind":"token"' <<<"$me" || fail "GET /api/v1/me did not name the token: $(head -n 1 <<<"$me")"
unauthorised="$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/me")"
[ "$unauthorised" = 401 ] || fail "GET /api/v1/me without a token answered $unauthorised, not 401"
# As a browser asks: the console answers HTML only to Accept: text/html.
console="$(curl -s -H 'Accept: text/html' -D "$work/console.headers" "$base/")"
grep -qi '^content-type: text/html' "$work/console.headers" || fail "GET / is not HTML: $(head -n 1 "$work/console.headers")"
asset="$(grep -Eo '/assets/[^"]+\.js' <<<"$console" | head -n 1)"
[ -n "$asset" ] || fail "the console page names no script: is web/dist in the artifact?"
asset_status="$(curl -s -o /dev/null -w '%{http_code}' "$base$asset")"
[ "$asset_status" = 200 ] || fail "the console's script $asset answered $asset_status"
done_step "/api/v1/me 200 (401 without the token), / text/html, $asset 200"

step "SIGTERM and a clean exit"
kill -TERM "$server_pid"
code=""
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid" && code=0 || code=$?
    break
  fi
  sleep 0.1
done
[ -n "$code" ] || fail "tern serve still running 30 s after SIGTERM"
server_pid=""
[ "$code" = 0 ] || fail "tern serve exited $code after SIGTERM"
grep -q '"msg":"tern stopped"' "$work/server.log" || fail "the log does not say \"tern stopped\""
done_step "exit 0, \"tern stopped\" logged"

echo "--- production install: passed in $(ms_since "$started_at") ms"
