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

bash "$(dirname "$0")/../scripts/apt_install.sh" setup_browser chromium fonts-dejavu-core

if [ ! -x "$CHROMIUM" ]; then
    echo "setup_browser: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
echo "setup_browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
