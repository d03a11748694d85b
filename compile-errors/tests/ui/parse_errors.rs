use streaming::prelude::*;

fn main() {
    // A format other than json and csv.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["<a/>"]]) |> parse xml::<Event> |> print
    };
    // A misspelt format.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["{}"]]) |> parse jsno::<Event> |> print
    };
    // No type.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["{}"]]) |> parse json |> print
    };
    // Unknown modes: Spark's upper-case spelling, and a typo.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["{}"]]) |> parse json::<Event> PERMISSIVE |> print
    };
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["{}"]]) |> parse json::<Event> dropmalformd |> print
    };
    // `malformed(name)` keeps a permissive stage's rows: the other modes have none to keep.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["{}"]]) |> parse json::<Event> dropmalformed malformed(bad) |> print
    };
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["{}"]]) |> parse csv::<Event> failfast malformed(bad) |> print
    };
    // `header` is for CSV.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["{}"]]) |> parse json::<Event> header |> print
    };
    // After `event_time`: rows are parsed first, then stamped.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["1"]])
            |> event_time(|_| Timestamp::from_secs(1)) watermark 1s
            |> parse json::<i64>
            |> print
    };
}
