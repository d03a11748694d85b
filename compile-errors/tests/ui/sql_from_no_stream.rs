// A FROM naming no stream of the pipeline: the streams it has, and the nearest.
use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        let words = source stdin |> flat_map split;
        sql("SELECT word FROM wrods AS w(word)") |> print
    };
}
