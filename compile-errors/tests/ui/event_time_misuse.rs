use streaming::prelude::*;

fn main() {
    // No watermark upstream.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a"]])
            |> event_window(10m, 5m) count_by_value
            |> print
    };
    // Two watermarks on one path.
    let _ = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![(Timestamp::from_secs(1), "a")]])
            |> event_time(|(t, _)| *t) watermark 10m
            |> event_time(|(t, _)| *t) watermark 1m
            |> map |(_, w)| w
            |> event_window(10m, 5m) count_by_value
            |> print
    };
    // A slide longer than the window, an offset not below the slide, a zero window.
    let _ = stream_pipeline! {
        batch 1s;
        let rows = source queue(vec![vec![(Timestamp::from_secs(1), "a")]])
            |> event_time(|(t, _)| *t) watermark 10m
            |> map |(_, w)| w;
        rows |> event_window(5m, 10m) count_by_value |> print;
        rows |> event_window(10m, 5m, offset 5m) count |> print;
        rows |> event_window(0s, 0s) count |> print;
        rows |> event_window(10m, 5m) count_by_value emit sometimes |> print;
        rows |> event_window(10m, 5m) sum |> print;
        // Sessions are per key, and still grow until they close.
        rows |> session_window(5m) count |> print;
        rows |> session_window(5m) count_by_value emit update |> print
    };
}
