// A column missing from `FROM s AS t(..)`'s list: named, with the list and the nearest name.
use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        let words = source stdin |> flat_map split;
        sql("SELECT wrod, count(*) AS total FROM words AS w(word) GROUP BY wrod") |> print
    };
}
