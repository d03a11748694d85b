#!/usr/bin/env bash
# Manual side-by-side of the per-batch hashtag job: Apache Spark Streaming (PySpark DStreams,
# scripts/spark/hashtags.py) against this crate (benches/hashtags.rs), on one input file.
# Not run in CI. See scripts/spark/README.md.
#
#   scripts/spark/side_by_side.sh [TWEETS_FILE]
#
# Environment knobs:
#   SPARK_BATCHES=10        measured Spark batches per master
#   SPARK_WARMUP=1          Spark warm-up batches (JVM/JIT, Python workers), not measured
#   SPARK_BATCH_SECONDS=8   Spark batch interval; must exceed a batch's time (see README)
#   SPARK_MASTERS="local[1] local[2]"
#   SKIP_RUST=1             only run the Spark side
#   SKIP_SPARK=1            only run the Rust side
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$script_dir/../.." && pwd)"
work="$root/target/spark"
mkdir -p "$work"

batches="${SPARK_BATCHES:-10}"
warmup="${SPARK_WARMUP:-1}"
batch_seconds="${SPARK_BATCH_SECONDS:-8}"
read -r -a masters <<<"${SPARK_MASTERS:-local[1] local[2]}"

# --- input -------------------------------------------------------------------------------
if [[ $# -ge 1 ]]; then
    input="$1"
    [[ -f "$input" ]] || { echo "error: no such file: $input" >&2; exit 1; }
elif [[ -f "$root/../shared/data/tweeteval_emoji_tweets.txt" ]]; then
    input="$root/../shared/data/tweeteval_emoji_tweets.txt"
else
    input="$work/tweets.txt"
    if [[ ! -s "$input" ]]; then
        echo "no tweets file given or found; generating 100000 synthetic tweets into $input"
        # Same shape as benches/hashtags.rs's fallback.
        python3 - "$input" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(100_000):
        f.write(f"some words #tag{i % 211} more #t{i % 7} words here\n")
EOF
    fi
fi
input="$(cd "$(dirname "$input")" && pwd)/$(basename "$input")"
lines="$(wc -l <"$input" | tr -d ' ')"
echo "input: $input ($lines lines)"

# --- Spark -------------------------------------------------------------------------------
declare -A spark_rps=()
if [[ "${SKIP_SPARK:-0}" != 1 ]]; then
    if ! command -v java >/dev/null 2>&1; then
        echo "error: java not found. Spark 3.5 here expects Java 17:" >&2
        echo "  apt-get install -y openjdk-17-jre-headless" >&2
        exit 1
    fi
    java_version="$(java -version 2>&1 | head -n 1)"
    if ! grep -Eq 'version "17[."]' <<<"$java_version"; then
        echo "error: expected Java 17, found: $java_version" >&2
        echo "  apt-get install -y openjdk-17-jre-headless   (and select it with update-alternatives or JAVA_HOME)" >&2
        exit 1
    fi
    echo "java: $java_version"

    venv="$work/venv"
    if [[ ! -x "$venv/bin/python" ]]; then
        echo "creating virtualenv $venv"
        python3 -m venv "$venv" || {
            echo "error: python3 -m venv failed; install it with: apt-get install -y python3-venv" >&2
            exit 1
        }
    fi
    # DStreams are deprecated since Spark 3.4 but not removed (pyspark.streaming is still in
    # 4.x). Pin the 3.5 line anyway: it is what this script was run with, and 4.x changes the
    # defaults (Java 17+, Scala 2.13, ANSI SQL mode).
    if ! "$venv/bin/python" -c 'import pyspark, sys; sys.exit(not pyspark.__version__.startswith("3.5."))' 2>/dev/null; then
        echo "installing pyspark 3.5 into $venv"
        "$venv/bin/pip" install --quiet 'pyspark==3.5.*'
    fi
    echo "pyspark: $("$venv/bin/python" -c 'import pyspark; print(pyspark.__version__)')"

    for master in "${masters[@]}"; do
        echo
        echo "=== Spark Streaming, master $master: $warmup warm-up + $batches batches, interval ${batch_seconds}s ==="
        log="$work/spark_${master//[^a-z0-9]/_}.log"
        # Spark's own log (JVM warnings, deprecation notice) goes to the log file.
        "$venv/bin/python" "$script_dir/hashtags.py" --input "$input" --master "$master" \
            --batches "$batches" --warmup "$warmup" --batch-seconds "$batch_seconds" \
            2>"$log" | tee "$work/spark_out.txt" || {
            echo "error: Spark run failed; stderr in $log" >&2
            tail -n 20 "$log" >&2
            exit 1
        }
        result="$(grep '^spark records_per_sec=' "$work/spark_out.txt" | tail -n 1)"
        [[ -n "$result" ]] || { echo "error: no result line from hashtags.py; see $log" >&2; exit 1; }
        threads="${master//[^0-9]/}"
        spark_rps[$threads]="$(sed -E 's/.*records_per_sec=([0-9.]+).*/\1/' <<<"$result")"
    done
fi

# --- Rust --------------------------------------------------------------------------------
declare -A rust_rps=()
if [[ "${SKIP_RUST:-0}" != 1 ]]; then
    if ! grep -q STREAMING_BENCH_TWEETS "$root/benches/hashtags.rs"; then
        echo "warning: benches/hashtags.rs does not read STREAMING_BENCH_TWEETS; it will use its own input" >&2
    fi
    echo
    echo "=== Rust: cargo bench --bench hashtags -- --noplot 'hashtags_per_batch/fused' ==="
    bench_out="$work/rust_bench.txt"
    (cd "$root" && STREAMING_BENCH_TWEETS="$input" \
        cargo bench --bench hashtags -- --noplot 'hashtags_per_batch/fused') | tee "$bench_out"
    # Criterion prints, per benchmark, "thrpt:  [low mid high]" in elements/s (K/M/G prefixed);
    # take the middle estimate of the first thrpt line after each fused_parallelism_N name
    # (a later "change:" block also has a thrpt line, in %).
    while read -r threads rps; do
        rust_rps[$threads]="$rps"
    done < <(python3 - "$bench_out" <<'EOF'
import re, sys
scale = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}
name = None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r"hashtags_per_batch/fused_parallelism_(\d+)", line)
    if m:
        name = m.group(1)
    m = re.search(r"thrpt:\s*\[\s*\S+ \S*elem/s\s+([0-9.]+) ([KMG]?)elem/s", line)
    if m and name is not None:
        print(name, float(m.group(1)) * scale[m.group(2)])
        name = None
EOF
)
fi

# --- table -------------------------------------------------------------------------------
echo
echo "hashtags per batch, $lines lines per batch ($(basename "$input"))"
echo "ratio = records/s / Spark's records/s with the same number of threads"
printf '%-22s %7s %16s %9s\n' engine threads records/s ratio
for threads in 1 2; do
    base="${spark_rps[$threads]:-}"
    if [[ -n "$base" ]]; then
        printf '%-22s %7s %16.0f %9s\n' "spark streaming 3.5" "$threads" "$base" "1.00x"
    fi
    rust="${rust_rps[$threads]:-}"
    if [[ -n "$rust" ]]; then
        ratio="-"
        [[ -n "$base" ]] && ratio="$(python3 -c "print(f'{$rust / $base:.1f}x')")"
        printf '%-22s %7s %16.0f %9s\n' "streaming (fused)" "$threads" "$rust" "$ratio"
    fi
done
