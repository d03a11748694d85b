use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        source sockett("localhost", 9999) |> print
    };
    let _ = stream_pipeline! {
        batch 1s;
        source socket("localhost") |> print
    };
    let _ = stream_pipeline! {
        batch 1s;
        source nexmark(1, 2) |> print
    };
    let _ = stream_pipeline! {
        batch 1s;
        source text_files::<u8>("in/") |> print
    };
}
