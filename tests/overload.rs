//! Overload (issue 14.2): a producer ten times faster than the pipeline, for 60 s of wall
//! clock. The pipeline (the `overload` example, a child process) must not crash, its
//! resident memory must stay under the bound the README derives from `buffer_bytes`, the
//! producer must be slowed (TCP flow control for a socket; for Kafka the records wait in
//! the topic, each batch capped by `max_rate_per_partition`), and the batch info must show
//! the scheduling delay growing.
//!
//! `cargo build --features kafka --examples` first: `cargo test --test overload` does not
//! rebuild the example it runs.

mod common;

use std::time::Duration;

use common::overload::{Overload, lines};
use streaming::line_feed::{LineFeed, ReplayOptions, ReplayServer};

const MIB: u64 = 1 << 20;
/// The buffer the example is given (`buffer_bytes`).
const BUFFER: u64 = 16 * MIB;
/// How long the producer outruns the pipeline.
const RUN: Duration = Duration::from_secs(60);

/// What glibc's allocator may keep for reuse rather than return to the system: its trim
/// threshold grows with the largest block freed, up to 64 MiB.
const ALLOCATOR: u64 = 64 * MIB;

/// The README's bound for a socket source: the receiver's buffer and the batch being
/// processed (each at most `buffer_bytes` plus one read block), twice over for the vectors
/// growing by doubling, plus what the allocator keeps, plus 16 MiB for the program itself
/// (9 MiB idle, measured).
fn socket_bound(buffer: u64) -> u64 {
    4 * buffer + ALLOCATOR + 16 * MIB
}

#[test]
fn a_socket_ten_times_faster_than_the_pipeline_is_slowed_by_tcp_memory_stays_bounded() {
    // 100 µs of work per line: about 10 000 lines/s (less with the sleeps' overhead).
    let work_us = 100;
    let capacity = 1e6 / work_us as f64;
    let rate = 10.0 * capacity;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (addr, stats) = runtime.block_on(async {
        let server = ReplayServer::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let stats = server.stats();
        server.serve(
            LineFeed::from_lines(lines(10_000, 200)),
            ReplayOptions::new().lines_per_second(rate).repeat(true),
        );
        (addr, stats)
    });
    let run = Overload::start(&[
        "--socket",
        &addr.to_string(),
        "--work-us",
        &work_us.to_string(),
        "--buffer-bytes",
        &BUFFER.to_string(),
    ])
    .run_for(RUN);
    let sent = stats.lines_sent();
    let offered = (rate * RUN.as_secs_f64()) as u64;
    let processed = run.records();
    eprintln!(
        "socket: max RSS {:.1} MiB (bound {} MiB), producer sent {sent} of {offered} lines offered, pipeline processed {processed}, max scheduling delay {} ms, {} batches",
        run.max_rss as f64 / MIB as f64,
        socket_bound(BUFFER) / MIB,
        run.max_scheduling_ms(),
        run.batches.len()
    );
    eprintln!("socket batches:\n{}", run.table());
    assert!(run.alive, "the pipeline exited:\n{}", run.table());
    assert!(run.max_rss > 0, "no memory figure read from /proc");
    assert!(
        run.max_rss <= socket_bound(BUFFER),
        "RSS {} bytes over the bound {}",
        run.max_rss,
        socket_bound(BUFFER)
    );
    // The input did flow (more than the buffer holds, so the bound is not trivially met)...
    let line_bytes = 200 + 16;
    assert!(
        sent * line_bytes > 4 * BUFFER,
        "only {sent} lines were sent"
    );
    // ...but TCP flow control held the producer to a fraction of its rate: what it sent is
    // what the pipeline took (processed, buffered, at most a few MiB in socket buffers).
    assert!(
        sent < offered / 4,
        "the producer was not slowed: {sent} of {offered} lines sent"
    );
    assert!(processed > 0, "nothing processed:\n{}", run.table());
    // The batches fall behind: the first starts on time, later ones far past the interval.
    assert!(
        run.batches[0].scheduling_ms < 1_000 && run.max_scheduling_ms() >= 5_000,
        "no growing scheduling delay:\n{}",
        run.table()
    );
}

#[cfg(feature = "kafka")]
mod kafka {
    use super::*;
    use common::kafka::Broker;

    /// The README's bound for a Kafka source: the staging buffer (`buffer_bytes`, plus one
    /// fetched message set), librdkafka's prefetch queue (`queued.max.messages.kbytes`, the
    /// example sets 4 MiB) and the batch being processed (`max_rate_per_partition ×
    /// interval` records), twice over for growth slack, plus what the allocator keeps,
    /// plus 32 MiB for the program and librdkafka's threads and buffers.
    fn kafka_bound(buffer: u64, queued: u64, batch: u64) -> u64 {
        2 * (buffer + queued + batch) + ALLOCATOR + 32 * MIB
    }

    #[test]
    fn kafka_ten_times_faster_than_the_pipeline_waits_in_the_topic_memory_stays_bounded() {
        // 500 µs of work per record: about 2000 records/s; the producer writes 20 000/s.
        let work_us = 500;
        let capacity = 1e6 / work_us as f64;
        let rate = 10.0 * capacity;
        let max_rate = 2 * capacity as u64;
        let record_bytes = 100u64;
        let broker = Broker::start();
        broker.create_topic("lines", 1);
        let producer = streaming::line_feed::to_kafka(
            &broker.addr(),
            "lines",
            LineFeed::from_lines(lines(10_000, record_bytes as usize)),
            ReplayOptions::new().lines_per_second(rate).repeat(true),
            &[("linger.ms", "5")],
        )
        .unwrap();
        let stats = producer.stats();
        let run = Overload::start(&[
            "--kafka",
            &broker.addr(),
            "--topic",
            "lines",
            "--work-us",
            &work_us.to_string(),
            "--buffer-bytes",
            &BUFFER.to_string(),
            "--max-rate-per-partition",
            &max_rate.to_string(),
            "--queued-kbytes",
            "4096",
        ])
        .run_for(RUN);
        let produced = stats.lines_sent();
        drop(producer);
        let consumed = run.records();
        // A staged record costs its value plus about 100 bytes of bookkeeping.
        let bound = kafka_bound(BUFFER, 4 * MIB, max_rate * (record_bytes + 100));
        eprintln!(
            "kafka: max RSS {:.1} MiB (bound {} MiB), produced {produced}, processed {consumed}, max scheduling delay {} ms, {} batches",
            run.max_rss as f64 / MIB as f64,
            bound / MIB,
            run.max_scheduling_ms(),
            run.batches.len()
        );
        eprintln!("kafka batches:\n{}", run.table());
        assert!(run.alive, "the pipeline exited:\n{}", run.table());
        assert!(run.max_rss > 0, "no memory figure read from /proc");
        assert!(
            run.max_rss <= bound,
            "RSS {} bytes over the bound {bound}",
            run.max_rss
        );
        // The topic took much more than the bound's worth of records...
        assert!(
            produced * record_bytes > 4 * BUFFER,
            "only {produced} records were produced"
        );
        // ...and the rate limit held every batch to its plan: the rest waits in the topic.
        for b in &run.batches {
            assert!(
                b.records <= max_rate,
                "a batch over the rate limit:\n{}",
                run.table()
            );
        }
        assert!(consumed > 0, "nothing processed:\n{}", run.table());
        assert!(
            consumed < produced / 3,
            "the source was not held back: {consumed} of {produced} records processed"
        );
        assert!(
            run.batches[0].scheduling_ms < 1_000 && run.max_scheduling_ms() >= 5_000,
            "no growing scheduling delay:\n{}",
            run.table()
        );
    }
}
