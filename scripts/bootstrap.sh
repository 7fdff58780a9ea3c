#!/usr/bin/env bash
# Set up everything shopreport needs on a Debian machine: system packages (only when missing),
# a virtualenv in .venv and the project installed into it. Safe to run again; fast when done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei poppler-utils)
VENV=${SHOPREPORT_VENV:-.venv}
EXTRAS=${1:-}
# the test set-up also needs a browser: the mail is checked as rendered by Debian's Chromium
if [[ ",$EXTRAS," == *",test,"* ]]; then
    APT_PACKAGES+=(chromium)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's own python3 needs python3-venv for `python3 -m venv` (ensurepip)
if [ ! -x "$VENV/bin/python" ] && ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    missing+=(python3-venv)
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "shopreport set-up: Python 3.11 or newer is needed (found $(python3 --version 2>&1))" >&2
    exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "shopreport set-up: installing system packages: ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp="$VENV/.installed${EXTRAS:+-$EXTRAS}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "shopreport set-up: creating virtualenv $VENV"
    python3 -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "shopreport set-up: installing shopreport${EXTRAS:+[$EXTRAS]} into $VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
    "$VENV/bin/pip" install -q --disable-pip-version-check -e ".${EXTRAS:+[$EXTRAS]}"
    touch "$stamp"
fi
