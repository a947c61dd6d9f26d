#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries for tests/test_instance_postgres.py, which starts its own throw-away
# server (initdb into a temporary folder, loopback only) to run the nightly job through a Postgres-backed Dagster
# instance. `make test` runs this before pytest, so it is idempotent and fast when PostgreSQL is already there: the
# apt step runs only when no /usr/lib/postgresql/<version>/bin/initdb exists. The test never uses a system cluster.
set -euo pipefail

find_initdb() {
    # the newest installed major version (Debian keeps each under /usr/lib/postgresql/<major>/bin); prints
    # nothing, and still succeeds, when there is none
    { ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null || true; } | sort -V | tail -n 1
}

INITDB="$(find_initdb)"
if [ -n "$INITDB" ]; then
    echo "setup_postgres: $("$INITDB" --version) already installed"
    exit 0
fi

# root on a fresh machine (CI containers); otherwise go through sudo without prompting.
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
else
    echo "setup_postgres: PostgreSQL is missing and this user cannot install packages (not root, no sudo);" >&2
    echo "setup_postgres: install it with: apt-get update && apt-get install -y postgresql" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_postgres: no apt-get here; install the PostgreSQL server so that /usr/lib/postgresql/<version>/bin/initdb exists" >&2
    exit 1
fi

echo "setup_postgres: installing postgresql with apt-get"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
# the distribution's supported major version (15 on bookworm); the package also creates the `postgres` user the
# test runs its server as when it runs as root (PostgreSQL refuses to run as root).
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null

INITDB="$(find_initdb)"
if [ -z "$INITDB" ]; then
    echo "setup_postgres: apt-get finished but no /usr/lib/postgresql/<version>/bin/initdb exists" >&2
    exit 1
fi
echo "setup_postgres: $("$INITDB" --version) installed"
