use streaming::prelude::*;

fn main() {
    let _no_address = stream_pipeline! {
        batch 1s;
        ui;
        source queue(vec![vec![1]]) |> print
    };
    let _two_addresses = stream_pipeline! {
        batch 1s;
        ui "127.0.0.1:4040" "127.0.0.1:4041";
        source queue(vec![vec![1]]) |> print
    };
    let _twice = stream_pipeline! {
        batch 1s;
        ui "127.0.0.1:4040";
        ui "127.0.0.1:4041";
        source queue(vec![vec![1]]) |> print
    };
}
