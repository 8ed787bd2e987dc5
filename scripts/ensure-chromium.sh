#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a downloaded browser). Installs it when it
# is missing and this is a Debian machine we may administer; otherwise says what to do (the
# browser tests then fail with the same instruction rather than skip).
set -euo pipefail
command -v chromium >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)…"
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
else
  echo "Chromium is missing: the browser tests need it. Install Debian's package: sudo apt-get install chromium" >&2
fi
