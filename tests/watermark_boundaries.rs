//! Every watermark comparison pinned at its boundary: an event time (or a window's or a
//! session's end) one millisecond before the watermark, exactly at it, and one after.
//!
//! Spark's rule, everywhere (`WatermarkSupport.watermarkExpression`: `LessThanOrEqual`;
//! `StreamingDeduplicateWithinWatermarkExec`: evicted when `watermark >= expiresAt`): what
//! is *at or below* the watermark is late, and state is evicted on the same rule. So:
//!
//! - `drop_duplicates`: a row whose event time is ≤ the watermark from before the batch is
//!   late; a key first seen at `t` is forgotten once the watermark after the batch is ≥ `t`
//!   (`within_watermark`: ≥ `t + delay`);
//! - `event_window`: a row none of whose windows ends after the watermark from before the
//!   batch is late; a window is emitted (append) and freed once the watermark after the
//!   batch is ≥ its end;
//! - `session_window`: a row whose own session `[t, t + gap)` ends at or before the
//!   watermark is late; a session closes once the watermark is ≥ its end;
//! - `late(name)` carries exactly the rows counted late.
//!
//! Times are in milliseconds: lines are `"<ms> <word>"`. Every pipeline has a watermark
//! 10 s behind the latest event time.

use streaming::prelude::*;

/// A line `"<milliseconds> <word>"` as (event time, word).
fn parse_ms(line: &str) -> (Timestamp, &str) {
    let (t, w) = line.split_once(' ').unwrap_or((line, ""));
    (Timestamp::from_millis(t.parse().unwrap_or(0)), w)
}

fn words(c: &Collector<(Timestamp, String)>) -> Vec<Vec<String>> {
    c.batches()
        .into_iter()
        .map(|(_, b)| b.into_iter().map(|(_, w)| w).collect())
        .collect()
}

fn s(x: &str) -> String {
    x.to_string()
}

/// `drop_duplicates` over `batches`, and the late rows counted per batch.
fn dedup(batches: Vec<Vec<&'static str>>, within: bool) -> (Vec<Vec<String>>, Vec<u64>) {
    let n = batches.len() as u64;
    let out = Collector::new();
    let late = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = late.clone();
    let o = out.clone();
    let mut p = if within {
        stream_pipeline! {
            batch 1s;
            source queue(batches)
                |> map(parse_ms)
                |> event_time(|(t, _)| *t) watermark 10s
                |> map |(_, w)| w
                |> drop_duplicates within_watermark
                |> map |w| w.to_string()
                |> collect(o)
        }
    } else {
        stream_pipeline! {
            batch 1s;
            source queue(batches)
                |> map(parse_ms)
                |> event_time(|(t, _)| *t) watermark 10s
                |> map |(_, w)| w
                |> drop_duplicates
                |> map |w| w.to_string()
                |> collect(o)
        }
    };
    p.on_batch_completed(move |info| seen.lock().unwrap().push(info.late_rows));
    p.run_batches(n).unwrap();
    let late = late.lock().unwrap().clone();
    (words(&out), late)
}

#[test]
fn drop_duplicates_drops_a_row_exactly_at_the_watermark_as_late() {
    // After the first batch the watermark is 20_000 - 10_000 = 10_000.
    for within in [false, true] {
        let (out, late) = dedup(
            vec![
                vec!["20000 x"],
                vec!["9999 before", "10000 at", "10001 after"],
            ],
            within,
        );
        assert_eq!(
            out,
            vec![vec![s("x")], vec![s("after")]],
            "within: {within}"
        );
        assert_eq!(late, vec![0, 2], "within: {within}");
    }
}

/// Runs `first` (which moves the watermark to exactly where the key `at` is forgotten),
/// then the three keys again: `before` and `at` are new again, `after` is still a repeat.
fn forgets_before_and_at_keeps_after(first: Vec<&'static str>, again: i64, within: bool) {
    let again: Vec<&'static str> = ["before", "at", "after"]
        .iter()
        .map(|k| &*Box::leak(format!("{again} {k}").into_boxed_str()))
        .collect();
    let (out, late) = dedup(vec![first, again], within);
    assert_eq!(
        out,
        vec![
            vec![s("before"), s("at"), s("after"), s("x")],
            vec![s("before"), s("at")]
        ],
        "within: {within}"
    );
    assert_eq!(late, vec![0, 0], "within: {within}");
}

#[test]
fn drop_duplicates_forgets_a_key_once_the_watermark_reaches_its_event_time() {
    // The first batch moves the watermark to 10_000: `at` (first seen at 10_000) is
    // forgotten, `after` (10_001) is still remembered; `before` (9_999) went first.
    forgets_before_and_at_keeps_after(
        vec!["9999 before", "10000 at", "10001 after", "20000 x"],
        20_000,
        false,
    );
}

#[test]
fn drop_duplicates_within_watermark_forgets_a_key_once_the_watermark_reaches_its_expiry() {
    // A key first seen at t expires at t + 10_000. The first batch moves the watermark to
    // 15_000: `at` (expiring at 15_000) is forgotten, `after` (15_001) is remembered.
    forgets_before_and_at_keeps_after(
        vec!["4999 before", "5000 at", "5001 after", "25000 x"],
        16_000,
        true,
    );
}

/// Spark's StreamingDeduplicationSuite, "deduplicate with watermark": after the watermark
/// reaches 15 s, the state holds only the rows above it.
#[test]
fn drop_duplicates_state_holds_only_keys_above_the_watermark() {
    let (out, late) = dedup(
        vec![
            (10..=15)
                .flat_map(|s| std::iter::repeat_n(s, 5))
                .map(|s| &*Box::leak(format!("{} {s}", s * 1000).into_boxed_str()))
                .collect(),
            vec!["25000 25"], // the watermark becomes 15 s: 10..=15 are forgotten
            vec!["10000 10"], // late
            vec!["15000 15"], // late, exactly at the watermark
            vec!["16000 25"], // a key held (25) at a new time: a duplicate
        ],
        false,
    );
    assert_eq!(
        out,
        vec![
            vec![s("10"), s("11"), s("12"), s("13"), s("14"), s("15")],
            vec![s("25")],
            vec![],
            vec![],
            vec![],
        ]
    );
    assert_eq!(late, vec![0, 0, 1, 1, 0]);
}

/// `((window start ms, word), count)` of each batch, and the late rows of each batch as
/// `(ms, word)`.
type Windows = Vec<Vec<(i64, String, i64)>>;
type Late = Vec<Vec<(i64, String)>>;

/// A 10 s tumbling count and a 2 s session count over the same `batches`, each with its
/// late rows kept with `late(..)`.
fn windows_and_sessions(batches: Vec<Vec<&'static str>>) -> [(Windows, Late); 2] {
    let n = batches.len() as u64;
    let outs = [Collector::new(), Collector::new()];
    let lates = [Collector::new(), Collector::new()];
    let ([o1, o2], [l1, l2]) = (outs.clone(), lates.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        let rows = source queue(batches)
            |> map(parse_ms)
            |> event_time(|(t, _)| *t) watermark 10s
            |> map |(_, w)| w;
        rows |> event_window(10s, 10s) count_by_value late(late_for_windows) |> collect(o1);
        rows |> session_window(2s) count_by_value late(late_for_sessions) |> collect(o2);
        late_for_windows |> map |(t, w)| (t.as_millis(), w.to_string()) |> collect(l1);
        late_for_sessions |> map |(t, w)| (t.as_millis(), w.to_string()) |> collect(l2)
    };
    p.run_batches(n).unwrap();
    [0, 1].map(|i| windows_and_late(&outs[i], &lates[i]))
}

fn tumbling(batches: Vec<Vec<&'static str>>) -> (Windows, Late) {
    let [windows, _] = windows_and_sessions(batches);
    windows
}

fn sessions(batches: Vec<Vec<&'static str>>) -> (Windows, Late) {
    let [_, sessions] = windows_and_sessions(batches);
    sessions
}

/// What a pipeline collected, as plain values.
fn windows_and_late(
    out: &Collector<((Window, String), i64)>,
    late: &Collector<(i64, String)>,
) -> (Windows, Late) {
    let windows = out
        .batches()
        .into_iter()
        .map(|(_, b)| {
            b.into_iter()
                .map(|((w, k), n)| (w.start.as_millis(), k, n))
                .collect()
        })
        .collect();
    let late = late.batches().into_iter().map(|(_, b)| b).collect();
    (windows, late)
}

/// `aggregate` over a batch with `row` (a window or session ending at 10_000) and a row
/// moving the watermark to one below, at, or one above that end, then an empty batch: the
/// window or session is emitted in the first batch once the watermark reaches its end.
fn closes_once_the_watermark_reaches_its_end(
    aggregate: fn(Vec<Vec<&'static str>>) -> (Windows, Late),
    row: &'static str,
    start: i64,
) {
    for (z, closed) in [("19999 z", false), ("20000 z", true), ("20001 z", true)] {
        let (got, _) = aggregate(vec![vec![row, z], vec![]]);
        let expected = if closed {
            vec![(start, s("a"), 1)]
        } else {
            vec![]
        };
        assert_eq!(got, vec![expected, vec![]], "after {z}");
    }
}

#[test]
fn event_window_emits_a_window_once_the_watermark_reaches_its_end() {
    // Window [0, 10_000) holds `a`.
    closes_once_the_watermark_reaches_its_end(tumbling, "5000 a", 0);
}

#[test]
fn event_window_drops_a_row_whose_window_ends_exactly_at_the_watermark() {
    // A row at 5_000 belongs to [0, 10_000) only; the watermark before batch 2 is 9_999,
    // 10_000 or 10_001.
    for (z, late) in [("19999 z", false), ("20000 z", true), ("20001 z", true)] {
        let (_, got) = tumbling(vec![vec![z], vec!["5000 a"]]);
        let expected = if late { vec![(5000, s("a"))] } else { vec![] };
        assert_eq!(got, vec![vec![], expected], "after {z}");
    }
    // A row at exactly 10_000 opens [10_000, 20_000): on time however the watermark is.
    let (_, got) = tumbling(vec![vec!["20000 z"], vec!["10000 b", "9999 a"]]);
    assert_eq!(got, vec![vec![], vec![(9999, s("a"))]]);
}

#[test]
fn session_window_closes_a_session_once_the_watermark_reaches_its_end() {
    // The session of a row at 8_000 is [8_000, 10_000).
    closes_once_the_watermark_reaches_its_end(sessions, "8000 a", 8000);
}

#[test]
fn session_window_drops_a_row_whose_session_ends_exactly_at_the_watermark() {
    // The watermark before batch 2 is 10_000; a row at t has the session [t, t + 2_000).
    let (_, late) = sessions(vec![
        vec!["20000 z"],
        vec!["7999 before", "8000 at", "8001 after"],
    ]);
    assert_eq!(
        late,
        vec![vec![], vec![(7999, s("before")), (8000, s("at"))]]
    );
}
