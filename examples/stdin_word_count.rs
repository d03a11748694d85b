//! Word count over standard input; the pipeline ends by itself at end of input.
//!
//! ```text
//! cat README.md | cargo run --release --example stdin_word_count
//! ```

use streaming::prelude::*;

#[tokio::main]
async fn main() -> Result<(), StreamingError> {
    stream_pipeline! {
        batch 500ms;
        source stdin
            |> flat_map split
            |> map to_lowercase
            |> reduce_by_key(+)
            |> sort desc
            |> print(5)
    }
    .run()
    .await
}
