//! Event-time windows with watermarks, Spark Structured Streaming's rules (DESIGN §10),
//! through queue + run_batches + collect: each test is one of Spark's documented
//! behaviours.

use streaming::prelude::*;

mod common;

/// A line `"<seconds> <word>"` as (event time, word).
fn parse_line(line: &str) -> (Timestamp, &str) {
    let (t, w) = line.split_once(' ').unwrap_or((line, ""));
    (Timestamp::from_secs(t.parse().unwrap_or(0)), w)
}

/// `((window start s, word), count)` of each batch.
fn starts(out: &Collector<((Window, String), i64)>) -> Vec<Vec<(i64, String, i64)>> {
    out.batches()
        .into_iter()
        .map(|(_, b)| {
            b.into_iter()
                .map(|((w, k), n)| (w.start.as_millis() / 1000, k, n))
                .collect()
        })
        .collect()
}

fn row(start: i64, word: &str, n: i64) -> (i64, String, i64) {
    (start, word.to_string(), n)
}

#[test]
fn late_rows_are_dropped_by_their_windows_end_not_their_own_time() {
    let out = Collector::new();
    let infos = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = infos.clone();
    // 10 s windows, watermark 5 s behind the latest event.
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![
            vec!["3 a", "12 a"],        // watermark after: 12 - 5 = 7
            vec!["9 b", "21 a"],        // 9 is before the watermark (7)? no: its window [0, 10) ends after 7 -> kept; watermark 16 closes [0, 10)
            vec!["8 c", "15 c"],        // [0, 10) closed (end 10 <= 16): 8 is late; 15 is on time
            vec![],
        ])
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 5s
            |> map |(_, w)| w
            |> event_window(10s, 10s) count_by_value
            |> collect(out)
    };
    p.on_batch_completed(move |info| seen.lock().unwrap().push(info.late_rows));
    p.run_batches(4).unwrap();
    assert_eq!(
        starts(&out),
        vec![vec![], vec![row(0, "a", 1), row(0, "b", 1)], vec![], vec![],]
    );
    assert_eq!(*infos.lock().unwrap(), vec![0, 0, 1, 0]);
}
