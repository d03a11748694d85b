#!/usr/bin/env bash
# Installs s3s-fs (an S3-compatible server over a directory, written in Rust) for the
# object-store checkpoint tests: built from crates.io into target/s3s/ (the tests start it
# on 127.0.0.1 from an empty directory, tests/common/s3.rs). It supports the conditional
# writes the checkpoints rely on (`If-None-Match: *`, `If-Match: <etag>` on PUT).
# Version 0.14.1: the newest whose MSRV the stable toolchain meets. Built with the dev
# profile: a test server needs no optimisation, and a release build costs twice the CPU.
# Idempotent: does nothing when the binary is already there. Prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=0.14.1
ROOT=target/s3s
BIN=$ROOT/bin/s3s-fs

# One build at a time (scripts/test starts one in the background; a test needing the
# server meanwhile waits here for it).
mkdir -p target
exec 9>target/.install-s3s.lock
flock 9

if [ ! -x "$BIN" ] || ! "$BIN" --version 2>/dev/null | grep -q "$VERSION"; then
    # No debug info either: a third less to compile and link, and nothing debugs it.
    CARGO_PROFILE_DEV_DEBUG=false cargo install --quiet --locked --debug --version "$VERSION" --features binary \
        --root "$ROOT" s3s-fs >&2
fi
"$BIN" --version >&2
echo "$PWD/$BIN"
