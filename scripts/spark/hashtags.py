#!/usr/bin/env python3
"""The per-batch hashtag job on Apache Spark Streaming (PySpark DStreams).

Manual side-by-side benchmark for benches/hashtags.rs (not run in CI):

    lines.flatMap(split).filter(startswith "#").map((w, 1)).reduceByKey(+)
         .transform(sortBy count desc) -> take(10) per batch

The input file (one tweet per line) is read once into a cached RDD that is materialised
with count() before the streaming context starts, so reading the file is not timed (the
Rust bench also holds the lines in memory). `ssc.queueStream` then hands that same RDD to
`warmup + batches` consecutive batches. Per-batch times come from Spark's own
StreamingListener (BatchInfo); warm-up batches are dropped.

Per batch it prints:
  * processing_ms = BatchInfo.processingDelay (first job start -> last job end);
  * generation_ms = from the batch's first Python transform call on the driver to
    BatchInfo.submissionTime (job set submitted);
  * batch_ms      = generation_ms + processing_ms: the batch's own cost, without waiting
    for earlier batches. This is the figure used for records/s. With more than one
    partition, PySpark's `sortBy` (sortByKey) runs a count() and a sampling job *while the
    batch's jobs are generated*, to pick range-partition bounds; those jobs compute the
    whole map side (flatMap/filter/map + shuffle write), so processingDelay alone would
    leave most of the work out (with local[1] there is one partition and no sampling).

The batch interval must be longer than batch_ms, otherwise batches overlap (the next
batch's generation runs while this one is processing) and the figures are inflated; the
script warns when that happened. Spark's default stability rule is the same: a batch
must finish within its interval.

Final line (machine-parseable):
  spark records_per_sec=<float> median_ms=<float> lines=<int> processing_median_ms=<float> master=<str> batches=<int>
"""

import argparse
import os
import statistics
import sys
import threading
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="text file, one tweet per line")
    p.add_argument("--batches", type=int, default=10, help="measured batches (default 10)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up batches, not measured (default 1)")
    p.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    p.add_argument("--batch-seconds", type=float, default=1.0, help="batch interval in seconds (default 1)")
    p.add_argument("--partitions", type=int, default=0,
                   help="partitions of the input RDD (default: the master's default parallelism)")
    p.add_argument("--timeout", type=float, default=0,
                   help="give up after this many seconds (default 60 + 10 x batches x interval)")
    return p.parse_args()


def main():
    args = parse_args()
    if args.batches < 1 or args.warmup < 0:
        sys.exit("--batches must be >= 1 and --warmup >= 0")

    # Imported here so --help works without pyspark installed.
    from pyspark import SparkConf, SparkContext
    from pyspark.streaming import StreamingContext
    from pyspark.streaming.listener import StreamingListener

    conf = (
        SparkConf()
        .setMaster(args.master)
        .setAppName("hashtags-side-by-side")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        # Streaming unpersists the RDDs an input DStream generated once they fall out of the
        # remember window; for a queueStream that is our cached input RDD itself, which would
        # make later batches re-read the file. Keep it cached.
        .set("spark.streaming.unpersist", "false")
        .set("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
    )
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    partitions = args.partitions or sc.defaultParallelism

    # Read once, cache, materialise: file reading is not part of the timed batches.
    lines_rdd = sc.textFile(args.input, minPartitions=partitions).cache()
    n_lines = lines_rdd.count()
    print(f"input {args.input}: {n_lines} lines in {lines_rdd.getNumPartitions()} partitions, "
          f"master {args.master}, pyspark {sc.version}", flush=True)

    total = args.warmup + args.batches
    ssc = StreamingContext(sc, args.batch_seconds)

    done = threading.Event()
    # (batch_time_ms, processing_ms, batch_ms, scheduling_ms, generation_ms, generation_lag_ms)
    infos = []
    generated = {}  # batch time (ms) -> wall-clock ms when its job generation reached Python
    failures = []

    def java_long(v):
        # The Java-API BatchInfo PySpark hands us gives plain longs (-1 = unset); be lenient
        # in case a Scala Option ever comes through instead.
        return v.get() if hasattr(v, "get") else int(v)

    class Listener(StreamingListener):
        def onBatchCompleted(self, batchCompleted):
            try:
                info = batchCompleted.batchInfo()
                processing = java_long(info.processingDelay())
                scheduling = java_long(info.schedulingDelay())
                batch_time = info.batchTime().milliseconds()
                # Jobs are generated (RDDs built, Python transform functions called, sortBy's
                # eager sampling jobs run) from when `mark` runs until the job set is submitted.
                gen_start = generated.get(batch_time, batch_time)
                generation = java_long(info.submissionTime()) - gen_start
                batch_ms = generation + processing  # no waiting in either queue
                infos.append((batch_time, processing, batch_ms, scheduling,
                              generation, gen_start - batch_time))
                if len(infos) >= total:
                    done.set()
            except Exception as e:  # an exception here would only be logged by the JVM
                failures.append(f"listener: {e!r}")
                done.set()

        def onOutputOperationCompleted(self, outputOperationCompleted):
            try:
                reason = outputOperationCompleted.outputOperationInfo().failureReason()
                if reason:
                    failures.append(str(reason))
                    done.set()
            except Exception as e:
                failures.append(f"listener: {e!r}")
                done.set()

    ssc.addStreamingListener(Listener())

    stream = ssc.queueStream([lines_rdd] * total, oneAtATime=True)
    def mark(t, rdd):
        # Called on the driver while the batch's jobs are generated; same wall clock as the JVM.
        generated[round(t.timestamp() * 1000)] = time.time() * 1000.0
        return rdd

    counts = (
        stream.transform(mark)
        .flatMap(lambda l: l.split())
        .filter(lambda w: w.startswith("#"))
        .map(lambda w: (w, 1))
        .reduceByKey(lambda a, b: a + b)
        .transform(lambda rdd: rdd.sortBy(lambda kv: -kv[1]))
    )

    tops = []  # one per batch, in batch order (output operations run one batch at a time)

    def keep_top(t, rdd):
        tops.append(rdd.take(10))

    counts.foreachRDD(keep_top)

    timeout = args.timeout or 60 + 10 * total * args.batch_seconds
    started = time.monotonic()
    ssc.start()
    finished = done.wait(timeout)
    # Let the listener's last callback and the last foreachRDD return before stopping.
    time.sleep(0.2)
    still_cached = sc._jsc.getPersistentRDDs().containsKey(lines_rdd.id())
    ssc.stop(stopSparkContext=True, stopGraceFully=False)
    wall = time.monotonic() - started

    if failures:
        sys.exit("spark: batch failed: " + failures[0].splitlines()[0])
    if not finished or len(infos) < total:
        sys.exit(f"spark: only {len(infos)}/{total} batches completed in {timeout:.0f}s")

    # Once the queue is drained queueStream yields empty RDDs: those batches come after ours.
    infos.sort()
    measured = infos[args.warmup:total]
    print(f"{'batch':>5} {'batch_ms':>9} {'generation_ms':>13} {'processing_ms':>13} "
          f"{'gen_lag_ms':>10} {'sched_ms':>8}")
    for i, (_, processing, batch_ms, scheduling, gen, lag) in enumerate(infos[:total]):
        tag = " (warm-up)" if i < args.warmup else ""
        print(f"{i:>5} {batch_ms:>9.0f} {gen:>13.0f} {processing:>13} {lag:>10.0f} {scheduling:>8}{tag}")
    if not still_cached:
        print("warning: the input RDD was unpersisted during the run; batches may include file reads")
    backlog = [m for m in measured if m[3] > 50 or m[5] > 100]
    if backlog:
        print(f"warning: {len(backlog)} measured batches waited for an earlier batch (job "
              f"generation or job queue): batch interval {args.batch_seconds}s is shorter than "
              "the batch time, so batches overlapped and their times are inflated; "
              "raise --batch-seconds")

    median_ms = statistics.median(m[2] for m in measured)
    processing_median = statistics.median(m[1] for m in measured)
    rps = n_lines / (median_ms / 1000.0) if median_ms > 0 else float("inf")

    last = tops[total - 1] if len(tops) >= total else []
    print("top 10 of the last batch:")
    for tag, n in last:
        print(f"  {n:>7}  {tag}")
    print(f"median batch {median_ms:.1f} ms (processing only {processing_median:.1f} ms) over "
          f"{len(measured)} batches, {wall:.1f} s wall")
    print(f"spark records_per_sec={rps:.1f} median_ms={median_ms:.1f} lines={n_lines} "
          f"processing_median_ms={processing_median:.1f} master={args.master} batches={len(measured)}",
          flush=True)


if __name__ == "__main__":
    main()
