//! Word count over standard input; the pipeline ends by itself at end of input (or on
//! Ctrl-C, when stdin is a terminal).
//!
//! ```text
//! cat README.md | cargo run --release --example stdin_word_count
//! cargo run --release --example stdin_word_count -- --ui 127.0.0.1:4040   # type lines
//! ```

mod common;

use clap::Parser;
use streaming::prelude::*;

fn job() -> Pipeline {
    stream_pipeline! {
        batch 500ms;
        source stdin
            |> flat_map split
            |> map to_lowercase
            |> reduce_by_key(+)
            |> sort desc
            |> print(5)
    }
}

#[tokio::main]
async fn main() -> Result<(), StreamingError> {
    common::UiArgs::parse().apply(job()).run().await
}
