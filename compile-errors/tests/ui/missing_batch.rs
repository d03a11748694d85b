use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        source stdin |> print
    };
}
