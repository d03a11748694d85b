use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        source kafka("127.0.0.1:9092", "tweets") |> print
    };
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a"]]) |> save_to_kafka("127.0.0.1:9092", "out")
    };
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![("a", 1)]]) |> repartition("words") |> reduce_by_key(+) |> print
    };
}
