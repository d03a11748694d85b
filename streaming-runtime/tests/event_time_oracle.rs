//! Event-time windows against a naive oracle that recomputes every window from all rows
//! seen and applies Spark's watermark rules, for random rows, batches,
//! delays, windows, slides, offsets and emit modes.
//!
//! The oracle keeps every row a batch accepted into each window (a row joins each window
//! covering it whose end is after the watermark from before the batch, every window in
//! complete mode), recounts a window from them whenever it is shown, and emits: in append
//! mode each window once, when the watermark after a batch reaches its end; in update mode
//! the (window, key)s the batch touched; in complete mode all of them. The store is driven
//! both ways a pipeline drives it: rows added one by one, and runs folded into panes in
//! the fused loop, merged, then added.

use std::collections::BTreeSet;

use proptest::prelude::*;
use streaming_runtime::event_time::{
    Emit, EventAggregation, EventWindows, Timestamp, Watermark, Window, WindowSpec,
};
use streaming_runtime::ops::event_window;

type Row = (i64, u8); // (event time in seconds, key)
type Out = Vec<(i64, u8, i64)>; // (window start in seconds, key, count)

fn windows_naive(t: i64, w: i64, s: i64, o: i64) -> Vec<i64> {
    let lo = (t - w - o).div_euclid(s) - 1;
    let hi = (t - o).div_euclid(s) + 1;
    (lo..=hi)
        .map(|k| k * s + o)
        .filter(|&start| start <= t && t < start + w)
        .collect()
}

fn oracle(batches: &[Vec<Row>], d: i64, w: i64, s: i64, o: i64, emit: Emit) -> (Vec<Out>, u64) {
    let mut wm = 0i64;
    let mut accepted: Vec<(i64, u8)> = Vec::new(); // (window start, key), one per row and window
    let mut emitted: BTreeSet<i64> = BTreeSet::new();
    let mut late = 0;
    let mut outs = Vec::new();
    for batch in batches {
        let mut changed = BTreeSet::new();
        for &(t, k) in batch {
            let mut placed = false;
            for start in windows_naive(t, w, s, o) {
                if emit == Emit::Complete || start + w > wm {
                    accepted.push((start, k));
                    changed.insert((start, k));
                    placed = true;
                }
            }
            if !placed {
                late += 1;
            }
        }
        let next = batch.iter().map(|r| r.0 - d).fold(wm, i64::max);
        let count =
            |start: i64, k: u8| accepted.iter().filter(|&&x| x == (start, k)).count() as i64;
        let all: BTreeSet<(i64, u8)> = accepted.iter().copied().collect();
        let out: Out = match emit {
            Emit::Append => {
                let closing: Vec<(i64, u8)> = all
                    .iter()
                    .copied()
                    .filter(|(start, _)| start + w <= next && !emitted.contains(start))
                    .collect();
                for (start, _) in &closing {
                    emitted.insert(*start);
                }
                closing
                    .into_iter()
                    .map(|(st, k)| (st, k, count(st, k)))
                    .collect()
            }
            Emit::Update => changed
                .into_iter()
                .map(|(st, k)| (st, k, count(st, k)))
                .collect(),
            Emit::Complete => all
                .into_iter()
                .map(|(st, k)| (st, k, count(st, k)))
                .collect(),
        };
        outs.push(out);
        wm = next;
    }
    (outs, late)
}

type Results = Vec<((Window, u8), i64)>;

/// The store over `batches` with a watermark `d` seconds behind, each batch's rows given
/// to the store by `add` (with the watermark before and after the batch).
fn drive(
    batches: &[Vec<Row>],
    d: i64,
    (w, s, o): (i64, i64, i64),
    emit: Emit,
    mut add: impl FnMut(&mut EventWindows<u8, i64>, WindowSpec, &[Row], Timestamp, Timestamp) -> Results,
) -> (Vec<Out>, u64) {
    let ms = |x: i64| u64::try_from(x * 1000).unwrap();
    let spec = WindowSpec::new(ms(w), ms(s), ms(o));
    let mut mark = Watermark::new(ms(d));
    let mut state: EventWindows<u8, i64> = EventWindows::new(spec, emit);
    let mut outs = Vec::new();
    for batch in batches {
        for &(t, _) in batch {
            mark.observe(Timestamp::from_secs(t));
        }
        let out = add(&mut state, spec, batch, mark.current(), mark.next());
        outs.push(
            out.into_iter()
                .map(|((win, k), n)| (win.start.as_millis() / 1000, k, n))
                .collect(),
        );
        mark.advance();
    }
    (outs, state.late_rows)
}

/// Rows added one by one (`EventAggregation::apply`).
fn runtime(batches: &[Vec<Row>], d: i64, w: i64, s: i64, o: i64, emit: Emit) -> (Vec<Out>, u64) {
    drive(
        batches,
        d,
        (w, s, o),
        emit,
        |state, _, batch, current, next| {
            let rows = batch
                .iter()
                .map(|&(t, k)| (Timestamp::from_secs(t), k, 1i64));
            state.apply(rows, current, next, |a, b| a + b).0
        },
    )
}

/// The path of a fused `event_window .. count_by_value` without a late stream: each batch
/// folded into panes in two runs (split at `cut`), merged, then taken by the store, which
/// finds the late panes itself.
fn runtime_folded(
    batches: &[Vec<Row>],
    d: i64,
    window: (i64, i64, i64),
    emit: Emit,
    cut: usize,
) -> (Vec<Out>, u64) {
    drive(
        batches,
        d,
        window,
        emit,
        |state, spec, batch, current, next| {
            let run = |rows: &[Row]| {
                let it = rows.iter().map(|&(t, k)| (Timestamp::from_secs(t), k));
                event_window::fold_count_by_value(it, spec)
            };
            let cut = cut.min(batch.len());
            let mut runs = run(&batch[..cut]);
            event_window::merge_folded(&mut runs, run(&batch[cut..]), |a, b| a + b);
            state.add_folded(runs, current, next, &mut |a, b| a + b).0
        },
    )
}

fn batches() -> impl Strategy<Value = Vec<Vec<Row>>> {
    prop::collection::vec(prop::collection::vec((0i64..80, 0u8..3), 0..6), 1..10)
}

fn emits() -> impl Strategy<Value = Emit> {
    prop::sample::select(vec![Emit::Append, Emit::Update, Emit::Complete])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn event_windows_equal_the_oracle(
        input in batches(),
        d in 0i64..20,
        w in 1i64..15,
        s_frac in 1i64..=30,
        o_frac in 0i64..15,
        emit in emits(),
        cut in 0usize..6,
    ) {
        // Slides up to twice the length: windows with gaps between them too.
        let s = 1 + (s_frac - 1) % (2 * w); // 1 <= s <= 2w
        let o = o_frac % s; // 0 <= o < s
        let (want, want_late) = oracle(&input, d, w, s, o, emit);
        let (got, got_late) = runtime(&input, d, w, s, o, emit);
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(got_late, want_late);
        let (folded, folded_late) = runtime_folded(&input, d, (w, s, o), emit, cut);
        prop_assert_eq!(folded, want);
        prop_assert_eq!(folded_late, want_late);
    }

    /// Bounded state: in append and update mode, no window whose end the watermark has
    /// passed is kept.
    #[test]
    fn closed_windows_are_freed(input in batches(), d in 0i64..20, emit in prop::sample::select(vec![Emit::Append, Emit::Update])) {
        let mut mark = Watermark::new(u64::try_from(d * 1000).unwrap());
        let mut state: EventWindows<u8, i64> = EventWindows::new(WindowSpec::new(10_000, 5_000, 0), emit);
        for batch in &input {
            for &(t, _) in batch {
                mark.observe(Timestamp::from_secs(t));
            }
            let rows = batch.iter().map(|&(t, k)| (Timestamp::from_secs(t), k, 1i64));
            state.apply(rows, mark.current(), mark.next(), |a, b| a + b);
            mark.advance();
            if let Some(end) = state.earliest_end() {
                prop_assert!(end > mark.current(), "a closed window is kept");
            }
        }
    }
}

#[test]
fn the_oracle_agrees_on_a_hand_checked_case() {
    let input = vec![
        vec![(3, 0), (12, 0)],
        vec![(9, 1), (21, 0)],
        vec![(8, 2), (15, 2)],
    ];
    let (out, late) = oracle(&input, 5, 10, 10, 0, Emit::Append);
    assert_eq!(out, vec![vec![], vec![(0, 0, 1), (0, 1, 1)], vec![]]);
    assert_eq!(late, 1);
}
