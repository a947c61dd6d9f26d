#!/usr/bin/env bash
# Installs Debian packages a test needs: `apt_install.sh <label> <package>...`. Used by the setup scripts that
# `make test` runs (scripts/setup_postgres.sh, tests/setup_browser.sh) once they have found the package missing.
# Root on a fresh machine (CI containers) installs directly; another user goes through sudo without prompting.
set -euo pipefail

label="$1"
shift

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
else
    echo "$label: $* missing and this user cannot install packages (not root, no sudo);" >&2
    echo "$label: install with: apt-get update && apt-get install -y $*" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "$label: no apt-get here; install $* by other means" >&2
    exit 1
fi

echo "$label: installing $* with apt-get"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
