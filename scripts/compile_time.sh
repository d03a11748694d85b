#!/usr/bin/env bash
# What a 10-stage `stream_pipeline!` adds to a program's build, debug and release.
#
# Builds a scratch crate (target/compile-time/) with binaries that differ only in the
# pipeline: `baseline` (a `main` that uses the crate but holds no pipeline), `one_stage`
# (`source socket(..) |> print`: what any pipeline costs), `ten_stages`, and a word count
# as DSL stages (`wc_stages`) and as a SQL query (`wc_sql`).
# Dependencies are built once first and not measured; then each binary is touched and
# rebuilt three times, and the fastest rebuild is kept.
#
#   scripts/compile_time.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/compile-time"
mkdir -p "$dir/src/bin"

cat >"$dir/Cargo.toml" <<TOML
[package]
name = "compile-time"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
streaming = { path = "$root" }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }

[workspace]
TOML

# bin NAME: a binary whose `main` runs the pipeline read from stdin (none if stdin is empty).
bin() {
    local pipeline
    pipeline="$(cat)"
    {
        echo 'use streaming::prelude::*;'
        echo
        echo '#[tokio::main]'
        echo 'async fn main() -> Result<(), StreamingError> {'
        echo '    let args: Vec<String> = std::env::args().collect();'
        echo '    println!("{} {}", args.len(), BatchTime::from_millis(1000));'
        if [ -z "$pipeline" ]; then
            echo '    Ok(())'
        else
            echo '    stream_pipeline! {'
            echo "$pipeline"
            echo '    }'
            echo '    .run()'
            echo '    .await'
        fi
        echo '}'
    } >"$dir/src/bin/$1.rs"
}

bin baseline </dev/null

bin one_stage <<'RS'
        batch 2s;
        source socket("localhost", 9999)
            |> print
RS

bin ten_stages <<'RS'
        batch 2s;
        source socket("localhost", 9999)
            |> flat_map split                                  // 1
            |> map |w: &str| w.trim_matches(',')               // 2
            |> filter |w: &&str| !w.is_empty()                 // 3
            |> map |w: &str| w.to_lowercase()                  // 4
            |> filter starts_with("#")                         // 5
            |> map |w: String| (w, 1)                          // 6
            |> reduce_by_key(+)                                // 7
            |> window(60s, 2s) reduce(+, -)                    // 8
            |> sort desc                                       // 9
            |> print                                           // 10
RS

# The same per-batch word count as DSL stages and as a SQL query: what a query costs to
# compile over the stages it lowers to.
bin wc_stages <<'RS'
        batch 2s;
        source socket("localhost", 9999)
            |> flat_map split
            |> map |w| (w, 1)
            |> reduce_by_key(+)
            |> print
RS

bin wc_sql <<'RS'
        batch 2s;
        let words = source socket("localhost", 9999) |> flat_map split;
        sql("SELECT word, count(*) AS total FROM words AS w(word) GROUP BY word")
            |> print
RS

export CARGO_TARGET_DIR="$dir/target"
cd "$dir"

now() { date +%s.%N; }
best_rebuild() { # profile-flag bin
    local best=""
    for _ in 1 2 3; do
        touch "src/bin/$2.rs"
        local t0 t1
        t0=$(now)
        cargo build --quiet $1 --bin "$2"
        t1=$(now)
        best=$(python3 -c "a='$best'; b=$t1-$t0; print(b if a=='' else min(float(a), b))")
    done
    echo "$best"
}

printf '%-8s %10s %10s %11s %18s %10s %10s %10s\n' profile baseline one_stage ten_stages "ten - baseline" wc_stages wc_sql "sql - dsl"
for profile in debug release; do
    flag=""
    [ "$profile" = release ] && flag="--release"
    cargo build --quiet $flag --bins # dependencies, not measured
    base=$(best_rebuild "$flag" baseline)
    one=$(best_rebuild "$flag" one_stage)
    ten=$(best_rebuild "$flag" ten_stages)
    wcd=$(best_rebuild "$flag" wc_stages)
    wcs=$(best_rebuild "$flag" wc_sql)
    python3 -c "print(f'{\"$profile\":<8} {$base:9.2f}s {$one:9.2f}s {$ten:10.2f}s {$ten-$base:17.2f}s {$wcd:9.2f}s {$wcs:9.2f}s {$wcs-$wcd:9.2f}s')"
done
