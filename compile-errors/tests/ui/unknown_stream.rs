use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        let logs = source stdin;
        lgos |> print;
        logs |> union(errors) |> print
    };
}
