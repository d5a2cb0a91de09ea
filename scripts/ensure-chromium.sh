#!/usr/bin/env bash
# The browser tests drive the system's Chromium (Debian packages chromium and chromium-driver):
# Playwright's own browser download needs hosts the CI network does not reach.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM:-}" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium for the browser tests (Debian packages chromium, chromium-driver)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null; }
  exit 0
fi
echo "The browser tests need Chromium: install Debian's chromium and chromium-driver packages," >&2
echo "or set CHROMIUM=/path/to/chromium." >&2
exit 1
