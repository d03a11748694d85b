use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        let counted = source stdin |> count |> print;
        source stdin |> print |> count
    };
}
