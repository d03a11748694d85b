use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        source stdin |> flat_map split |> count
    };
}
