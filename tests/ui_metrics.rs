//! `ui "addr";`: `/metrics` read back with a real Prometheus text-format
//! parser (the `prometheus-parse` crate), `/api/batches` with serde_json, a port in use as
//! a start error. Manual clock: the batches, and so the figures, are exact.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use common::http;
use prometheus_parse::{Scrape, Value};
use streaming::prelude::*;

const WAIT: Duration = Duration::from_secs(20);

/// A one-shot line server: sends `bytes` to the first client, then closes.
fn serve_once(bytes: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.write_all(&bytes);
        }
    });
    port
}

fn scrape(addr: &str) -> Scrape {
    let (status, body) = http::get(addr, "/metrics").unwrap();
    assert_eq!(status, 200, "{body}");
    Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).unwrap()
}

/// The value of the sample `name` whose labels include `labels`.
fn value(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> Value {
    let found: Vec<&Value> = s
        .samples
        .iter()
        .filter(|x| x.metric == name && labels.iter().all(|(k, v)| x.labels.get(k) == Some(v)))
        .map(|x| &x.value)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{name}{labels:?}: {found:?} in {:#?}",
        s.samples
    );
    found[0].clone()
}

fn number(v: Value) -> f64 {
    match v {
        Value::Counter(x) | Value::Gauge(x) | Value::Untyped(x) => x,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn metrics_and_api_report_exactly_the_batches_that_ran() {
    // 5 lines; one is not UTF-8 and the last is cut by the connection closing.
    let port = serve_once(b"a b\ncaf\xff\xfe\nc\nd e f\npartial".to_vec());
    let addr = "127.0.0.1:0";
    let mut p = stream_pipeline! {
        batch 1s;
        ui addr;
        source socket("127.0.0.1", port)
            |> flat_map split
            |> count
            |> print
    };
    p.print_to(OutputBuffer::new());
    p.start().unwrap();
    let ui = p
        .ui_address()
        .expect("the page is served once started")
        .to_string();
    assert!(
        p.source_metrics(0).unwrap().wait_for_records(5, WAIT),
        "{:?}",
        p.metrics()
    );
    p.run_batches(3).unwrap();

    let s = scrape(&ui);
    let source = format!("socket 127.0.0.1:{port}");
    let src: &[(&str, &str)] = &[("source", source.as_str())];
    assert_eq!(number(value(&s, "streaming_batches_total", &[])), 3.0);
    assert_eq!(number(value(&s, "streaming_batch_records_total", &[])), 5.0);
    assert_eq!(number(value(&s, "streaming_input_records_total", src)), 5.0);
    assert_eq!(
        number(value(&s, "streaming_input_bytes_total", src)),
        b"a b\ncaf\xff\xfe\nc\nd e f\npartial".len() as f64
    );
    // Manual clock: batch 3 is at 3 × 1 s.
    assert_eq!(
        number(value(&s, "streaming_last_batch_time_ms", &[])),
        3000.0
    );
    for (kind, n) in [("invalid_utf8", 1.0), ("truncated", 0.0), ("partial", 1.0)] {
        let labels = [("source", source.as_str()), ("kind", kind)];
        assert_eq!(
            number(value(&s, "streaming_bad_input_total", &labels)),
            n,
            "{kind}"
        );
    }
    for h in [
        "streaming_batch_processing_seconds",
        "streaming_batch_scheduling_delay_seconds",
        "streaming_batch_total_delay_seconds",
    ] {
        let Value::Histogram(buckets) = value(&s, h, &[]) else {
            panic!("{h} is not a histogram");
        };
        let all = buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .unwrap_or_else(|| panic!("{h} has no +Inf bucket: {buckets:?}"));
        assert_eq!(all.count, 3.0, "{h}: every batch observed once");
        assert!(
            buckets.windows(2).all(|w| w[0].count <= w[1].count),
            "{h}: cumulative buckets {buckets:?}"
        );
        assert_eq!(number(value(&s, &format!("{h}_count"), &[])), 3.0);
    }
    assert!(
        !s.samples.iter().any(|x| x.metric == "streaming_kafka_lag"),
        "no Kafka source, no lag"
    );

    // The JSON the page polls: the same batches.
    let (status, body) = http::get(&ui, "/api/batches").unwrap();
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let batches = json["batches"].as_array().unwrap();
    let times: Vec<u64> = batches
        .iter()
        .map(|b| b["time_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(times, [1000, 2000, 3000]);
    let records: u64 = batches.iter().map(|b| b["records"].as_u64().unwrap()).sum();
    assert_eq!(records, 5);
    assert_eq!(json["batches_total"], 3);
    assert_eq!(json["config"]["batch_interval_ms"], 1000);
    assert_eq!(json["sources"][0]["name"], source.as_str());
    assert_eq!(json["sources"][0]["invalid_utf8"], 1);
    let text = json["pipeline"].as_str().unwrap();
    assert!(
        text.contains("flat_map split") && text.contains("ui addr"),
        "{text}"
    );

    // The page and its assets are served from the binary.
    let (status, page) = http::get(&ui, "/").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("/static/uPlot.iife.min.js"), "{page}");
    for asset in [
        "/static/uPlot.iife.min.js",
        "/static/app.js",
        "/static/uPlot.min.css",
    ] {
        let (status, body) = http::get(&ui, asset).unwrap();
        assert_eq!(status, 200, "{asset}");
        assert!(!body.is_empty(), "{asset}");
    }
}

#[test]
fn the_server_stops_with_the_pipeline() {
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![1, 2, 3]]) |> count |> print
    };
    p.ui("127.0.0.1:0").print_to(OutputBuffer::new());
    p.run_batches(1).unwrap();
    let ui = p.ui_address().unwrap().to_string();
    let s = scrape(&ui);
    assert_eq!(number(value(&s, "streaming_batches_total", &[])), 1.0);
    assert_eq!(
        number(value(
            &s,
            "streaming_input_records_total",
            &[("source", "queue")]
        )),
        3.0
    );
    drop(p);
    let refused = (0..100).any(|_| {
        let gone = http::get(&ui, "/metrics").is_err();
        if !gone {
            std::thread::sleep(Duration::from_millis(20));
        }
        gone
    });
    assert!(refused, "{ui} still answers after the pipeline was dropped");
}

#[test]
fn a_port_in_use_is_a_clear_error_at_start() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut p = stream_pipeline! {
        batch 1s;
        ui { addr.as_str() };
        source queue(vec![vec![1]]) |> count |> print
    };
    let err = p.run_batches(1).unwrap_err().to_string();
    assert!(
        err.contains("cannot listen on") && err.contains("in use"),
        "{err}"
    );

    // On the real clock too: `run` returns the error before any batch.
    let again = addr.clone();
    let p = stream_pipeline! {
        batch 1s;
        ui again;
        source queue(vec![vec![1]]) |> count |> print
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = rt.block_on(p.run()).unwrap_err().to_string();
    assert!(err.contains("in use"), "{err}");
}

/// `streaming_kafka_lag{topic, partition}`: a backlog read at `max_rate_per_partition`
/// shrinks batch by batch.
#[cfg(feature = "kafka")]
#[test]
fn kafka_lag_per_partition_shrinks_as_batches_read_the_backlog() {
    let broker = common::kafka::Broker::start();
    broker.create_topic("backlog", 2);
    broker.produce("backlog", 0, &["1", "2", "3", "4", "5"]);
    broker.produce("backlog", 1, &["6"]);
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 500ms;
        ui "127.0.0.1:0";
        source kafka(addr, "backlog").from_earliest().max_rate_per_partition(4)
            .option("broker.address.family", "v4")
            |> count
            |> print
    };
    p.print_to(OutputBuffer::new());
    let lag = |s: &Scrape, partition: &str| {
        number(value(
            s,
            "streaming_kafka_lag",
            &[("topic", "backlog"), ("partition", partition)],
        ))
    };
    // 4 records/s × 0.5 s = 2 records per partition per batch.
    let mut seen = Vec::new();
    for _ in 0..3 {
        p.run_batches(1).unwrap();
        let s = scrape(&p.ui_address().unwrap().to_string());
        seen.push((lag(&s, "0"), lag(&s, "1")));
    }
    assert_eq!(seen, [(3.0, 0.0), (1.0, 0.0), (0.0, 0.0)]);
}

#[test]
fn a_failed_batch_is_counted_and_shown_with_its_error() {
    let mut p = stream_pipeline! {
        batch 1s;
        ui "127.0.0.1:0";
        source queue(vec![vec![1], vec![2, 3]])
            |> count
            |> foreach_batch(|time, _n| {
                if time.milliseconds() == 2000 {
                    Err("the store said no")
                } else {
                    Ok(())
                }
            })
    };
    p.run_batches(1).unwrap();
    let err = p.run_batches(1).unwrap_err().to_string();
    assert!(err.contains("the store said no"), "{err}");
    let ui = p.ui_address().unwrap().to_string();
    let s = scrape(&ui);
    assert_eq!(number(value(&s, "streaming_batches_total", &[])), 2.0);
    assert_eq!(
        number(value(&s, "streaming_failed_batches_total", &[])),
        1.0
    );
    let (_, body) = http::get(&ui, "/api/batches").unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let failures: Vec<Option<&str>> = json["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["failure"].as_str())
        .collect();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0], None);
    assert!(
        failures[1].is_some_and(|f| f.contains("the store said no")),
        "{failures:?}"
    );
}

#[test]
fn two_sources_of_one_kind_get_distinct_series() {
    let mut p = stream_pipeline! {
        batch 1s;
        ui "127.0.0.1:0";
        let a = source queue(vec![vec![1, 2]]);
        source queue(vec![vec![3, 4, 5]]) |> union(a) |> count |> print
    };
    p.print_to(OutputBuffer::new());
    p.run_batches(1).unwrap();
    let s = scrape(&p.ui_address().unwrap().to_string());
    let records = |name: &str| {
        number(value(
            &s,
            "streaming_input_records_total",
            &[("source", name)],
        ))
    };
    assert_eq!((records("queue #0"), records("queue #1")), (2.0, 3.0));
}

#[test]
fn event_time_stages_report_their_watermark_and_late_rows() {
    let addr = "127.0.0.1:0";
    let mut p = stream_pipeline! {
        batch 1s;
        ui addr;
        source queue(vec![vec![(30i64, "a")], vec![(5, "b")]])
            |> event_time(|(t, _)| Timestamp::from_secs(*t)) watermark 10s
            |> map |(_, w)| w
            |> event_window(10s, 10s) count_by_value
            |> print
    };
    p.print_to(OutputBuffer::new());
    p.run_batches(2).unwrap();
    let ui = p.ui_address().expect("served").to_string();
    let s = scrape(&ui);
    let stage = |name: &str| format!("{name} (pipeline statement 1)");
    assert_eq!(
        number(value(
            &s,
            "streaming_watermark_ms",
            &[("stage", &stage("event_time"))]
        )),
        20_000.0
    );
    assert_eq!(
        number(value(
            &s,
            "streaming_late_rows_total",
            &[("stage", &stage("event_window"))]
        )),
        1.0
    );
}

#[test]
fn parse_stages_report_their_malformed_rows() {
    let addr = "127.0.0.1:0";
    let mut p = stream_pipeline! {
        batch 1s;
        ui addr;
        source queue(vec![vec!["1", "x", "3"], vec!["{", "5"]])
            |> parse json::<i64> dropmalformed
            |> print
    };
    p.print_to(OutputBuffer::new());
    p.run_batches(2).unwrap();
    let ui = p.ui_address().expect("served").to_string();
    let s = scrape(&ui);
    assert_eq!(
        number(value(
            &s,
            "streaming_malformed_rows_total",
            &[("stage", "parse (pipeline statement 1)")]
        )),
        2.0
    );
    let (status, body) = http::get(&ui, "/api/batches").unwrap();
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let per_batch: Vec<u64> = json["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["malformed_rows"].as_u64().unwrap())
        .collect();
    assert_eq!(per_batch, [1, 1]);
    assert_eq!(json["sources"][0]["malformed_rows"], 2);
}

/// The series of `stage` in the batch `b` of `/api/batches`.
fn state_of<'a>(b: &'a serde_json::Value, stage: &str) -> &'a serde_json::Value {
    b["state"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["stage"] == stage))
        .unwrap_or_else(|| panic!("no state of {stage} in {b}"))
}

#[test]
fn stateful_stages_report_their_rows_memory_and_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().to_str().unwrap().to_string();
    let addr = "127.0.0.1:0";
    // Batch 1: a and b get state. Batch 2: a updated, c new, b (no values) removed.
    let mut p = stream_pipeline! {
        batch 1s;
        ui addr;
        checkpoint cp every 1s;
        source queue(vec![vec![("a", 1i64), ("b", 1)], vec![("a", 1), ("c", 1)]])
            |> update_state_by_key(|new: Vec<i64>, old: Option<i64>| {
                if new.is_empty() { None } else { Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)) }
            })
            |> print
    };
    p.print_to(OutputBuffer::new());
    p.run_batches(2).unwrap();
    let ui = p.ui_address().expect("served").to_string();
    let s = scrape(&ui);
    let stage = "update_state_by_key (pipeline statement 1)";
    let labels: &[(&str, &str)] = &[("stage", stage)];
    assert_eq!(number(value(&s, "streaming_state_rows", labels)), 2.0);
    assert_eq!(
        number(value(&s, "streaming_state_rows_updated_total", labels)),
        4.0
    );
    assert_eq!(
        number(value(&s, "streaming_state_rows_evicted_total", labels)),
        1.0
    );
    // Two `(String, i64)` rows: a table of 4 buckets (capacity 3) of 32 bytes and a
    // control byte each (`state_stats`' estimate), whatever the capacity, a power of two of
    // buckets times 33.
    let bytes = number(value(&s, "streaming_state_bytes", labels));
    assert!(bytes > 0.0 && bytes % 33.0 == 0.0, "{bytes}");

    // The last checkpoint: its file's size.
    let newest = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("checkpoint-"))
        .max_by_key(|e| e.file_name())
        .expect("a checkpoint");
    let size = newest.metadata().unwrap().len() as f64;
    assert_eq!(number(value(&s, "streaming_checkpoint_bytes", &[])), size);
    let Value::Histogram(buckets) = value(&s, "streaming_checkpoint_write_seconds", &[]) else {
        panic!("not a histogram");
    };
    assert_eq!(buckets.last().map(|b| b.count), Some(2.0), "{buckets:?}");

    let (status, body) = http::get(&ui, "/api/batches").unwrap();
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let batches = json["batches"].as_array().unwrap();
    let per_batch: Vec<(u64, u64, u64)> = batches
        .iter()
        .map(|b| {
            let st = state_of(b, stage);
            let n = |k: &str| st[k].as_u64().unwrap();
            (n("rows"), n("updated"), n("evicted"))
        })
        .collect();
    assert_eq!(per_batch, [(2, 2, 0), (2, 2, 1)]);
    assert_eq!(state_of(&batches[1], stage)["bytes"].as_f64(), Some(bytes));
    assert_eq!(batches[1]["checkpoint_bytes"].as_f64(), Some(size));
    assert!(
        batches
            .iter()
            .all(|b| b["checkpoint_write_ms"].as_f64().is_some())
    );
}

#[test]
fn event_time_stages_report_their_windows_state_and_watermark_gap() {
    let addr = "127.0.0.1:0";
    let mut p = stream_pipeline! {
        batch 1s;
        ui addr;
        source queue(vec![vec![(30i64, "a"), (31, "a"), (32, "b")], vec![(5, "b")], vec![(45, "c")]])
            |> event_time(|(t, _)| Timestamp::from_secs(*t)) watermark 10s
            |> map |(_, w)| w
            |> event_window(10s, 10s) count_by_value
            |> print
    };
    p.print_to(OutputBuffer::new());
    p.run_batches(3).unwrap();
    let ui = p.ui_address().expect("served").to_string();
    let s = scrape(&ui);
    let window = "event_window (pipeline statement 1)";
    let labels: &[(&str, &str)] = &[("stage", window)];
    // Batch 1: a and b in the pane [30 s, 40 s). Batch 3: c at 45 s moves the watermark to
    // 35 s, no window closed yet, c in [40 s, 50 s): 3 rows.
    assert_eq!(number(value(&s, "streaming_state_rows", labels)), 3.0);
    assert_eq!(
        number(value(&s, "streaming_state_rows_updated_total", labels)),
        4.0
    );
    assert_eq!(
        number(value(&s, "streaming_state_rows_evicted_total", labels)),
        0.0
    );
    assert!(number(value(&s, "streaming_state_bytes", labels)) > 0.0);
    assert!(
        !s.samples.iter().any(|x| x.metric == "streaming_state_rows"
            && x.labels.get("stage") == Some("event_time (pipeline statement 1)")),
        "a watermark keeps no rows"
    );

    let (status, body) = http::get(&ui, "/api/batches").unwrap();
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let batches = json["batches"].as_array().unwrap();
    let open: Vec<u64> = batches
        .iter()
        .map(|b| state_of(b, window)["open_windows"].as_u64().unwrap())
        .collect();
    assert_eq!(open, [1, 1, 2]);
    let late: Vec<u64> = batches
        .iter()
        .map(|b| b["late_rows"].as_u64().unwrap())
        .collect();
    assert_eq!(late, [0, 1, 0]);
    // The manual clock's batches are at 1 s, 2 s, 3 s; the watermark after them at 22 s,
    // 22 s, 35 s of event time.
    let gaps: Vec<i64> = batches
        .iter()
        .map(|b| b["watermarks"][0]["gap_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(gaps, [1_000 - 22_000, 2_000 - 22_000, 3_000 - 35_000]);
    assert_eq!(
        json["late_rows_total"],
        serde_json::json!([{ "stage": window, "rows": 1 }])
    );
}

#[test]
fn the_plan_is_served_as_the_macro_fused_it() {
    let addr = "127.0.0.1:0";
    let mut p = stream_pipeline! {
        batch 1s;
        ui addr;
        let words = source queue(vec![vec!["a b", "b"]]) |> flat_map split;
        words |> map |w| (w, 1i64) |> filter |(_, n)| *n > 0 |> reduce_by_key(+) |> print;
        words |> count |> print
    };
    p.print_to(OutputBuffer::new());
    p.run_batches(1).unwrap();
    let ui = p.ui_address().expect("served").to_string();
    let (status, body) = http::get(&ui, "/api/batches").unwrap();
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let plan: serde_json::Value = serde_json::from_str(json["plan"].as_str().unwrap()).unwrap();
    assert_eq!(plan["fused"], true);
    assert_eq!(plan["sources"], serde_json::json!(["queue"]));
    let flows = plan["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 3, "{plan}");
    // The named stream read twice is materialised by a flow of its own.
    assert_eq!(flows[0]["input"]["source"], 0);
    assert_eq!(flows[0]["output"], "words");
    // map and filter fused into one loop ended by the barrier; then the sink.
    assert_eq!(flows[1]["input"]["stream"], "words");
    let segs = flows[1]["segments"].as_array().unwrap();
    assert_eq!(segs[0]["adapters"], serde_json::json!(["map", "filter"]));
    assert_eq!(
        segs[0]["end"],
        serde_json::json!({ "name": "reduce_by_key", "role": "barrier" })
    );
    assert_eq!(segs.last().unwrap()["end"]["role"], "sink");
}
