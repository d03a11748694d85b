// An unknown operator and an invalid window in one pipeline: both are reported.
use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 2s;
        source stdin
            |> flat_mapp split
            |> window(7s, 2s) reduce(+)
            |> print
    };
}
