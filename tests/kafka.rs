//! The Kafka source and sink against a real broker (tansu on 127.0.0.1, see
//! tests/common/kafka.rs): what a batch reads, options, offsets committed to the group,
//! exact replay from checkpoints, bad records, and `save_to_kafka`.

mod common;

use std::time::Duration;

use common::kafka::{Broker, Proxy};
use common::{s, sorted};
use streaming::prelude::*;

#[test]
fn a_batch_reads_the_records_that_arrived_before_it() {
    let broker = Broker::start();
    broker.create_topic("words", 3);
    broker.produce("words", 0, &["a b", "a"]);
    broker.produce("words", 2, &["c"]);
    let out = Collector::new();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, "words").from_earliest().option("broker.address.family", "v4")
            |> flat_map split
            |> reduce_by_key(+)
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    broker.produce("words", 1, &["b d"]);
    p.run_batches(2).unwrap();
    assert_eq!(
        sorted(&out),
        vec![
            vec![(s("a"), 2), (s("b"), 1), (s("c"), 1)],
            vec![(s("b"), 1), (s("d"), 1)],
            vec![],
        ]
    );
    assert_eq!(p.metrics()[0].records, 4);
}

#[test]
fn records_carry_their_key_partition_offset_and_timestamp() {
    let broker = Broker::start();
    broker.create_topic("events", 2);
    broker.produce_keyed("events", 1, &[("user1", "login"), ("user2", "logout")]);
    let out = Collector::new();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, "events").from_earliest().records()
            .option("broker.address.family", "v4")
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    let records: Vec<KafkaRecord> = out.batches().remove(0).1;
    assert_eq!(records.len(), 2);
    let r = &records[1];
    assert_eq!(
        (
            r.topic.as_str(),
            r.partition,
            r.offset,
            r.key.as_deref(),
            r.value.as_str()
        ),
        ("events", 1, 1, Some("user2"), "logout")
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let ts = r.timestamp.expect("a create time");
    assert!(
        (now_ms - 600_000..=now_ms).contains(&ts),
        "{ts} vs {now_ms}"
    );
}

#[test]
fn latest_by_default_and_several_topics() {
    let broker = Broker::start();
    broker.create_topic("a", 1);
    broker.create_topic("b", 2);
    broker.produce("a", 0, &["old"]);
    let out = Collector::new();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, ["a", "b"]).option("broker.address.family", "v4")
            |> map |v| v.to_uppercase()
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    broker.produce("a", 0, &["new"]);
    broker.produce("b", 1, &["other"]);
    p.run_batches(1).unwrap();
    assert_eq!(sorted(&out), vec![vec![], vec![s("NEW"), s("OTHER")]]);
}

#[test]
fn max_rate_per_partition_spreads_a_backlog_over_batches() {
    let broker = Broker::start();
    broker.create_topic("backlog", 2);
    broker.produce("backlog", 0, &["1", "2", "3", "4", "5"]);
    broker.produce("backlog", 1, &["6"]);
    let out = Collector::new();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 500ms;
        source kafka(addr, "backlog").from_earliest().max_rate_per_partition(4)
            .option("broker.address.family", "v4")
            |> collect(out)
    };
    p.run_batches(4).unwrap();
    // 4 records/s × 0.5 s = 2 records per partition per batch.
    assert_eq!(
        sorted(&out),
        vec![
            vec![s("1"), s("2"), s("6")],
            vec![s("3"), s("4")],
            vec![s("5")],
            vec![],
        ]
    );
}

#[test]
fn offsets_are_committed_to_the_group_and_a_new_pipeline_resumes_from_them() {
    let broker = Broker::start();
    broker.create_topic("jobs", 2);
    broker.produce("jobs", 0, &["a", "b"]);
    broker.produce("jobs", 1, &["c"]);
    let run = |batches: u64| {
        let out = Collector::new();
        let addr = broker.addr();
        let mut p = stream_pipeline! {
            batch 1s;
            source kafka(addr, "jobs").group("app").from_earliest()
                .option("broker.address.family", "v4")
                |> collect(out)
        };
        p.run_batches(batches).unwrap();
        sorted(&out)
    };
    assert_eq!(run(1), vec![vec![s("a"), s("b"), s("c")]]);
    assert_eq!(broker.committed("app", "jobs", 2), [Some(2), Some(1)]);
    broker.produce("jobs", 1, &["d"]);
    // No checkpoint: the group's committed offsets say where to go on.
    assert_eq!(run(1), vec![vec![s("d")]]);
    assert_eq!(broker.committed("app", "jobs", 2), [Some(2), Some(2)]);
}

#[test]
fn bad_records_are_cut_decoded_lossily_and_counted() {
    let broker = Broker::start();
    broker.create_topic("junk", 1);
    let long = "x".repeat(3000);
    let junk: Vec<u8> = vec![0xff, 0xfe, b'o', b'k', 0x80];
    broker.produce("junk", 0, &[long.as_bytes(), &junk, b"fine"]);
    let out = Collector::new();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, "junk").from_earliest().max_record_bytes(1024)
            .option("broker.address.family", "v4")
            |> map |v| v.len()
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    // "\u{fffd}\u{fffd}ok\u{fffd}" is 3 + 3 + 2 + 3 bytes.
    assert_eq!(sorted(&out), vec![vec![4, 11, 1024]]);
    let m = &p.metrics()[0];
    assert_eq!((m.records, m.truncated_lines, m.invalid_utf8), (3, 1, 1));
}

#[test]
fn a_record_larger_than_the_default_limit_is_cut_to_one_mebibyte() {
    let broker = Broker::start();
    broker.create_topic("big", 1);
    let producer: streaming::rdkafka::producer::BaseProducer = broker
        .client_config()
        .set("message.max.bytes", "10000000")
        .create()
        .unwrap();
    let big = "y".repeat(3 << 20);
    producer
        .send(streaming::rdkafka::producer::BaseRecord::<str, str>::to("big").payload(&big))
        .map_err(|(e, _)| e)
        .unwrap();
    streaming::rdkafka::producer::Producer::flush(&producer, Duration::from_secs(30)).unwrap();
    broker.produce("big", 0, &["after"]);
    let out = Collector::new();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, "big").from_earliest().option("broker.address.family", "v4")
            |> map |v| v.len()
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(sorted(&out), vec![vec![5, 1 << 20]]);
    assert_eq!(p.metrics()[0].truncated_lines, 1);
}

#[test]
fn a_topic_that_does_not_exist_is_an_error_naming_it() {
    let broker = Broker::start();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, "no-such-topic").option("broker.address.family", "v4")
            |> print
    };
    let err = p.run_batches(1).unwrap_err().to_string();
    assert!(err.contains("`no-such-topic` does not exist"), "{err}");
}

#[test]
fn a_querys_rows_are_written_as_json_objects() {
    let broker = Broker::start();
    broker.create_topic("totals", 1);
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        let words = source queue(vec![vec!["a b a"]]) |> flat_map split;
        sql("SELECT word, count(*) AS total FROM words AS w(word) GROUP BY word ORDER BY word")
            |> save_to_kafka(addr, "totals").json().option("broker.address.family", "v4")
    };
    p.run_batches(1).unwrap();
    let values: Vec<String> = broker
        .read_all("totals")
        .into_iter()
        .map(|(_, _, v)| v)
        .collect();
    assert_eq!(
        values,
        [r#"{"word":"a","total":2}"#, r#"{"word":"b","total":1}"#]
    );
}

#[test]
fn save_to_kafka_writes_pairs_as_key_and_value_and_other_elements_as_values() {
    let broker = Broker::start();
    broker.create_topic("counts", 1);
    broker.create_topic("lines", 1);
    broker.create_topic("json", 1);
    let addr = broker.addr();
    let (a1, a2) = (addr.clone(), addr.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        let words = source queue(vec![vec!["a b a"], vec!["c"]]) |> flat_map split;
        words |> reduce_by_key(+) |> sort_by_key
            |> save_to_kafka(addr, "counts").option("broker.address.family", "v4");
        words |> map |w| format!("{w}!")
            |> save_to_kafka(a1, "lines").option("broker.address.family", "v4");
        words |> map |w| (w, vec![1.5])
            |> save_to_kafka(a2, "json").json().option("broker.address.family", "v4")
    };
    p.run_batches(2).unwrap();
    let kv = |t: &str| -> Vec<(Option<String>, String)> {
        broker
            .read_all(t)
            .into_iter()
            .map(|(_, k, v)| (k, v))
            .collect()
    };
    assert_eq!(
        kv("counts"),
        [
            (Some(s("a")), s("2")),
            (Some(s("b")), s("1")),
            (Some(s("c")), s("1"))
        ]
    );
    assert_eq!(
        kv("lines"),
        [
            (None, s("a!")),
            (None, s("b!")),
            (None, s("a!")),
            (None, s("c!"))
        ]
    );
    assert_eq!(kv("json")[0], (Some(s("\"a\"")), s("[1.5]")));
}

#[test]
fn after_a_crash_the_batches_after_the_checkpoint_run_again_over_the_same_records() {
    let broker = Broker::start();
    broker.create_topic("clicks", 2);
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cp").to_string_lossy().into_owned();
    let pipeline = |out: &Collector<(String, i64)>| {
        let (addr, cp, out) = (broker.addr(), cp.clone(), out.clone());
        stream_pipeline! {
            batch 1s;
            checkpoint cp every 2s;
            source kafka(addr, "clicks").from_earliest().option("broker.address.family", "v4")
                |> map |page| (page, 1i64)
                |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
                |> collect(out)
        }
    };
    let first = Collector::new();
    let mut p = pipeline(&first);
    broker.produce("clicks", 0, &["home"]);
    p.run_batches(1).unwrap();
    broker.produce("clicks", 1, &["cart"]);
    p.run_batches(1).unwrap(); // checkpointed (every 2 s)
    broker.produce("clicks", 0, &["home", "pay"]);
    p.run_batches(1).unwrap(); // runs, is not checkpointed, then the process "dies"
    drop(p);
    broker.produce("clicks", 1, &["home"]);

    let second = Collector::new();
    let mut p = pipeline(&second);
    p.run_batches(2).unwrap();
    let (first, second) = (
        common::times_and_values(&first),
        common::times_and_values(&second),
    );
    let batch3 = (3000, vec![(s("cart"), 1), (s("home"), 2), (s("pay"), 1)]);
    assert_eq!(first[2], batch3);
    // Batch 3 ran again over exactly its records (not the one that came after the crash)...
    assert_eq!(second[0], batch3);
    // ...and the next batch reads what came after it.
    assert_eq!(
        second[1],
        (4000, vec![(s("cart"), 1), (s("home"), 3), (s("pay"), 1)])
    );
}

#[test]
fn brokers_unreachable_at_start_are_retried_and_batches_go_on() {
    let port = common::kafka::free_port();
    let proxy = Proxy::new(port);
    let broker = Broker::start_on(port, proxy.port);
    proxy.up();
    broker.create_topic("late", 1);
    broker.produce("late", 0, &["x", "y"]);
    proxy.down();

    let out = Collector::new();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, "late").from_earliest().fetch_timeout(Duration::from_secs(1))
            .option("broker.address.family", "v4")
            |> collect(out)
    };
    p.run_batches(2).unwrap();
    let metrics = p.source_metrics(0).unwrap();
    assert!(metrics.wait_until(Duration::from_secs(60), |m| m.disconnects >= 1));
    assert!(
        sorted(&out).iter().all(Vec::is_empty),
        "batches went on, empty"
    );
    proxy.up();
    assert!(metrics.wait_until(Duration::from_secs(60), |m| m.connects >= 1));
    // The fetch client reconnects on its own backoff: within a few batches every record is
    // read, once.
    assert_eq!(read_until(&mut p, &out, 2), [s("x"), s("y")]);
}

/// Runs batches (at most 20) until `n` elements were collected; returns them all in order.
fn read_until(p: &mut Pipeline, out: &Collector<String>, n: usize) -> Vec<String> {
    let all = || -> Vec<String> { out.batches().into_iter().flat_map(|(_, v)| v).collect() };
    for _ in 0..20 {
        if all().len() >= n {
            break;
        }
        p.run_batches(1).unwrap();
    }
    all()
}

#[test]
fn brokers_lost_mid_run_are_retried_and_nothing_is_lost() {
    let port = common::kafka::free_port();
    let proxy = Proxy::new(port);
    let broker = Broker::start_on(port, proxy.port);
    proxy.up();
    broker.create_topic("flaky", 2);
    let out = Collector::new();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, "flaky").from_earliest().fetch_timeout(Duration::from_secs(1))
            .option("broker.address.family", "v4")
            |> collect(out)
    };
    broker.produce("flaky", 0, &["1"]);
    p.run_batches(1).unwrap();
    broker.produce("flaky", 1, &["2"]);
    proxy.down(); // before the next batch could plan record 2
    p.run_batches(2).unwrap();
    let metrics = p.source_metrics(0).unwrap();
    assert!(metrics.wait_until(Duration::from_secs(60), |m| m.disconnects >= 1));
    proxy.up();
    assert!(metrics.wait_until(Duration::from_secs(60), |m| m.connects >= 2));
    broker.produce("flaky", 0, &["3"]);
    let mut got = read_until(&mut p, &out, 3);
    got.sort();
    assert_eq!(got, [s("1"), s("2"), s("3")], "nothing lost, nothing twice");
}
