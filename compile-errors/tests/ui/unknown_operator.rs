use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        source stdin
            |> flatMap split
            |> fliter starts_with("#")
            |> reduceByKey(+)
            |> print
    };
}
