//! A deliberately slow pipeline, to watch overload and backpressure (the tests in
//! tests/overload.rs and tests/backpressure.rs run it against producers ten times faster).
//!
//! Each record costs `--work-us` microseconds of (sleeping) work, one thread, so the
//! pipeline processes about `1e6 / work_us` records per second. After every batch a line
//! goes to stdout: `batch <ms> records <n> scheduling_ms <ms> processing_ms <ms>`.
//!
//! ```text
//! cargo run --release --example replay -- FILE --port 9999 --rate 100000 &   # a fast producer
//! cargo run --release --example overload -- --socket 127.0.0.1:9999 --work-us 100 \
//!     --buffer-bytes 16777216 [--backpressure]
//! cargo run --release --features kafka --example overload -- --kafka 127.0.0.1:9092 \
//!     --topic lines --work-us 500 --max-rate-per-partition 4000 [--backpressure]
//! ```

mod common;

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::Parser;
use streaming::prelude::*;

/// Reads `host:port` (`bytes` of buffer); each record costs `work`.
fn socket_job(host: String, port: u16, bytes: usize, work: Mutex<Work>) -> Pipeline {
    stream_pipeline! {
        batch 1s;
        parallelism 1;
        source socket(host, port).buffer_bytes(bytes)
            |> map |line| { Work::record(&work); line.len() }
            |> count
            |> foreach_batch(|_time, _counts| {})
    }
}

/// Reads `brokers`' `--topic`; each record costs `work`.
#[cfg(feature = "kafka")]
fn kafka_job(cli: &Cli, brokers: &str, work: Mutex<Work>) -> common::Result<Pipeline> {
    let (brokers, topic, bytes) = (brokers.to_string(), cli.topic.clone(), cli.buffer_bytes);
    let queued = cli.queued_kbytes.to_string();
    // No limit: a rate no topic reaches.
    let max_rate = cli.max_rate_per_partition.unwrap_or(u64::MAX);
    Ok(stream_pipeline! {
        batch 1s;
        parallelism 1;
        source kafka(brokers, topic)
                .from_earliest()
                .buffer_bytes(bytes)
                .max_rate_per_partition(max_rate)
                .option("queued.max.messages.kbytes", queued)
            |> map |value| { Work::record(&work); value.len() }
            |> count
            |> foreach_batch(|_time, _counts| {})
    })
}

#[cfg(not(feature = "kafka"))]
fn kafka_job(_: &Cli, _: &str, _: Mutex<Work>) -> common::Result<Pipeline> {
    Err("--kafka needs the `kafka` feature".into())
}

/// The line after every batch: `batch <ms> records <n> scheduling_ms <ms> processing_ms <ms>`.
fn report(b: &BatchInfo) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "batch {} records {} scheduling_ms {} processing_ms {}",
        b.batch_time.milliseconds(),
        b.num_records,
        b.scheduling_delay.as_millis(),
        b.processing_delay.as_millis()
    );
    let _ = out.flush();
}

/// Simulated work: `work_us` per record, slept in slices of at least a millisecond (so the
/// cost is exact on average without spinning a core).
struct Work {
    per_record: Duration,
    owed: Duration,
}

impl Work {
    /// One record's work (the pipeline runs one thread: the lock is never contended).
    fn record(work: &Mutex<Work>) {
        work.lock().unwrap_or_else(|e| e.into_inner()).owe();
    }

    fn owe(&mut self) {
        self.owed += self.per_record;
        if self.owed >= Duration::from_millis(1) {
            let started = Instant::now();
            std::thread::sleep(self.owed);
            self.owed = self.owed.saturating_sub(started.elapsed());
        }
    }
}

#[derive(Parser, Debug)]
struct Cli {
    /// Read lines from this TCP server (`host:port`).
    #[arg(long)]
    socket: Option<String>,
    /// Read this Kafka cluster's `--topic` instead (needs the `kafka` feature).
    #[arg(long)]
    kafka: Option<String>,
    #[arg(long, default_value = "lines")]
    topic: String,
    /// Microseconds of work per record.
    #[arg(long, default_value_t = 100)]
    work_us: u64,
    /// The source's buffer (`buffer_bytes`).
    #[arg(long, default_value_t = 16 << 20)]
    buffer_bytes: usize,
    /// Kafka: `max_rate_per_partition`.
    #[arg(long)]
    max_rate_per_partition: Option<u64>,
    /// Kafka: librdkafka's prefetch queue, `queued.max.messages.kbytes`.
    #[arg(long, default_value_t = 4096)]
    queued_kbytes: u64,
    /// Turn backpressure on.
    #[arg(long)]
    backpressure: bool,
    /// Backpressure's initial rate (records per second).
    #[arg(long)]
    initial_rate: Option<u64>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    seconds: Option<u64>,
    /// Serve the streaming page and Prometheus /metrics at this address while running
    /// (watch the scheduling delay grow, or backpressure hold it).
    #[arg(long, value_name = "HOST:PORT")]
    ui: Option<String>,
}

#[tokio::main]
async fn main() -> common::Result {
    let cli = Cli::parse();
    let work = Mutex::new(Work {
        per_record: Duration::from_micros(cli.work_us),
        owed: Duration::ZERO,
    });
    let mut pipeline = match (&cli.socket, &cli.kafka) {
        (Some(addr), None) => {
            let (host, port) = common::host_port("--socket", addr)?;
            socket_job(host, port, cli.buffer_bytes, work)
        }
        (None, Some(brokers)) => kafka_job(&cli, brokers, work)?,
        _ => return Err("give exactly one of --socket and --kafka".into()),
    };
    if let Some(addr) = &cli.ui {
        pipeline.ui(addr.clone());
    }
    if cli.backpressure {
        pipeline.backpressure_with(streaming::BackpressureConfig {
            initial_rate: cli.initial_rate,
            ..Default::default()
        });
    }
    pipeline.on_batch_completed(report);
    pipeline.run_until(common::stop_after(cli.seconds)).await?;
    Ok(())
}
