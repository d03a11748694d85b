//! The Kafka source and sink against a real broker (tansu on 127.0.0.1, see
//! tests/common/kafka.rs): what a batch reads, options, offsets committed to the group,
//! exact replay from checkpoints, bad records, and `save_to_kafka`.

mod common;

use common::kafka::Broker;
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
