use streaming::prelude::*;

struct Point {
    x: i32,
}

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        source kafka("tweets") |> print
    };
    let _ = stream_pipeline! {
        batch 1s;
        source kafka("127.0.0.1:9092", "tweets") max_rate(10) |> print
    };
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a"]]) |> save_to_kafka("out")
    };
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![1]])
            |> map |x| Point { x }
            |> save_to_kafka("127.0.0.1:9092", "out")
    };
}
