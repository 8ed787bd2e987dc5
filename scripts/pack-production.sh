#!/usr/bin/env bash
# Packs the production artifact of a built tree (`npm run build` first): what a server needs to
# run `npm ci --omit=dev` and `node bin/tern serve`, nothing of the sources, tests or
# node_modules. Prints the tarball's path. Usage: scripts/pack-production.sh [output directory]
# Not `npm pack`: it leaves package-lock.json out of every tarball, and `npm ci` needs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(cd "${1:-$root}" && pwd)"
cd "$root"
for built in dist/src/cli.js dist/src/worker-thread-main.js web/dist/index.html; do
  if [ ! -f "$built" ]; then
    echo "pack-production: $built is missing: run \"npm run build\" first." >&2
    exit 1
  fi
done
version="$(node -p 'require("./package.json").version')"
tarball="$out/tern-$version.tar.gz"
# The lock file pins what `npm ci --omit=dev` installs; docs and deploy/ travel with the code
# (the systemd unit's Documentation= points at docs/operations.md in the installed tree).
tar -czf "$tarball" \
  package.json package-lock.json LICENSE README.md CHANGELOG.md \
  bin dist/src dist/simulator web/dist docs/operations.md deploy
echo "$tarball"
