#!/usr/bin/env bash
# Manual side-by-side of the per-batch hashtag job: Apache Spark 4 on the JVM (Scala DStreams
# and Structured Streaming, scripts/spark/Hashtags.scala run by spark-shell) against this crate
# (benches/hashtags.rs), on one input file, on 1 and 2 cores. Not run in CI. See
# scripts/spark/README.md.
#
#   scripts/spark/side_by_side.sh [TWEETS_FILE]
#
# Environment knobs:
#   SPARK_BATCHES=10        measured Spark batches per master
#   SPARK_WARMUP=1          Spark warm-up batches (JVM/JIT, Python workers), not measured
#   SPARK_BATCH_SECONDS=4   DStreams' batch interval; must exceed a batch's time (see README)
#   SPARK_APIS="dstream structured"
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
batch_seconds="${SPARK_BATCH_SECONDS:-4}"
read -r -a apis <<<"${SPARK_APIS:-dstream structured}"
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
        echo "error: java not found. Spark 4 needs Java 17 or later:" >&2
        echo "  apt-get install -y openjdk-17-jre-headless" >&2
        exit 1
    fi
    java_version="$(java -version 2>&1 | head -n 1)"
    if ! grep -Eq 'version "(1[7-9]|[2-9][0-9])[."]' <<<"$java_version"; then
        echo "error: expected Java 17 or later, found: $java_version" >&2
        echo "  apt-get install -y openjdk-17-jre-headless   (and select it with update-alternatives or JAVA_HOME)" >&2
        exit 1
    fi
    echo "java: $java_version"

    venv="$work/venv4"
    if [[ ! -x "$venv/bin/python" ]]; then
        echo "creating virtualenv $venv"
        python3 -m venv "$venv" || {
            echo "error: python3 -m venv failed; install it with: apt-get install -y python3-venv" >&2
            exit 1
        }
    fi
    # PyPI's pyspark ships Spark's jars, spark-shell and spark-submit: no Maven, no download
    # of a Spark distribution.
    if ! "$venv/bin/python" -c 'import pyspark, sys; sys.exit(not pyspark.__version__.startswith("4."))' 2>/dev/null; then
        echo "installing pyspark 4 into $venv"
        "$venv/bin/pip" install --quiet 'pyspark==4.*'
    fi
    SPARK_HOME="$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
    export SPARK_HOME
    echo "spark: $("$venv/bin/python" -c 'import pyspark; print(pyspark.__version__)') ($SPARK_HOME)"

    for api in "${apis[@]}"; do
        for master in "${masters[@]}"; do
            echo
            echo "=== Spark $api, master $master: $warmup warm-up + $batches batches ==="
            log="$work/spark_${api}_${master//[^a-z0-9]/_}.log"
            HASHTAGS_INPUT="$input" HASHTAGS_API="$api" SPARK_BATCHES="$batches" \
                SPARK_WARMUP="$warmup" SPARK_BATCH_SECONDS="$batch_seconds" \
                "$SPARK_HOME/bin/spark-shell" --master "$master" --driver-memory 4g \
                --conf spark.ui.showConsoleProgress=false \
                -i "$script_dir/Hashtags.scala" >"$log" 2>&1 </dev/null || true
            result="$(grep -o 'spark api=.*' "$log" | tail -n 1)"
            [[ -n "$result" ]] || { echo "error: no result line from Hashtags.scala; see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
            echo "$result"
            threads="${master//[^0-9]/}"
            spark_rps["$api $threads"]="$(sed -E 's/.*records_per_sec=([0-9.]+).*/\1/' <<<"$result")"
        done
    done
fi

declare -A rust_rps=()
if [[ "${SKIP_RUST:-0}" != 1 ]]; then
    if ! grep -q STREAMING_BENCH_TWEETS "$root/benches/hashtags.rs"; then
        echo "warning: benches/hashtags.rs does not read STREAMING_BENCH_TWEETS; it will use its own input" >&2
    fi
    echo
    # The steady state, as Spark's figures are: one pipeline runs the same batch again and
    # again (its maps sized by the batches before), where Spark's measured batches follow
    # its warm-up ones.
    echo "=== Rust: cargo bench --bench hashtags -- --noplot 'hashtags_per_batch_steady/fused' ==="
    bench_out="$work/rust_bench.txt"
    (cd "$root" && STREAMING_BENCH_TWEETS="$input" \
        cargo bench --bench hashtags -- --noplot 'hashtags_per_batch_steady/fused') | tee "$bench_out"
    # Criterion prints, per benchmark, "thrpt:  [low mid high]" in elements/s (K/M/G prefixed);
    # take the middle estimate of the first thrpt line after each fused_parallelism_N name
    # (a later "change:" block also has a thrpt line, in %). The name must end there: a
    # variant such as `fused_parallelism_1_owned_lines` is another job.
    while read -r threads rps; do
        rust_rps[$threads]="$rps"
    done < <(python3 - "$bench_out" <<'EOF'
import re, sys
scale = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}
name = None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.search(r"hashtags_per_batch_steady/fused_parallelism_(\d+)\s*$", line)
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
echo "ratio = records/s / the best Spark API's records/s with the same number of threads"
printf '%-22s %7s %16s %9s\n' engine threads records/s ratio
for threads in 1 2; do
    best=""
    for api in "${apis[@]}"; do
        r="${spark_rps["$api $threads"]:-}"
        [[ -n "$r" ]] || continue
        printf '%-22s %7s %16.0f %9s\n' "spark 4 $api" "$threads" "$r" ""
        if [[ -z "$best" ]] || python3 -c "import sys; sys.exit(not $r > $best)"; then best="$r"; fi
    done
    rust="${rust_rps[$threads]:-}"
    if [[ -n "$rust" ]]; then
        ratio="-"
        [[ -n "$best" ]] && ratio="$(python3 -c "print(f'{$rust / $best:.1f}x')")"
        printf '%-22s %7s %16.0f %9s\n' "streaming (fused)" "$threads" "$rust" "$ratio"
    fi
done
