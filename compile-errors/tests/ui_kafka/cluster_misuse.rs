use streaming::prelude::*;

fn main() {
    // Nothing after the shuffle uses the re-keyed pairs.
    let _ = stream_pipeline! {
        batch 1s;
        source kafka("127.0.0.1:9092", "lines")
            |> map |l| (l, 1)
            |> repartition("words")
    };
    // The shuffle goes through the input's brokers: the input must be Kafka.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a"]])
            |> map |w| (w, 1)
            |> repartition("words")
            |> reduce_by_key(+)
            |> print
    };
    // A stream used twice is materialised, not the Kafka source's own flow.
    let _ = stream_pipeline! {
        batch 1s;
        let pairs = source kafka("127.0.0.1:9092", "lines") |> map |l| (l, 1);
        pairs |> print;
        pairs |> repartition("words") |> reduce_by_key(+) |> print
    };
}

fn global_misuse() {
    // `global` merges a ranking: it needs `sort |> take(n)` right before it.
    let _ = stream_pipeline! {
        batch 1s;
        source kafka("127.0.0.1:9092", "lines")
            |> map |l| (l, 1)
            |> reduce_by_key(+)
            |> global
            |> print
    };
    // Without a Kafka cluster job there is nothing to merge.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![("a", 1)]])
            |> sort desc
            |> take(3)
            |> global
            |> print
    };
}
