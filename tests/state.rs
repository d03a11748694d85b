//! `update_state_by_key` with Spark's semantics.

use std::sync::{Arc, Mutex};

use streaming::prelude::*;

mod common;
use common::*;

#[test]
fn running_totals_are_emitted_every_batch_including_empty_ones() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a b a"], vec![], vec!["b"]])
            |> flat_map split
            |> map |w| (w, 1)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0)))
            |> collect(out)
    };
    p.run_batches(4).unwrap();
    let s = |k: &str, n: i64| (k.to_string(), n);
    assert_eq!(
        sorted(&out),
        vec![
            vec![s("a", 2), s("b", 1)],
            vec![s("a", 2), s("b", 1)],
            vec![s("a", 2), s("b", 2)],
            vec![s("a", 2), s("b", 2)],
        ]
    );
}

#[test]
fn the_function_runs_for_keys_without_new_values_and_none_removes() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&calls);
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![("x", 1)], vec![], vec![]])
            |> update_state_by_key(|new: Vec<i32>, old: Option<i32>| {
                log.lock().unwrap().push((new.clone(), old));
                // A key lives for two batches without new data, then is removed.
                let age = if new.is_empty() { old.unwrap_or(0) + 1 } else { 0 };
                (age < 2).then_some(age)
            })
            |> collect(out)
    };
    p.run_batches(4).unwrap();
    assert_eq!(
        *calls.lock().unwrap(),
        vec![(vec![1], None), (vec![], Some(0)), (vec![], Some(1))]
    );
    assert_eq!(
        sorted(&out),
        vec![
            vec![("x".to_string(), 0)],
            vec![("x".to_string(), 1)],
            vec![],
            vec![]
        ]
    );
}

#[test]
fn initial_state_is_merged_into_the_first_batch() {
    let out = Collector::new();
    let initial = vec![("a".to_string(), 10i64), ("z".to_string(), 5)];
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a"]])
            |> map |w| (w.to_string(), 1i64)
            |> update_state_by_key(|new, old| Some(new.into_iter().sum::<i64>() + old.unwrap_or(0))) initial(initial)
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        sorted(&out),
        vec![vec![("a".to_string(), 11), ("z".to_string(), 5)]]
    );
}

#[test]
fn map_with_state_runs_per_record_and_times_out_keys() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a", "b", "a"], vec!["a"], vec![], vec![]])
            |> map |w| (w, 1i64)
            |> map_with_state(|word, one, state| {
                let total = state.get().copied().unwrap_or(0i64) + one.unwrap_or(0);
                if !state.is_timing_out() {
                    state.update(total);
                }
                (word.clone(), total, state.is_timing_out())
            }) timeout 2s
            |> collect(out)
    };
    p.run_batches(5).unwrap();
    let s = |k: &str, n: i64, t: bool| (k.to_string(), n, t);
    let batches: Vec<_> = out.batches().into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        batches[0],
        vec![s("a", 1, false), s("b", 1, false), s("a", 2, false)],
        "once per record, in order"
    );
    assert_eq!(batches[1], vec![s("a", 3, false)]);
    assert_eq!(
        batches[2],
        vec![s("b", 1, true)],
        "b idle since 1s times out at 3s with one last call"
    );
    assert_eq!(batches[3], vec![s("a", 3, true)]);
    assert!(batches[4].is_empty(), "timed-out keys are gone");
}
