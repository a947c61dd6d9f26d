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

# the distribution's supported major version (15 on bookworm); the package also creates the `postgres` user the
# test runs its server as when it runs as root (PostgreSQL refuses to run as root).
bash "$(dirname "$0")/apt_install.sh" setup_postgres postgresql

INITDB="$(find_initdb)"
if [ -z "$INITDB" ]; then
    echo "setup_postgres: apt-get finished but no /usr/lib/postgresql/<version>/bin/initdb exists" >&2
    exit 1
fi
echo "setup_postgres: $("$INITDB" --version) installed"
