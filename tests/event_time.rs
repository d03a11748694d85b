//! Event-time windows with watermarks, Spark Structured Streaming's rules,
//! through queue + run_batches + collect: each test is one of Spark's documented
//! behaviours.

use streaming::prelude::*;

mod common;
use common::straight_and_restarted;

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
            vec!["3 a", "12 a"], // the watermark becomes 12 - 5 = 7
            vec!["9 b", "21 a"], // 9 < 7? no, but [0, 10) ends after 7: on time; then 16 closes [0, 10)
            vec!["8 c", "15 c"], // [0, 10) has closed: 8 is late (though 8 > 7); 15 is on time
            vec![],
        ])
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 5s
            |> map |(_, w)| w
            |> event_window(10s, 10s) count_by_value
            |> collect(out)
    };
    p.on_batch_completed(move |info| {
        seen.lock()
            .unwrap()
            .push((info.late_rows, info.late_rows_by_stage.clone()))
    });
    p.run_batches(4).unwrap();
    assert_eq!(
        starts(&out),
        vec![vec![], vec![row(0, "a", 1), row(0, "b", 1)], vec![], vec![],]
    );
    let stage = "event_window (pipeline statement 1)".to_string();
    assert_eq!(
        *infos.lock().unwrap(),
        vec![(0, vec![]), (0, vec![]), (1, vec![(stage, 1)]), (0, vec![])]
    );
    // Counted for the source too.
    assert_eq!(p.metrics()[0].late_rows, 1);
}

#[test]
fn the_watermark_only_moves_forward() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![
            vec!["30 a"],     // watermark 30 - 10 = 20: [0, 10) and [10, 20) close (empty)
            vec!["5 b"],      // an old row: late ([0, 10) closed), and the watermark stays 20
            vec!["15 c"],     // [10, 20) closed at 20 too: late
            vec!["25 d"],     // [20, 30) still open
            vec!["45 e"],     // watermark 35: [20, 30) closes with d
        ])
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 10s
            |> map |(_, w)| w
            |> event_window(10s, 10s) count_by_value
            |> collect(out)
    };
    p.run_batches(5).unwrap();
    assert_eq!(
        starts(&out),
        vec![vec![], vec![], vec![], vec![], vec![row(20, "d", 1)]]
    );
}

/// The same rows under the three emit modes (Spark's output modes).
#[test]
fn append_update_and_complete_emit_on_the_same_input() {
    let input = || {
        vec![
            vec!["1 a", "2 b"],
            vec!["3 a", "12 b"], // watermark 12 - 5 = 7
            vec!["16 a"],        // watermark 11: [0, 10) closes
            vec!["4 a"],         // late in append and update; counted in complete
        ]
    };
    let (append, update, complete) = (Collector::new(), Collector::new(), Collector::new());
    let (a, u, c) = (append.clone(), update.clone(), complete.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        let rows = source queue(input())
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 5s
            |> map |(_, w)| w;
        rows |> event_window(10s, 10s) count_by_value emit append |> collect(a);
        rows |> event_window(10s, 10s) count_by_value emit update |> collect(u);
        rows |> event_window(10s, 10s) count_by_value emit complete |> collect(c)
    };
    p.run_batches(4).unwrap();
    assert_eq!(
        starts(&append),
        vec![vec![], vec![], vec![row(0, "a", 2), row(0, "b", 1)], vec![]]
    );
    assert_eq!(
        starts(&update),
        vec![
            vec![row(0, "a", 1), row(0, "b", 1)],
            vec![row(0, "a", 2), row(10, "b", 1)],
            vec![row(10, "a", 1)],
            vec![],
        ]
    );
    assert_eq!(
        starts(&complete).last().cloned().unwrap_or_default(),
        vec![
            row(0, "a", 3),
            row(0, "b", 1),
            row(10, "a", 1),
            row(10, "b", 1)
        ]
    );
}

#[test]
fn sliding_windows_whose_slide_does_not_divide_the_window() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["10 x"], vec!["100 end"]])
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 0s
            |> map |(_, w)| w
            |> filter |w| *w == "x"
            |> event_window(10s, 3s) count
            |> collect(out)
    };
    p.run_batches(2).unwrap();
    // 10 s falls in [3, 13), [6, 16) and [9, 19) (and not [0, 10), which ends before it).
    let got: Vec<(i64, i64, i64)> = out
        .batches()
        .into_iter()
        .flat_map(|(_, b)| b)
        .map(|(w, n)| (w.start.as_millis() / 1000, w.end.as_millis() / 1000, n))
        .collect();
    assert_eq!(got, vec![(3, 13, 1), (6, 16, 1), (9, 19, 1)]);
}

#[test]
fn reduce_by_key_and_an_offset_shift_the_grid() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![(70i64, "a", 2i64), (74, "a", 3), (76, "b", 1)], vec![(200, "z", 0)]])
            |> event_time(|(t, _, _)| Timestamp::from_secs(*t)) watermark 0s
            |> map |(_, k, v)| (k, v)
            |> event_window(10s, 10s, offset 5s) reduce_by_key(+)
            |> collect(out)
    };
    p.run_batches(2).unwrap();
    // Windows [65, 75), [75, 85), ...: 70 and 74 share one; the watermark (the latest
    // time, no delay) closes it in the same batch.
    assert_eq!(
        starts(&out),
        vec![vec![row(65, "a", 5)], vec![row(75, "b", 1)]]
    );
}

#[tokio::test]
async fn run_emits_the_open_windows_at_the_end_of_a_finite_input_and_run_batches_does_not() {
    let pipeline = |out: &Collector<((Window, String), i64)>| {
        let out = out.clone();
        stream_pipeline! {
            batch 100ms;
            source queue(vec![vec!["1 a", "2 a", "15 b"]])
                |> map(parse_line)
                |> event_time(|(t, _)| *t) watermark 1m
                |> map |(_, w)| w
                |> event_window(10s, 10s) count_by_value
                |> collect(out)
        }
    };
    let by_batches = Collector::new();
    pipeline(&by_batches).run_batches(5).unwrap();
    assert!(starts(&by_batches).iter().all(Vec::is_empty));
    let run = Collector::new();
    pipeline(&run).run().await.unwrap();
    let all: Vec<_> = starts(&run).into_iter().flatten().collect();
    assert_eq!(all, vec![row(0, "a", 2), row(10, "b", 1)]);
}

/// A pipeline stopped after a checkpoint and restarted gives what an uninterrupted one
/// does: the watermark and the open windows come back with the checkpoint.
#[test]
fn windows_and_watermark_are_restored_from_a_checkpoint() {
    let input = || {
        vec![
            vec!["1 a", "4 b"],
            vec!["8 a", "13 c"],
            vec!["2 a", "19 c"], // 2 is on time ([0, 10) open while the watermark is 8)
            vec!["22 a"],        // watermark 17 closes [0, 10)
            vec!["9 a"],         // late
            vec!["35 x"],        // watermark 30 closes [10, 20) and [20, 30)
        ]
    };
    let pipeline = |dir: &std::path::Path, out: &Collector<((Window, String), i64)>| {
        let (dir, out) = (dir.to_path_buf(), out.clone());
        stream_pipeline! {
            batch 1s;
            checkpoint dir every 2s;
            source queue(input())
                |> map(parse_line)
                |> event_time(|(t, _)| *t) watermark 5s
                |> map |(_, w)| w
                |> event_window(10s, 10s) count_by_value
                |> collect(out)
        }
    };
    // Checkpointed at 2 s, stopped after batch 3, restarted: batch 3 again, then 4..6.
    let (straight, _, resumed) = straight_and_restarted(pipeline, 6, 3, 4);
    let rows = |c: &Collector<((Window, String), i64)>, from_ms: u64| -> Vec<_> {
        c.batches()
            .into_iter()
            .filter(|(t, _)| t.milliseconds() >= from_ms)
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&resumed, 3000), rows(&straight, 3000));
    assert_eq!(
        starts(&straight).concat(),
        vec![
            row(0, "a", 3),
            row(0, "b", 1),
            row(10, "c", 2),
            row(20, "a", 1)
        ]
    );
}

/// Spark's session windows: a key's rows within the gap of each other form one session,
/// which merges with another when a row bridges them; a session is emitted when the
/// watermark passes its end.
#[test]
fn sessions_merge_when_a_row_bridges_them_and_close_with_the_watermark() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![
            vec!["0 ann", "4 ann", "20 ann", "3 bob"], // ann: [0, 9) and [20, 25); bob: [3, 8)
            vec!["12 ann"],                             // ann: [12, 17), apart from both
            vec!["16 ann"],                             // [16, 21) bridges [12, 17) and [20, 25)
            vec!["60 zed"],                             // the watermark (60 - 5 = 55) closes them all
        ])
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 5s
            |> map |(_, who)| who
            |> session_window(5s) count_by_value
            |> collect(out)
    };
    p.run_batches(4).unwrap();
    let sessions: Vec<Vec<(String, i64, i64, i64)>> = out
        .batches()
        .into_iter()
        .map(|(_, b)| {
            b.into_iter()
                .map(|((w, k), n)| (k, w.start.as_millis() / 1000, w.end.as_millis() / 1000, n))
                .collect()
        })
        .collect();
    let s = |k: &str, a, b, n| (k.to_string(), a, b, n);
    assert_eq!(
        sessions,
        vec![
            // The watermark is 20 - 5 = 15 after the first batch: [0, 9) and [3, 8) close.
            vec![s("ann", 0, 9, 2), s("bob", 3, 8, 1)],
            vec![],
            vec![],
            vec![s("ann", 12, 25, 3)],
        ]
    );
}

/// Spark's `dropDuplicates` and `dropDuplicatesWithinWatermark`: a repeat is dropped while
/// its key is remembered; the plain form forgets a key once the watermark passes its first
/// event time, the other once it passes that time plus the delay.
#[test]
fn duplicates_are_dropped_within_the_watermark() {
    let input = || {
        vec![
            vec!["100 a", "101 a", "102 b"], // the watermark becomes 92
            vec!["115 c"],                   // 105: the plain form forgets `a` (seen at 100)
            vec!["106 a", "104 z"],          // `a` again; `z` is older than the watermark: late
        ]
    };
    let (plain, within) = (Collector::new(), Collector::new());
    let (p1, p2) = (plain.clone(), within.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        let rows = source queue(input())
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 10s
            |> map |(_, w)| w;
        rows |> drop_duplicates |> map |w| w.to_string() |> collect(p1);
        rows |> drop_duplicates by |w| w.len() + usize::from(w.starts_with('a')) within_watermark
             |> map |w| w.to_string()
             |> collect(p2)
    };
    p.run_batches(3).unwrap();
    let values = |c: &Collector<(Timestamp, String)>| -> Vec<Vec<String>> {
        c.batches()
            .into_iter()
            .map(|(_, b)| b.into_iter().map(|(_, w)| w).collect())
            .collect()
    };
    assert_eq!(
        values(&plain),
        vec![vec![s("a"), s("b")], vec![s("c")], vec![s("a")]]
    );
    // By key `len + (starts with a)`: a -> 2, b and c -> 1: `c` repeats `b`'s key (seen
    // at 102, kept until 112 > 105) and the second `a` is within the delay of the first.
    assert_eq!(values(&within), vec![vec![s("a"), s("b")], vec![], vec![]]);
}

fn s(x: &str) -> String {
    x.to_string()
}

/// With two inputs, the global watermark is the lower of theirs: a window closes only once
/// the slower input has passed its end too.
#[test]
fn the_slower_of_two_inputs_holds_the_watermark() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let fast = source queue(vec![vec!["5 a", "50 a"], vec![], vec![]])
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 0s
            |> map |(_, w)| w;
        let slow = source queue(vec![vec!["3 b"], vec!["8 b"], vec!["30 b"]])
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 0s
            |> map |(_, w)| w;
        fast |> union(slow) |> event_window(10s, 10s) count_by_value |> collect(out)
    };
    p.run_batches(3).unwrap();
    // fast's watermark is 50 after batch 1, slow's 3, 8, then 30: [0, 10) closes in batch 3.
    assert_eq!(
        starts(&out),
        vec![vec![], vec![], vec![row(0, "a", 1), row(0, "b", 2)]]
    );
}

/// `late(name)`: the rows an event-time aggregation drops as late, as a stream of their
/// own (with their event time), beside the count of them.
#[test]
fn late_rows_can_be_kept_as_a_stream_of_their_own() {
    let (out, late) = (Collector::new(), Collector::new());
    let (o, l) = (out.clone(), late.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["3 a", "25 b"], vec!["7 c", "12 d"], vec!["1 e"]])
            |> map(parse_line)
            |> event_time(|(t, _)| *t) watermark 5s
            |> map |(_, w)| w
            |> event_window(10s, 10s) count_by_value late(too_late)
            |> collect(o);
        too_late |> map |(t, w)| (t.as_millis() / 1000, w) |> collect(l)
    };
    p.run_batches(3).unwrap();
    assert_eq!(starts(&out), vec![vec![row(0, "a", 1)], vec![], vec![]]);
    // The watermark is 20 after the first batch: [0, 10) and [10, 20) have closed, so `c`
    // (7), `d` (12) and `e` (1) come too late.
    assert_eq!(
        late.batches()
            .into_iter()
            .map(|(_, b)| b)
            .collect::<Vec<_>>(),
        vec![vec![], vec![(7, s("c")), (12, s("d"))], vec![(1, s("e"))]]
    );
}
