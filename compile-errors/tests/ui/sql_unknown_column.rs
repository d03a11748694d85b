// A misspelled column in a query: rustc's "no field" error, at the query, with the nearest
// column.
use streaming::prelude::*;

#[derive(Debug, Clone, Record)]
struct Event {
    action: String,
    user: u32,
}

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        let events = source queue(Vec::<Vec<Event>>::new());
        sql("SELECT acton, count(*) AS n FROM events GROUP BY acton") |> print
    };
}
