use streaming::prelude::*;

// Elements that are not rows. (Without the kafka feature: with it, rustc's list of the
// types that are rows names Kafka records too.)
fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![1i64]]) |> parse json::<i64> |> print
    };
}
