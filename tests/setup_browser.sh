#!/usr/bin/env bash
# Installs Debian's chromium for tests/test_catalogue_browser.py, which renders the extracts catalogue page in a
# real headless browser. `make test` runs this before pytest, so it must be idempotent and fast when the browser
# is already there: the apt step runs only when /usr/bin/chromium is missing.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "setup_browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi

# root on a fresh machine (CI containers); otherwise go through sudo without prompting.
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
else
    echo "setup_browser: $CHROMIUM is missing and this user cannot install packages (not root, no sudo);" >&2
    echo "setup_browser: install it with: apt-get update && apt-get install -y chromium" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_browser: no apt-get here; install chromium so that $CHROMIUM exists" >&2
    exit 1
fi

echo "setup_browser: installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null

if [ ! -x "$CHROMIUM" ]; then
    echo "setup_browser: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
echo "setup_browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
