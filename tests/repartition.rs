//! `|> repartition("topic")` against a real broker (tansu on 127.0.0.1): pairs re-keyed
//! through an intermediate topic, each to Kafka's partition for its key, and counted once
//! downstream even when a crash makes the first half write a batch again.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::kafka::Broker;
use streaming::prelude::*;
use streaming::rdkafka::ClientConfig;
use streaming::rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// Every record of `topic` so far: (partition, key, value).
fn read_topic(broker: &Broker, topic: &str) -> Vec<(i32, Option<String>, String)> {
    let out = Collector::new();
    let (addr, t) = (broker.addr(), topic.to_string());
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, t).from_earliest().records().option("broker.address.family", "v4")
            |> map |r| (r.partition, r.key.map(str::to_string), r.value.to_string())
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    out.batches().into_iter().flat_map(|(_, b)| b).collect()
}

fn add(totals: &mut BTreeMap<String, i64>, batches: &Collector<(String, i64)>) {
    for (_, batch) in batches.batches() {
        for (w, n) in batch {
            *totals.entry(w).or_default() += n;
        }
    }
}

fn true_counts(lines: &[&str]) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for w in lines.iter().flat_map(|l| l.split_whitespace()) {
        *m.entry(w.to_string()).or_default() += 1;
    }
    m
}

#[test]
fn pairs_go_to_kafkas_partition_for_their_key_and_count_once_downstream() {
    let broker = Broker::start();
    broker.create_topic("lines", 3);
    let lines = [
        "to be or not to be",
        "that is the question",
        "be quick",
        "or be gone",
    ];
    // Lines land on partitions regardless of the words in them.
    for (i, l) in lines.iter().enumerate() {
        broker.produce("lines", (i % 3) as i32, &[*l]);
    }
    let out = Collector::new();
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, "lines").from_earliest().option("broker.address.family", "v4")
            |> flat_map split
            |> map |w| (w, 1i64)
            |> repartition("words")
            |> reduce_by_key(+)
            |> collect(out)
    };
    // Batch 1 writes the pairs; the next batch reads them back.
    p.run_batches(3).unwrap();
    let mut totals = BTreeMap::new();
    add(&mut totals, &out);
    assert_eq!(totals, true_counts(&lines));
    // Each batch's input counts the lines only.
    assert_eq!(p.metrics()[0].records, 4);

    // The topic was created with the input's partitions; each pair is in Kafka's
    // partition for its key (the key's JSON), each batch ends with a marker per partition.
    let records = read_topic(&broker, "words");
    let pairs: Vec<_> = records.iter().filter(|r| r.1.is_some()).collect();
    assert_eq!(
        pairs.len() as i64,
        true_counts(&lines).values().sum::<i64>()
    );
    for (partition, key, _) in &pairs {
        let key = key.as_deref().unwrap_or_default();
        assert_eq!(
            *partition,
            streaming::partition_for(key.as_bytes(), 3),
            "{key}"
        );
    }
    let markers = records.iter().filter(|r| r.1.is_none()).count();
    assert_eq!(markers, 3 * 3, "one marker per partition per batch");

    // Kafka's own partitioner (librdkafka's murmur2_random, Java's default) agrees.
    broker.create_topic("check", 3);
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.addr())
        .set("broker.address.family", "v4")
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "0")
        .set("batch.num.messages", "1")
        .create()
        .unwrap();
    let keys = [
        "\"to\"",
        "\"be\"",
        "\"question\"",
        "\"gone\"",
        "k",
        "longer-key-123",
    ];
    for k in keys {
        producer
            .send(BaseRecord::to("check").key(k).payload("x"))
            .map_err(|(e, _)| e)
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    for (partition, key, _) in read_topic(&broker, "check") {
        let key = key.unwrap_or_default();
        assert_eq!(
            partition,
            streaming::partition_for(key.as_bytes(), 3),
            "{key}"
        );
    }
}

#[test]
fn a_replay_after_a_crash_counts_no_pair_twice_downstream() {
    let broker = Broker::start();
    broker.create_topic("lines", 2);
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cp").to_string_lossy().into_owned();
    // Running totals downstream of the shuffle, checkpointed every 2 batches.
    let pipeline = |out: &Collector<(String, i64)>| {
        let (addr, cp, out) = (broker.addr(), cp.clone(), out.clone());
        stream_pipeline! {
            batch 1s;
            checkpoint cp every 2s;
            source kafka(addr, "lines").from_earliest().option("broker.address.family", "v4")
                |> flat_map split
                |> map |w| (w.to_string(), 1i64)
                |> repartition("counts")
                |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
                |> collect(out)
        }
    };
    let mut all = Vec::new();
    let first = Collector::new();
    let mut p = pipeline(&first);
    for (i, l) in ["a b", "a c", "b b"].iter().enumerate() {
        broker.produce("lines", (i % 2) as i32, &[*l]);
        all.push(*l);
        p.run_batches(1).unwrap();
    }
    // Batch 3 wrote its pairs and handed on batch 2's, and was not checkpointed: the
    // process "dies" here.
    drop(p);
    broker.produce("lines", 1, &["c a"]);
    all.push("c a");

    let second = Collector::new();
    let mut p = pipeline(&second);
    p.run_batches(4).unwrap();
    let last = second.batches().pop().unwrap().1;
    let got: BTreeMap<String, i64> = last.into_iter().collect();
    assert_eq!(got, true_counts(&all));
    // The replay did write batch 3's pairs again: the topic holds them twice.
    let pairs = read_topic(&broker, "counts")
        .into_iter()
        .filter(|r| r.1.is_some())
        .count();
    let words = all.iter().flat_map(|l| l.split_whitespace()).count();
    assert!(
        pairs > words,
        "{pairs} pairs written for {words} words: no replay happened"
    );
}
