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

Two figures are printed per batch:
  * processing_ms = BatchInfo.processingDelay (first job start -> last job end);
  * batch_ms      = processingDelay + (submissionTime - batchTime), i.e. job generation
    plus processing, without any wait in the job queue. This is the figure used for
    records/s, because with more than one partition `sortBy` runs its range-partition
    sampling job *while the batch's jobs are generated* (PySpark's sortByKey samples
    eagerly), and that job computes the whole map side (flatMap/filter/map + shuffle
    write): processingDelay alone would leave most of the work out.

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
    p.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
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
    infos = []  # (batch_time_ms, processing_ms, batch_ms, scheduling_ms)
    failures = []

    class Listener(StreamingListener):
        def onBatchCompleted(self, batchCompleted):
            info = batchCompleted.batchInfo()
            # Batches whose queue was empty generate no job; only count ones that ran ours.
            if info.outputOperationInfos().size() == 0:
                return
            processing = info.processingDelay().get()
            scheduling = info.schedulingDelay().get()
            total_delay = info.totalDelay().get()
            batch_ms = total_delay - scheduling  # generation + processing, no queueing
            infos.append((info.batchTime().milliseconds(), processing, batch_ms, scheduling))
            if len(infos) >= total:
                done.set()

        def onOutputOperationCompleted(self, outputOperationCompleted):
            op = outputOperationCompleted.outputOperationInfo()
            if op.failureReason().isDefined():
                failures.append(op.failureReason().get())
                done.set()

    ssc.addStreamingListener(Listener())

    stream = ssc.queueStream([lines_rdd] * total, oneAtATime=True)
    counts = (
        stream.flatMap(lambda l: l.split())
        .filter(lambda w: w.startswith("#"))
        .map(lambda w: (w, 1))
        .reduceByKey(lambda a, b: a + b)
        .transform(lambda rdd: rdd.sortBy(lambda kv: -kv[1]))
    )

    tops = {}

    def keep_top(t, rdd):
        tops[t] = rdd.take(10)

    counts.foreachRDD(keep_top)

    started = time.monotonic()
    ssc.start()
    finished = done.wait(args.timeout)
    # Let the listener's last callback and the last foreachRDD return before stopping.
    time.sleep(0.2)
    still_cached = sc._jsc.getPersistentRDDs().containsKey(lines_rdd.id())
    ssc.stop(stopSparkContext=True, stopGraceFully=False)
    wall = time.monotonic() - started

    if failures:
        sys.exit("spark: batch failed: " + failures[0].splitlines()[0])
    if not finished or len(infos) < total:
        sys.exit(f"spark: only {len(infos)}/{total} batches completed in {args.timeout:.0f}s")

    infos.sort()
    measured = infos[args.warmup:total]
    print(f"{'batch':>5} {'batch_ms':>9} {'processing_ms':>13} {'scheduling_ms':>13}")
    for i, (_, processing, batch_ms, scheduling) in enumerate(infos[:total]):
        tag = " (warm-up)" if i < args.warmup else ""
        print(f"{i:>5} {batch_ms:>9} {processing:>13} {scheduling:>13}{tag}")
    if not still_cached:
        print("warning: the input RDD was unpersisted during the run; batches may include file reads")
    backlog = [s for (_, _, _, s) in measured if s > 50]
    if backlog:
        print(f"warning: {len(backlog)} measured batches waited >50 ms in the job queue "
              f"(batch interval {args.batch_seconds}s too short?): the next batch's job "
              "generation overlapped this one's processing")

    median_ms = statistics.median(b for (_, _, b, _) in measured)
    processing_median = statistics.median(p for (_, p, _, _) in measured)
    rps = n_lines / (median_ms / 1000.0) if median_ms > 0 else float("inf")

    last = tops[max(tops)] if tops else []
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
