use streaming::prelude::*;

const SEVEN_SECONDS: u64 = 7000;

fn main() {
    let _ = stream_pipeline! {
        batch 2s;
        source stdin |> window({ SEVEN_SECONDS }, 2s) |> print
    };
}
