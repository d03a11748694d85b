//! `interval_join`: two streams joined across batches within a range of event time (Flink's
//! interval join, Spark's stream–stream join with a time-range condition), against every
//! pair of rows checked by hand; rows on time are never missed, and each side's rows are
//! freed once the watermark passes their last chance.

use proptest::prelude::*;
use streaming::prelude::*;

mod common;
use common::{sorted, straight_and_restarted};

/// `(milliseconds, key, value)`, stamped with its time and joined as `(key, value)`.
type Row = (i64, u8, u32);

/// Every pair with equal keys whose times differ by `lower ..= upper` (the other side's
/// time less this side's): what the join must give, in some order.
fn naive(left: &[Vec<Row>], right: &[Vec<Row>], lower: i64, upper: i64) -> Vec<(u8, (u32, u32))> {
    let mut out = Vec::new();
    for (t, k, v) in left.iter().flatten() {
        for (u, k2, w) in right.iter().flatten() {
            if k == k2 && (lower..=upper).contains(&(u - t)) {
                out.push((*k, (*v, *w)));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn rows_meet_whichever_batch_they_arrive_in() {
    let out = Collector::new();
    let stats = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = stats.clone();
    // Clicks meet the impressions of the 10 s before them.
    let impressions: Vec<Vec<Row>> = vec![
        vec![(1_000, 7, 100), (2_000, 8, 200)],
        vec![(9_000, 7, 300)],
        vec![(30_000, 9, 400)],
    ];
    let clicks: Vec<Vec<Row>> = vec![
        vec![(1_500, 7, 1)],                  // meets 100 in the same batch
        vec![(10_000, 7, 2), (12_500, 8, 3)], // 2 meets 100 and 300; 3 is 10.5 s after 200
        vec![(31_000, 9, 4)],
    ];
    let mut p = stream_pipeline! {
        batch 1s;
        let impressions = source queue(impressions)
            |> event_time(|&(t, _, _)| Timestamp::from_millis(t)) watermark 0s
            |> map |(_, k, v)| (k, v);
        source queue(clicks)
            |> event_time(|&(t, _, _)| Timestamp::from_millis(t)) watermark 0s
            |> map |(_, k, v)| (k, v)
            |> interval_join(impressions, -10s, 0s)
            |> collect(out)
    };
    p.on_batch_completed(move |info| seen.lock().unwrap().push(info.state.clone()));
    p.run_batches(3).unwrap();
    assert_eq!(
        sorted(&out),
        vec![
            vec![(7, (1, 100))],
            vec![(7, (2, 100)), (7, (2, 300))],
            vec![(9, (4, 400))],
        ]
    );
    // After the last batch the watermark is 30 s (the slower side's): the click at 31 s
    // waits for impressions up to 10 s before it, the impression at 30 s for clicks up to
    // 10 s after it; everything earlier is freed.
    let stats = stats.lock().unwrap();
    let last = stats.last().and_then(|s| s.first()).map(|(_, s)| s.rows);
    assert_eq!(last, Some(2));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Rows on time (each batch's rows at or after the watermark from before it) all meet,
    /// whatever the batches, under bounds before, around, after and at one instant.
    #[test]
    fn every_pair_within_the_bounds_meets_once(
        steps in proptest::collection::vec(
            (
                proptest::collection::vec((0usize..4, 0u8..3), 0..6),
                proptest::collection::vec((0usize..4, 0u8..3), 0..4),
            ),
            1..8,
        ),
    ) {
        // Batch b's rows are at b × 3 s + 1 ms, 1, 2 or 3 s, so that times often differ by
        // a bound exactly, and a batch's earliest row can be 1 ms above the watermark (the
        // latest time before it, delay 0): on time.
        const AT: [i64; 4] = [1, 1_000, 2_000, 3_000];
        let number = |b: usize, rows: &[(usize, u8)], first: u32| -> Vec<Row> {
            rows.iter()
                .enumerate()
                .map(|(i, (dt, k))| (b as i64 * 3_000 + AT[*dt], *k, first + i as u32))
                .collect()
        };
        let left: Vec<Vec<Row>> = steps.iter().enumerate().map(|(b, (l, _))| number(b, l, 1000 * b as u32)).collect();
        let right: Vec<Vec<Row>> = steps.iter().enumerate().map(|(b, (_, r))| number(b, r, 1000 * b as u32 + 500)).collect();
        let outs = [Collector::new(), Collector::new(), Collector::new(), Collector::new()];
        let [before, around, after, instant] = outs.clone();
        let (l, r) = (left.clone(), right.clone());
        let mut p = stream_pipeline! {
            batch 1s;
            let other = source queue(r)
                |> event_time(|&(t, _, _)| Timestamp::from_millis(t)) watermark 0s
                |> map |(_, k, w)| (k, w);
            let this = source queue(l)
                |> event_time(|&(t, _, _)| Timestamp::from_millis(t)) watermark 0s
                |> map |(_, k, v)| (k, v);
            this |> interval_join(other, -4s, -1s) |> collect(before);
            this |> interval_join(other, -3s, 3s) |> collect(around);
            this |> interval_join(other, 0s, 6s) |> collect(after);
            this |> interval_join(other, 0s, 0s) |> collect(instant)
        };
        p.run_batches(left.len() as u64).unwrap();
        for (out, (lower, upper)) in outs.iter().zip([(-4_000, -1_000), (-3_000, 3_000), (0, 6_000), (0, 0)]) {
            let mut got: Vec<(u8, (u32, u32))> = out.batches().into_iter().flat_map(|(_, b)| b).collect();
            got.sort();
            prop_assert_eq!(got, naive(&left, &right, lower, upper), "bounds {} ..= {}", lower, upper);
        }
    }
}

/// The other side's time read from its values (`time(f)`): here a window's results, each
/// at its window's end, the moment they are emitted: a bid meets the maximum of its
/// window (Nexmark q7's highest bid, in the DSL).
#[test]
fn a_windows_results_meet_the_rows_they_came_from_by_the_windows_end() {
    let out = Collector::new();
    let bids: Vec<Vec<Row>> = vec![
        vec![(1_000, 0, 5), (4_000, 0, 9)],
        vec![(9_999, 0, 9), (12_000, 0, 3)],
        vec![(25_000, 0, 1)],
    ];
    let mut p = stream_pipeline! {
        batch 1s;
        let bids = source queue(bids)
            |> event_time(|&(t, _, _)| Timestamp::from_millis(t)) watermark 0s
            |> map |(t, _, price)| (price, t);
        let maxima = bids
            |> map |(price, _)| ((), price)
            |> event_window(10s, 10s) reduce_by_key(max)
            |> map |((w, ()), price)| (price, w);
        bids
            |> interval_join(maxima, 1ms, 10s) time(|w| w.end)
            |> map |(price, (t, w))| (w.start.as_millis(), price, t)
            |> collect(out)
    };
    p.run_batches(3).unwrap();
    let mut got: Vec<(i64, u32, i64)> = out.batches().into_iter().flat_map(|(_, b)| b).collect();
    got.sort();
    // [0, 10 s) closes at the watermark 12 s: its two bids at 9 meet it; [10 s, 20 s)
    // closes at 25 s.
    assert_eq!(got, vec![(0, 9, 4_000), (0, 9, 9_999), (10_000, 3, 12_000)]);
}

/// A checkpointed pipeline stopped mid-run and restarted gives what an uninterrupted one
/// does: the kept rows come back with the checkpoint. Two SQL joins of the bids back onto
/// their window's maximum: one over the window itself, lowered to the rows at each
/// window's maximum (kept in the window's state), one over the window and its end
/// instant, joined as written (`interval_join`, whose kept rows are both sides' rows).
#[test]
fn kept_rows_are_restored_from_a_checkpoint() {
    let input = || -> Vec<Vec<Row>> {
        vec![
            vec![(1_000, 0, 5), (4_000, 0, 9)],
            vec![(9_000, 0, 9), (11_000, 0, 2)],
            vec![(13_000, 0, 7)], // the watermark 13 s closes [0, 10 s) here
            vec![(16_000, 0, 7)],
            vec![(25_000, 0, 1)], // and [10 s, 20 s) here
            vec![],
        ]
    };
    // (joined as written, window end, price, time)
    type Out = (bool, i64, i64, i64);
    let pipeline = |dir: &std::path::Path, out: &Collector<Out>| {
        let (dir, out, written) = (dir.to_path_buf(), out.clone(), out.clone());
        stream_pipeline! {
            batch 1s;
            checkpoint dir every 2s;
            let bids = source queue(input())
                |> event_time(|&(t, _, _)| Timestamp::from_millis(t)) watermark 0s
                |> map |(t, _, price)| (t, price as i64);
            let maxes = sql("SELECT window.end AS endtime, max(price) AS maxprice
                             FROM bids AS b(t, price) GROUP BY window(t, '10 seconds')");
            sql("SELECT m.endtime, b.price, b.t FROM bids AS b(t, price) JOIN maxes AS m
                 ON b.price = m.maxprice AND b.t BETWEEN m.endtime - INTERVAL '10' SECOND AND m.endtime - INTERVAL '1' MILLISECOND")
                |> map |r| (false, r.endtime.map_or(0, |t| t.as_millis()), r.price.unwrap_or(0), r.t.unwrap_or(0))
                |> collect(out);
            sql("SELECT m.endtime, b.price, b.t FROM bids AS b(t, price) JOIN maxes AS m
                 ON b.price = m.maxprice AND b.t BETWEEN m.endtime - INTERVAL '10' SECOND AND m.endtime")
                |> map |r| (true, r.endtime.map_or(0, |t| t.as_millis()), r.price.unwrap_or(0), r.t.unwrap_or(0))
                |> collect(written)
        }
    };
    // Checkpointed at 2 s, stopped right after it, restarted for batches 3..6.
    let (straight, first, resumed) = straight_and_restarted(pipeline, 6, 2, 4);
    let all = |c: &Collector<Out>| {
        let mut v: Vec<_> = c.batches().into_iter().flat_map(|(_, b)| b).collect();
        v.sort();
        v
    };
    // No bid is at a window's end: both forms meet the same rows.
    let rows = [
        (10_000, 9, 4_000),
        (10_000, 9, 9_000),
        (20_000, 7, 13_000),
        (20_000, 7, 16_000),
    ];
    let expected: Vec<Out> = [false, true]
        .into_iter()
        .flat_map(|w| rows.map(|(e, p, t)| (w, e, p, t)))
        .collect();
    assert_eq!(all(&straight), expected);
    let mut both = all(&first);
    both.extend(all(&resumed));
    both.sort();
    assert_eq!(both, all(&straight));
}

/// Batch b's rows at b × 3 s + 1 ms, 1, 2 or 3 s (`AT[dt]` for a step's `(dt, row)`): on
/// time (after the watermark, the latest time before them), often at a 3 s window's end.
/// Then `last`, at `OPEN`, far on: it closes every window but its own.
fn at_times<T, R>(steps: &[Vec<(usize, T)>], row: impl Fn(i64, &T) -> R, last: R) -> Vec<Vec<R>> {
    const AT: [i64; 4] = [1, 1_000, 2_000, 3_000];
    let mut batches: Vec<Vec<R>> = steps
        .iter()
        .enumerate()
        .map(|(b, rows)| {
            rows.iter()
                .map(|(dt, r)| row(b as i64 * 3_000 + AT[*dt], r))
                .collect()
        })
        .collect();
    batches.push(vec![last]);
    batches
}

/// The time of [`at_times`]' last row.
const OPEN: i64 = 1_000_000;

/// `(milliseconds, price)`: prices from a small range, so windows have ties, and NULL.
type Bid = (i64, Option<i64>);

/// What a join of the bids back onto their windows' extreme gives, pair by pair: `(the
/// window's start, price, time)` for each bid whose price is the MAX (`max`) or MIN of
/// the window of `length` ms starting at `start`, for each window the bid's time is in
/// `start ..= start + length` (`closed`) or `start .. start + length`. A NULL price meets
/// nothing. The last window (the one `open` is in) has not closed.
fn rows_at(bids: &[Bid], length: i64, max: bool, closed: bool, open: i64) -> Vec<(i64, i64, i64)> {
    let start_of = |t: i64| t.div_euclid(length) * length;
    let mut out = Vec::new();
    let mut starts: Vec<i64> = bids.iter().map(|&(t, _)| start_of(t)).collect();
    starts.sort();
    starts.dedup();
    for start in starts.into_iter().filter(|&s| s != start_of(open)) {
        let prices = bids
            .iter()
            .filter(|&&(t, _)| start_of(t) == start)
            .filter_map(|&(_, p)| p);
        let Some(extreme) = (if max { prices.max() } else { prices.min() }) else {
            continue;
        };
        let end = start + length;
        for &(t, p) in bids {
            let within = (start..end).contains(&t) || (closed && t == end);
            if within && p == Some(extreme) {
                out.push((start, extreme, t));
            }
        }
    }
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A join back onto the bids' windowed MAX or MIN gives every bid at its window's
    /// extreme, ties and all, whether it is lowered to the rows at the extreme (the range
    /// is the window itself, at its end or its start) or joined as written (the range
    /// takes in the window's end too, so a bid at a window's end meets both windows).
    #[test]
    fn a_join_back_onto_the_windows_extreme_gives_the_rows_at_it(
        steps in proptest::collection::vec(
            proptest::collection::vec((0usize..4, prop::option::weighted(0.8, 0i64..4)), 0..6),
            1..8,
        ),
    ) {
        let batches: Vec<Vec<Bid>> = at_times(&steps, |t, &p| (t, p), (OPEN, None));
        let bids: Vec<Bid> = batches.iter().flatten().copied().collect();
        let outs = [Collector::new(), Collector::new(), Collector::new()];
        let [max_end, min_start, as_written] = outs.clone();
        let input = batches.clone();
        let mut p = stream_pipeline! {
            batch 1s;
            let bids = source queue(input)
                |> event_time(|&(t, _)| Timestamp::from_millis(t)) watermark 0s;
            let maxes = sql("SELECT window.end AS e, max(price) AS top
                             FROM bids AS b(t, price) GROUP BY window(t, '3 seconds')");
            let mins = sql("SELECT min(price) AS low, window.start AS s
                            FROM bids AS x(t, price) GROUP BY window(t, '3 seconds')");
            sql("SELECT m.e, b.price, b.t FROM bids AS b(t, price) JOIN maxes AS m
                 ON m.top = b.price AND b.t >= m.e - INTERVAL '3' SECOND AND b.t < m.e")
                |> map |r| (r.e.map_or(0, |e| e.as_millis() - 3_000), r.price.unwrap_or(-1), r.t.unwrap_or(-1))
                |> collect(max_end);
            sql("SELECT n.s, price, t FROM bids AS b(t, price) JOIN mins AS n
                 ON price = n.low AND t < n.s + INTERVAL '3' SECOND AND t >= n.s")
                |> map |r| (r.s.map_or(0, |s| s.as_millis()), r.price.unwrap_or(-1), r.t.unwrap_or(-1))
                |> collect(min_start);
            sql("SELECT m.e, b.price, b.t FROM bids AS b(t, price) JOIN maxes AS m
                 ON b.price = m.top AND b.t BETWEEN m.e - INTERVAL '3' SECOND AND m.e")
                |> map |r| (r.e.map_or(0, |e| e.as_millis() - 3_000), r.price.unwrap_or(-1), r.t.unwrap_or(-1))
                |> collect(as_written)
        };
        p.run_batches(batches.len() as u64).unwrap();
        let all = |c: &Collector<(i64, i64, i64)>| {
            let mut v: Vec<_> = c.batches().into_iter().flat_map(|(_, b)| b).collect();
            v.sort();
            v
        };
        prop_assert_eq!(all(&outs[0]), rows_at(&bids, 3_000, true, false, OPEN));
        prop_assert_eq!(all(&outs[1]), rows_at(&bids, 3_000, false, false, OPEN));
        prop_assert_eq!(all(&outs[2]), rows_at(&bids, 3_000, true, true, OPEN));
    }
}

/// Lowered to the rows at the maximum, the join holds a window's leaders, not its rows:
/// after 1,000 bids in one open window, its state is one window's (the join as written
/// kept every bid).
#[test]
fn a_window_keeps_only_the_rows_at_its_maximum() {
    let bids: Vec<Vec<Bid>> = vec![(1..=1_000).map(|i| (i, Some(i % 10))).collect()];
    let out = Collector::new();
    let stats = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = stats.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        let bids = source queue(bids)
            |> event_time(|&(t, _)| Timestamp::from_millis(t)) watermark 0s;
        let maxes = sql("SELECT window.end AS endtime, max(price) AS maxprice
                         FROM bids AS b(t, price) GROUP BY window(t, '10 seconds')");
        sql("SELECT b.t FROM bids AS b(t, price) JOIN maxes AS m ON b.price = m.maxprice
             AND b.t >= m.endtime - INTERVAL '10' SECOND AND b.t < m.endtime")
            |> collect(out)
    };
    p.on_batch_completed(move |info| seen.lock().unwrap().push(info.state.clone()));
    p.run_batches(1).unwrap();
    let stats = stats.lock().unwrap();
    let state = stats.last().cloned().unwrap_or_default();
    let rows: u64 = state.iter().map(|(_, s)| s.rows).sum();
    assert_eq!(rows, 1, "{state:?}");
    assert!(out.batches().iter().all(|(_, b)| b.is_empty()));
}

/// `(milliseconds, key, price)`: keys and prices from small ranges, and NULL.
type KeyedBid = (i64, Option<i64>, Option<i64>);

/// `(window start, group's key, price, time)` for each bid and each group of its
/// `length` ms window whose MAX it equals: of its own key's group alone (`own`; a NULL key
/// meets no group), or of any group (NULL keys making a group, as GROUP BY has them).
fn keyed_rows_at_max(
    bids: &[KeyedBid],
    length: i64,
    own: bool,
    open: i64,
) -> Vec<(i64, i64, i64, i64)> {
    let start_of = |t: i64| t.div_euclid(length) * length;
    let mut groups: Vec<(i64, Option<i64>)> =
        bids.iter().map(|&(t, k, _)| (start_of(t), k)).collect();
    groups.sort();
    groups.dedup();
    let mut out = Vec::new();
    for (start, key) in groups.into_iter().filter(|&(s, _)| s != start_of(open)) {
        let in_group = |&&(t, k, _): &&KeyedBid| start_of(t) == start && k == key;
        let Some(max) = bids
            .iter()
            .filter(in_group)
            .filter_map(|&(_, _, p)| p)
            .max()
        else {
            continue;
        };
        for &(t, k, p) in bids {
            let meets =
                start_of(t) == start && p == Some(max) && (!own || (k.is_some() && k == key));
            if meets {
                out.push((start, key.unwrap_or(-1), max, t));
            }
        }
    }
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Grouped by a key besides the window, the join back onto each group's MAX is
    /// lowered to the rows at it when ON equates the key too; without the key in ON, a
    /// bid meets the maximum of every group of its window that it equals, and the join is
    /// made as written.
    #[test]
    fn a_join_back_onto_each_keys_windowed_maximum_gives_the_rows_at_it(
        steps in proptest::collection::vec(
            proptest::collection::vec(
                (0usize..4, (prop::option::weighted(0.8, 0i64..3), prop::option::weighted(0.8, 0i64..3))),
                0..6,
            ),
            1..8,
        ),
    ) {
        let batches: Vec<Vec<KeyedBid>> = at_times(&steps, |t, &(k, p)| (t, k, p), (OPEN, None, None));
        let bids: Vec<KeyedBid> = batches.iter().flatten().copied().collect();
        let outs = [Collector::new(), Collector::new()];
        let [own, any] = outs.clone();
        let input = batches.clone();
        let mut p = stream_pipeline! {
            batch 1s;
            let bids = source queue(input)
                |> event_time(|&(t, _, _)| Timestamp::from_millis(t)) watermark 0s;
            let maxes = sql("SELECT k, window.end AS e, max(price) AS top
                             FROM bids AS b(t, k, price) GROUP BY window(t, '3 seconds'), k");
            sql("SELECT m.e, m.k, b.price, b.t FROM bids AS b(t, k, price) JOIN maxes AS m
                 ON b.price = m.top AND m.k = b.k AND b.t >= m.e - INTERVAL '3' SECOND AND b.t < m.e")
                |> map |r| (r.e.map_or(0, |e| e.as_millis() - 3_000), r.k.unwrap_or(-1), r.price.unwrap_or(-1), r.t.unwrap_or(-1))
                |> collect(own);
            sql("SELECT m.e, m.k, b.price, b.t FROM bids AS b(t, k, price) JOIN maxes AS m
                 ON b.price = m.top AND b.t >= m.e - INTERVAL '3' SECOND AND b.t < m.e")
                |> map |r| (r.e.map_or(0, |e| e.as_millis() - 3_000), r.k.unwrap_or(-1), r.price.unwrap_or(-1), r.t.unwrap_or(-1))
                |> collect(any)
        };
        p.run_batches(batches.len() as u64).unwrap();
        let all = |c: &Collector<(i64, i64, i64, i64)>| {
            let mut v: Vec<_> = c.batches().into_iter().flat_map(|(_, b)| b).collect();
            v.sort();
            v
        };
        prop_assert_eq!(all(&outs[0]), keyed_rows_at_max(&bids, 3_000, true, OPEN));
        prop_assert_eq!(all(&outs[1]), keyed_rows_at_max(&bids, 3_000, false, OPEN));
    }
}
