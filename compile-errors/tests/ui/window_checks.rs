use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 2s;
        let tags = source stdin |> flat_map split;
        tags |> window(7s, 2s) reduce(+) |> print;
        tags |> window(6s, 3s) |> print;
        tags |> window(4s, 4s) |> window(6s, 8s) |> print;
        tags |> window(0s, 2s) |> print;
        tags |> window(500ms, 2s) |> print
    };
}
