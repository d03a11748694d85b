//! Backpressure (issue 14.3), Spark's `spark.streaming.backpressure.enabled`: with it on, a
//! PID controller limits the sources to the rate the pipeline processes, so a producer ten
//! times faster than the pipeline does not make the scheduling delay grow; with it off (the
//! control) it does. The wall-clock tests run the `overload` example as child processes:
//! `cargo build --features kafka --examples` first.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::overload::{Overload, Run, lines};
use streaming::BackpressureConfig;
use streaming::line_feed::{LineFeed, ReplayOptions, ReplayServer};
use streaming::prelude::*;

/// Records the rate limit its store has before each push of 50 records.
struct Probe(Arc<Mutex<Vec<Option<u64>>>>);

impl Receiver for Probe {
    type Block = Vec<u64>;
    fn name(&self) -> String {
        "probe".into()
    }
    async fn receive(self, store: Arc<Store<Vec<u64>>>) -> Result<(), StreamingError> {
        while !store.is_stopping() {
            self.0.lock().unwrap().push(store.rate_limit());
            store.push(vec![1; 50]).await;
            // Without a limit, do not flood the test.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }
}

#[test]
fn the_backpressure_line_limits_receivers_from_the_initial_rate_then_by_estimate() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        backpressure on initial_rate 500;
        parallelism 1;
        source receiver(Probe(Arc::clone(&seen)))
            |> map |x| { std::thread::sleep(Duration::from_millis(1)); x }
            |> count
            |> collect(out)
    };
    assert_eq!(
        p.config().backpressure,
        Some(BackpressureConfig {
            initial_rate: Some(500),
            ..BackpressureConfig::default()
        })
    );
    p.start().unwrap();
    let metrics = p.source_metrics(0).unwrap();
    assert!(metrics.wait_for_records(100, Duration::from_secs(10)));
    assert_eq!(seen.lock().unwrap().first(), Some(&Some(500)));
    assert_eq!(p.rate_limit(), Some(500));
    // The first batch with records only measures; the second estimates: no scheduling
    // delay on the manual clock, so the new rate is the processing rate, at most
    // 1000 records/s (a millisecond each).
    p.run_batches(1).unwrap();
    assert!(metrics.wait_for_records(metrics.records() + 50, Duration::from_secs(10)));
    p.run_batches(1).unwrap();
    let rate = p.rate_limit().expect("a rate");
    assert!((100..=1000).contains(&rate), "{rate}");
    // The receiver's store got it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !seen.lock().unwrap().contains(&Some(rate)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the receiver never saw {rate}"
        );
        assert!(metrics.wait_for_records(metrics.records() + 1, Duration::from_secs(10)));
    }
}

#[test]
fn backpressure_off_or_absent_leaves_sources_unlimited() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        backpressure off;
        source receiver(Probe(Arc::clone(&seen))) |> count |> collect(out)
    };
    assert_eq!(p.config().backpressure, None);
    p.start().unwrap();
    let metrics = p.source_metrics(0).unwrap();
    assert!(metrics.wait_for_records(100, Duration::from_secs(10)));
    p.run_batches(3).unwrap();
    assert_eq!(p.rate_limit(), None);
    assert!(seen.lock().unwrap().iter().all(Option::is_none));
    // Code can turn it on before running.
    let mut q = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![1]]) |> count |> collect(Collector::new())
    };
    q.backpressure(true);
    assert_eq!(q.config().backpressure, Some(BackpressureConfig::default()));
}

/// One record every 100 ms: a source far slower than the pipeline.
struct Trickle;

impl Receiver for Trickle {
    type Block = Vec<u64>;
    fn name(&self) -> String {
        "trickle".into()
    }
    async fn receive(self, store: Arc<Store<Vec<u64>>>) -> Result<(), StreamingError> {
        while !store.is_stopping() {
            store.push(vec![1]).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}

/// Spark gives every input stream its own rate controller: a fast source beside a trickle
/// is limited to about what the pipeline processes of it, not to half of the total.
#[test]
fn each_source_is_limited_by_its_own_estimate() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        backpressure on initial_rate 2000;
        parallelism 1;
        let fast = source receiver(Probe(Arc::clone(&seen)));
        let slow = source receiver(Trickle);
        fast |> union(slow)
            |> map |x| { std::thread::sleep(Duration::from_millis(1)); x }
            |> count
            |> collect(out)
    };
    p.start().unwrap();
    assert_eq!(p.source_rate_limits(), [Some(2000), Some(2000)]);
    let (fast, slow) = (p.source_metrics(0).unwrap(), p.source_metrics(1).unwrap());
    // Two batches, each with a few hundred fast records and a few slow ones: the first
    // measures, the second estimates.
    for _ in 0..2 {
        assert!(fast.wait_for_records(fast.records() + 400, Duration::from_secs(10)));
        assert!(slow.wait_for_records(slow.records() + 1, Duration::from_secs(10)));
        p.run_batches(1).unwrap();
    }
    let rates = p.source_rate_limits();
    let (Some(fast_rate), Some(slow_rate)) = (rates[0], rates[1]) else {
        panic!("both sources limited: {rates:?}");
    };
    // A millisecond a record: together at most 1000/s, nearly all of it the fast source's
    // records; the trickle's share is far below the minimum rate, 100.
    assert_eq!(slow_rate, 100, "{rates:?}");
    assert!(fast_rate > 2 * slow_rate, "{rates:?}");
    assert_eq!(p.rate_limit(), Some(fast_rate + slow_rate));
}

/// The source reading a `repartition` topic back is not limited again: its records came in
/// through a source that is.
#[test]
fn a_repartition_topics_reader_is_left_alone() {
    let config = streaming::PipelineConfig::new(Duration::from_secs(1)).with_backpressure_config(
        BackpressureConfig {
            initial_rate: Some(500),
            ..BackpressureConfig::default()
        },
    );
    let mut b = streaming::PipelineBuilder::new(config);
    let _input = b.source(streaming::source::queue(vec![vec![1u64]]));
    let _shuffled = b.repartition_source(streaming::source::queue(vec![vec![1u64]]));
    let mut p = b.build(|_| Ok(()));
    p.start().unwrap();
    assert_eq!(p.source_rate_limits(), [Some(500), None]);
}

/// How long each wall-clock run lasts, and how long the controller gets to settle.
const RUN: Duration = Duration::from_secs(45);
const SETTLE: Duration = Duration::from_secs(15);

/// The largest scheduling delay of the batches after the controller settled.
fn settled_max_scheduling_ms(run: &Run) -> u64 {
    run.after(SETTLE)
        .map(|b| b.scheduling_ms)
        .max()
        .unwrap_or(u64::MAX)
}

/// Records per second processed after the controller settled.
fn settled_rate(run: &Run) -> f64 {
    let settled: Vec<_> = run.after(SETTLE).collect();
    settled.iter().map(|b| b.records).sum::<u64>() as f64 / settled.len().max(1) as f64
}

/// Runs the example with and without `--backpressure` at once, `args` for both.
fn on_and_off(args: Vec<String>) -> (Run, Run) {
    let on_args: Vec<String> = args
        .iter()
        .cloned()
        .chain(["--backpressure", "--initial-rate", "1000"].map(String::from))
        .collect();
    let on = std::thread::spawn(move || {
        let args: Vec<&str> = on_args.iter().map(String::as_str).collect();
        Overload::start(&args).run_for(RUN)
    });
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let off = Overload::start(&args).run_for(RUN);
    (on.join().unwrap(), off)
}

fn check(what: &str, on: &Run, off: &Run, capacity: f64) {
    eprintln!(
        "{what}: backpressure on: max scheduling delay after {} s {} ms, {:.0} records/s; off: max scheduling delay {} ms",
        SETTLE.as_secs(),
        settled_max_scheduling_ms(on),
        settled_rate(on),
        off.max_scheduling_ms()
    );
    assert!(on.alive && off.alive, "a pipeline exited");
    // With backpressure, processing keeps up: the delay stays under two intervals...
    assert!(
        settled_max_scheduling_ms(on) <= 2_000,
        "{what}: the scheduling delay grew with backpressure on:\n{}",
        on.table()
    );
    // ...while the pipeline still works at a good part of its capacity (not starved at
    // the minimum rate).
    assert!(
        settled_rate(on) >= 0.4 * capacity,
        "{what}: backpressure starved the pipeline:\n{}",
        on.table()
    );
    // The control: without it, the delay grows past several intervals.
    assert!(
        off.max_scheduling_ms() >= 5_000,
        "{what}: no growing delay with backpressure off:\n{}",
        off.table()
    );
}

#[test]
fn backpressure_keeps_the_scheduling_delay_of_a_socket_source_bounded() {
    let work_us = 100u64;
    let capacity = 1e6 / work_us as f64;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // One server, one connection per pipeline, each offered ten times its capacity.
    let (addr, stats) = runtime.block_on(async {
        let server = ReplayServer::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let stats = server.stats();
        server.serve(
            LineFeed::from_lines(lines(10_000, 200)),
            ReplayOptions::new()
                .lines_per_second(10.0 * capacity)
                .repeat(true),
        );
        (addr, stats)
    });
    let args = vec![
        "--socket".to_string(),
        addr.to_string(),
        "--work-us".into(),
        work_us.to_string(),
        "--buffer-bytes".into(),
        (16u64 << 20).to_string(),
    ];
    let (on, off) = on_and_off(args);
    let offered = (2.0 * 10.0 * capacity * RUN.as_secs_f64()) as u64;
    eprintln!(
        "socket: the two clients were sent {} of {offered} lines offered",
        stats.lines_sent()
    );
    check("socket", &on, &off, capacity);
}

#[cfg(feature = "kafka")]
#[test]
fn backpressure_keeps_the_scheduling_delay_of_a_kafka_source_bounded() {
    use common::kafka::Broker;
    let work_us = 500u64;
    let capacity = 1e6 / work_us as f64;
    let broker = Broker::start();
    broker.create_topic("lines", 2);
    let producer = streaming::line_feed::to_kafka(
        &broker.addr(),
        "lines",
        LineFeed::from_lines(lines(10_000, 100)),
        ReplayOptions::new()
            .lines_per_second(10.0 * capacity)
            .repeat(true),
        &[("linger.ms", "5")],
    )
    .unwrap();
    // Both pipelines read the whole topic (no group): each is offered ten times its
    // capacity. Without backpressure and without `max_rate_per_partition` a batch plans
    // everything that arrived.
    let args = vec![
        "--kafka".to_string(),
        broker.addr(),
        "--topic".into(),
        "lines".into(),
        "--work-us".into(),
        work_us.to_string(),
        "--buffer-bytes".into(),
        (16u64 << 20).to_string(),
    ];
    let (on, off) = on_and_off(args);
    drop(producer);
    check("kafka", &on, &off, capacity);
}
