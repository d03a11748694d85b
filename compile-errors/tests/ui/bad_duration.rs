use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1sec;
        source stdin |> print
    };
    let _ = stream_pipeline! {
        batch 5;
        source stdin |> print
    };
    let _ = stream_pipeline! {
        batch 1.5s;
        source stdin |> print
    };
    let _ = stream_pipeline! {
        batch 0s;
        source stdin |> print
    };
}
