//! Nexmark's queries (`queries.rs`) over `source nexmark()`, as fast as possible: prints
//! the events per second of the query (generation included) and per second of CPU time,
//! and, apart, of the generator alone.
//!
//! ```text
//! cargo run --release --example nexmark -- --query q1 --events 1000000
//! cargo run --release --example nexmark -- --query q5 --events 10000000 --ui 127.0.0.1:4040
//! ```
//!
//! A run of a million events or more shows a progress bar on a terminal (`indicatif`);
//! `--ui ADDR` serves the streaming page and `/metrics` while it runs.
//!
//! It runs on mimalloc, as `benches/nexmark.rs` does: every event owns three to six
//! strings, and under glibc's allocator freeing them was most of a query's instructions
//! (BENCHMARKS.md, "Nexmark").

mod queries;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use clap::Parser;
use streaming::nexmark::{NexmarkSource, nexmark};
use streaming::prelude::*;

#[derive(Parser)]
#[command(about = "Nexmark q0-q8 over the in-process generator")]
struct Args {
    /// q0, q1, q2, q3, q4, q5, q6, q7 or q8.
    #[arg(long, default_value = "q0")]
    query: String,
    /// Run the query's SQL form instead of its stages (q0, q1, q2, q5, q7 and q8 have one).
    #[arg(long)]
    sql: bool,
    /// Events in all.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Events per batch.
    #[arg(long, default_value_t = 100_000)]
    per_batch: u64,
    /// Serve the streaming page and `/metrics` at this address (e.g. 127.0.0.1:4040)
    /// while the query runs.
    #[arg(long)]
    ui: Option<String>,
}

/// How a query's run is watched: the streaming page, and a progress bar on long runs.
struct Watch {
    ui: Option<String>,
    progress: Option<indicatif::ProgressBar>,
    per_batch: u64,
}

/// Runs of this many events or more show a progress bar.
const PROGRESS_FROM: u64 = 1_000_000;

/// How many events the generator is timed over alone (held in memory at once).
const GENERATOR_TIMED: u64 = 2_000_000;

/// CPU time of this process so far (user and system).
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the struct it is given and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Runs `pipeline` batch by batch until the source is drained, dropping each batch's rows
/// (so memory stays flat); returns the rows it gave.
/// The process's resident memory now, in bytes (`/proc/self/statm`; 0 where unreadable).
fn rss_bytes() -> u64 {
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(0) as u64;
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page)
}

fn drain<T>(
    mut pipeline: Pipeline,
    out: &Collector<T>,
    batches: u64,
    watch: &Watch,
) -> Result<u64, StreamingError> {
    if let Some(addr) = &watch.ui {
        pipeline.ui(addr.clone());
    }
    let mut rows = 0;
    // Resident memory after each tenth of the run: flat when the windows' state is freed
    // as the watermark passes them.
    let mut rss = Vec::new();
    for i in 0..batches {
        pipeline.run_batches(1)?;
        if (i + 1) * 10 / batches.max(1) > i * 10 / batches.max(1) {
            rss.push(rss_bytes());
        }
        if i == 0
            && let Some(addr) = pipeline.ui_address()
        {
            println!("streaming page: http://{addr}/");
        }
        rows += out.take().iter().map(|(_, b)| b.len() as u64).sum::<u64>();
        if let Some(bar) = &watch.progress {
            bar.inc(watch.per_batch);
        }
    }
    if let Some(bar) = &watch.progress {
        bar.finish_and_clear();
    }
    let mib: Vec<String> = rss.iter().map(|b| format!("{}", b >> 20)).collect();
    println!(
        "resident memory after each tenth of the run (MiB): {}",
        mib.join(", ")
    );
    Ok(rows)
}

fn run(
    query: &str,
    sql: bool,
    events: NexmarkSource,
    batches: u64,
    watch: &Watch,
) -> Result<u64, StreamingError> {
    macro_rules! go {
        ($q:path) => {{
            let out = Collector::new();
            drain($q(events, &out), &out, batches, watch)
        }};
    }
    match (query, sql) {
        ("q0", true) => go!(queries::q0_sql),
        ("q1", true) => go!(queries::q1_sql),
        ("q2", true) => go!(queries::q2_sql),
        ("q5", true) => go!(queries::q5_sql),
        ("q7", true) => go!(queries::q7_sql),
        ("q8", true) => go!(queries::q8_sql),
        (q @ ("q3" | "q4" | "q6"), true) => Err(StreamingError::Config(format!(
            "{q} has no SQL form (the README's Nexmark section says what the SQL subset lacks): run it without --sql"
        ))),
        (query, _) => match query {
            "q0" => go!(queries::q0),
            "q1" => go!(queries::q1),
            "q2" => go!(queries::q2),
            "q3" => go!(queries::q3),
            "q4" => go!(queries::q4),
            "q5" => go!(queries::q5),
            "q6" => go!(queries::q6),
            "q7" => go!(queries::q7),
            "q8" => go!(queries::q8),
            other => Err(StreamingError::Config(format!(
                "unknown query `{other}`: q0 to q8"
            ))),
        },
    }
}

fn main() -> Result<(), StreamingError> {
    let args = Args::parse();
    let per_batch = args.per_batch.max(1);
    let source = || nexmark().events(args.events).per_batch(per_batch);
    let batches = args.events.div_ceil(per_batch);

    let progress = (args.events >= PROGRESS_FROM).then(|| {
        let bar = indicatif::ProgressBar::new(args.events);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {human_pos}/{human_len} events, {per_sec}, {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(args.query.clone());
        bar
    });
    let watch = Watch {
        ui: args.ui.clone(),
        progress,
        per_batch,
    };
    let (wall, cpu) = (Instant::now(), cpu_time());
    let rows = run(&args.query, args.sql, source(), batches, &watch)?;
    let (q_wall, q_cpu) = (wall.elapsed(), cpu_time() - cpu);

    // The generator alone, after the query (so that the query's resident memory does not
    // include these events' freed heap), over at most GENERATOR_TIMED events: they are
    // held in memory at once.
    let timed = args.events.min(GENERATOR_TIMED);
    let (wall, cpu) = (Instant::now(), cpu_time());
    let generated = source().generate(timed).len() as u64;
    let (gen_wall, gen_cpu) = (wall.elapsed(), cpu_time() - cpu);

    let per_s = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "generator alone: {generated} events in {:.2} s: {:.0} events/s, {:.0} events/s per core",
        gen_wall.as_secs_f64(),
        per_s(generated, gen_wall),
        per_s(generated, gen_cpu)
    );
    println!(
        "{}{} (generation included): {} events, {rows} rows in {:.2} s: {:.0} events/s, {:.0} events/s per core",
        args.query,
        if args.sql { " in SQL" } else { "" },
        args.events,
        q_wall.as_secs_f64(),
        per_s(args.events, q_wall),
        per_s(args.events, q_cpu)
    );
    Ok(())
}
