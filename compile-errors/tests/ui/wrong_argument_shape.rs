use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        source stdin
            |> map
            |> reduce_by_key(|a| a)
            |> count(5)
            |> take
            |> print(1, 2)
    };
}
