use streaming::prelude::*;

fn main() {
    let _ = stream_pipeline! {
        batch 1s;
        let clicks = source queue(vec![vec![(Timestamp::from_secs(1), 1, "c")]])
            |> event_time(|(t, _, _)| *t) watermark 10s
            |> map |(_, k, c)| (k, c);
        let ads = source queue(vec![vec![(1, "ad")]]);
        // `ads` has no event time, and no `time(f)` says where its values keep one.
        clicks |> interval_join(ads, -10s, 0s) |> print;
        // The bounds the wrong way round: no rows could ever meet.
        clicks |> interval_join(clicks, 0s, -10s) |> print;
        // This side has no watermark.
        ads |> interval_join(clicks, -10s, 0s) |> print
    };
}
