use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 2s;
        let tags = source stdin |> flat_map split;
        tags |> window(4s, 2s) reduce(max, min) |> print;
        tags |> window(4s) |> print;
        tags |> window(4s, 2s) keep |k, v| true |> print;
        tags |> reduce_by_key(+, -) |> print
    };
}
