//! Windows against a naive oracle that recomputes every window from the raw batches, for
//! random inputs and random batch / window / slide combinations (windowed output
//! at `t = k·S` over the batches in `(t − W, t]`, partial at the start; the inverse form
//! equals the plain one).

use std::collections::BTreeMap;

use proptest::prelude::*;
use streaming_runtime::BatchTime;
use streaming_runtime::window::{KeyedWindow, WindowBuffer, WindowSpec};

/// Per batch: (key, value) pairs over a few keys so that keys come and go.
fn batches() -> impl Strategy<Value = Vec<Vec<(u8, i64)>>> {
    prop::collection::vec(prop::collection::vec((0u8..4, -3i64..10), 0..5), 1..30)
}

/// (batch interval, window length, slide) in ms, window and slide multiples of the batch.
fn spec() -> impl Strategy<Value = (u64, u64, u64)> {
    (
        prop::sample::select(vec![100u64, 500, 1000]),
        1u64..7,
        1u64..5,
    )
        .prop_map(|(b, w, s)| (b, w * b, s * b))
}

/// The batches whose time lies in `(t − W, t]` (batch k has time k·interval).
fn in_window(batches: &[Vec<(u8, i64)>], interval: u64, w: u64, t: u64) -> Vec<(u8, i64)> {
    batches
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let bt = (*i as u64 + 1) * interval;
            bt + w > t && bt <= t
        })
        .flat_map(|(_, b)| b.iter().copied())
        .collect()
}

fn sum_by_key(xs: &[(u8, i64)]) -> BTreeMap<u8, i64> {
    let mut m = BTreeMap::new();
    for &(k, v) in xs {
        *m.entry(k).or_insert(0) += v;
    }
    m
}

proptest! {
    #[test]
    fn window_reduce_with_and_without_inverse_equal_the_oracle((interval, w, s) in spec(), input in batches()) {
        let spec = WindowSpec::new(w, s, interval).unwrap();
        let mut plain = KeyedWindow::new(spec, BatchTime::ZERO, false);
        let mut inc = KeyedWindow::new(spec, BatchTime::ZERO, true);
        let mut elements = WindowBuffer::new(spec, BatchTime::ZERO);
        // Run past the input so windows drain.
        // Long enough for every pane holding data to leave: a window and a slide.
        let total = input.len() as u64 + (w + s) / interval + 2;
        for k in 1..=total {
            let t = k * interval;
            let batch = input.get(k as usize - 1).cloned().unwrap_or_default();
            let add = |a: i64, b: i64| a + b;
            let p = plain.push(BatchTime::from_millis(t), sum_by_key(&batch), add, None::<fn(i64, i64) -> i64>);
            let i = inc.push(BatchTime::from_millis(t), sum_by_key(&batch), add, Some(|a: i64, b: i64| a - b));
            let e = elements.push(BatchTime::from_millis(t), batch.clone());
            let fires = t % s == 0;
            prop_assert_eq!(p.is_some(), fires);
            prop_assert_eq!(i.is_some(), fires);
            prop_assert_eq!(e.is_some(), fires);
            if fires {
                let expected_elements = in_window(&input, interval, w, t);
                let expected = sum_by_key(&expected_elements);
                let p: BTreeMap<u8, i64> = p.unwrap().into_iter().map(|(k, v)| (*k, v)).collect();
                let i: BTreeMap<u8, i64> = i.unwrap().into_iter().map(|(k, v)| (*k, v)).collect();
                prop_assert_eq!(&p, &expected, "plain at t={}", t);
                prop_assert_eq!(&i, &expected, "inverse at t={}", t);
                prop_assert_eq!(e.unwrap(), expected_elements, "elements at t={}", t);
            }
        }
        prop_assert_eq!(inc.keys_held(), 0);
    }
}
