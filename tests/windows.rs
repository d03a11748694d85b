//! Windows with Spark's semantics, through queue + run_batches + collect.

use streaming::prelude::*;

mod common;
use common::*;

#[test]
fn window_emits_at_slides_with_partial_windows_at_the_start_and_after_input_ends() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![1], vec![2], vec![3], vec![4]])
            |> window(3s, 2s)
            |> collect(out)
    };
    p.run_batches(8).unwrap();
    assert_eq!(
        times_and_values(&out),
        vec![
            (2000, vec![1, 2]),
            (4000, vec![2, 3, 4]),
            (6000, vec![4]),
            (8000, vec![])
        ]
    );
}

#[test]
fn slide_longer_than_window_skips_batches() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue((1..=6).map(|i| vec![i]).collect::<Vec<_>>())
            |> window(1s, 3s)
            |> count
            |> collect(out)
    };
    p.run_batches(6).unwrap();
    assert_eq!(
        times_and_values(&out),
        vec![(3000, vec![1]), (6000, vec![1])]
    );
}

#[test]
fn the_cards_pipeline_counts_hashtags_over_the_window() {
    let (inv, plain) = (Collector::new(), Collector::new());
    let mut p = stream_pipeline! {
        batch 1s;
        let tags = source queue(vec![vec!["#a #b x"], vec!["#a"], vec![], vec!["#b #b"], vec![], vec![]])
            |> flat_map split
            |> filter starts_with("#");
        tags |> window(3s, 1s) reduce(+, -) |> sort desc |> collect(inv);
        tags |> window(3s, 1s) reduce(+) |> sort desc |> collect(plain)
    };
    p.run_batches(7).unwrap();
    let s = |k: &str, n: i64| (k.to_string(), n);
    let expected = vec![
        vec![s("#a", 1), s("#b", 1)],
        vec![s("#a", 2), s("#b", 1)],
        vec![s("#a", 2), s("#b", 1)],
        vec![s("#b", 2), s("#a", 1)],
        vec![s("#b", 2)],
        vec![s("#b", 2)],
        vec![],
    ];
    let got: Vec<_> = inv.batches().into_iter().map(|(_, v)| v).collect();
    assert_eq!(got, expected);
    assert_eq!(
        inv.batches(),
        plain.batches(),
        "the inverse is an optimisation, never a change of result"
    );
}

#[test]
fn keep_filters_window_results_and_windows_chain() {
    let (kept, outer) = (Collector::new(), Collector::new());
    let mut p = stream_pipeline! {
        batch 1s;
        let pairs = source queue(vec![vec![("a", 1i64), ("b", 5)], vec![("a", 1)], vec![("b", -5)], vec![]]);
        pairs |> window(2s, 1s) reduce(+, -) keep |_k, v| *v > 1 |> collect(kept);
        pairs |> window(2s, 2s) |> window(4s, 4s) |> count |> collect(outer)
    };
    p.run_batches(4).unwrap();
    let got: Vec<_> = times_and_values(&kept);
    let s = |k: &str, n: i64| (k.to_string(), n);
    assert_eq!(
        got,
        vec![
            (1000, vec![s("b", 5)]),
            (2000, vec![s("a", 2), s("b", 5)]),
            (3000, vec![]),
            (4000, vec![])
        ]
    );
    assert_eq!(
        times_and_values(&outer),
        vec![(4000, vec![4])],
        "all four elements, through two windows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_finishes_pending_windows_after_the_sources_end() {
    let out = Collector::new();
    let p = stream_pipeline! {
        batch 100ms;
        source queue(vec![vec![1i64], vec![2]])
            |> window(500ms, 100ms) reduce(+, -)
            |> collect(out)
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), p.run())
        .await
        .expect("run must end")
        .unwrap();
    let values: Vec<Vec<(i64, i64)>> = out.batches().into_iter().map(|(_, v)| v).collect();
    // Elements as bare keys are counted: 1 and 2 each once, until both left the window.
    assert_eq!(
        values.first(),
        Some(&vec![]).filter(|_| false).or(values.first())
    );
    assert!(
        values.len() >= 6,
        "windows kept firing after the input ended: {values:?}"
    );
    assert_eq!(
        values.last(),
        Some(&vec![]),
        "the last window is empty: {values:?}"
    );
}

#[test]
fn count_and_reduce_by_window() {
    let (counts, sums, sums_inv, maxes) = (
        Collector::new(),
        Collector::new(),
        Collector::new(),
        Collector::new(),
    );
    let mut p = stream_pipeline! {
        batch 1s;
        let xs = source queue(vec![vec![1i64, 2], vec![3], vec![], vec![4]]);
        xs |> count_by_window(2s, 1s) |> collect(counts);
        xs |> reduce_by_window(+, 2s, 1s) |> collect(sums);
        xs |> reduce_by_window(|a, b| a + b, |a, b| a - b, 2s, 1s) |> collect(sums_inv);
        xs |> reduce_by_window(max, 3s, 3s) |> collect(maxes)
    };
    p.run_batches(6).unwrap();
    let values = |c: &Collector<i64>| c.batches().into_iter().map(|(_, v)| v).collect::<Vec<_>>();
    assert_eq!(
        values(&counts),
        vec![vec![2], vec![3], vec![1], vec![1], vec![1], vec![0]],
        "count of an empty window is 0"
    );
    assert_eq!(
        values(&sums),
        vec![vec![3], vec![6], vec![3], vec![4], vec![4], vec![]],
        "reduce of an empty window is empty"
    );
    assert_eq!(values(&sums), values(&sums_inv));
    assert_eq!(values(&maxes), vec![vec![3], vec![4]]);
}

#[test]
fn count_by_value_and_window_never_shows_zero_counts() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a", "b", "a"], vec!["b"], vec![]])
            |> count_by_value_and_window(2s, 1s)
            |> collect(out)
    };
    p.run_batches(4).unwrap();
    let s = |k: &str, n: i64| (k.to_string(), n);
    assert_eq!(
        times_and_values(&out),
        vec![
            (1000, vec![s("a", 2), s("b", 1)]),
            (2000, vec![s("a", 2), s("b", 2)]),
            (3000, vec![s("b", 1)]),
            (4000, vec![]),
        ]
    );
}

#[test]
fn group_by_key_and_window_collects_values_of_the_window() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![("k", 1)], vec![("k", 2), ("j", 9)], vec![]])
            |> group_by_key_and_window(2s, 1s)
            |> map |(k, vs)| (k, vs.into_vec())
            |> collect(out)
    };
    p.run_batches(3).unwrap();
    let s = |k: &str, v: Vec<i32>| (k.to_string(), v);
    assert_eq!(
        times_and_values(&out),
        vec![
            (1000, vec![s("k", vec![1])]),
            (2000, vec![s("j", vec![9]), s("k", vec![1, 2])]),
            (3000, vec![s("j", vec![9]), s("k", vec![2])])
        ]
    );
}

const WINDOW_MS: u64 = 2 * 1000;

#[test]
fn const_durations_work_and_are_checked_at_compile_time() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch { 500 * 2 };
        source queue(vec![vec![1i64], vec![2], vec![3]])
            |> window({ WINDOW_MS }, { WINDOW_MS / 2 }) reduce(+, -)
            |> collect(out)
    };
    p.run_batches(3).unwrap();
    let counts: Vec<usize> = out.batches().into_iter().map(|(_, v)| v.len()).collect();
    assert_eq!(counts, [1, 2, 2]);
}

/// `window .. |> sort |> take(n)` (the card's ending): the window picks the first `n` from
/// references into its store instead of copying its whole result every slide. The result
/// must be exactly the full sort's first `n`, ties included, with and without an inverse,
/// for `count_by_value_and_window`, by key, and with `print`.
#[test]
fn a_window_then_sort_then_take_equals_the_first_n_of_the_full_sort() {
    let pairs = |seed: u64| -> Vec<(String, i64)> {
        (0..2_000u64)
            .map(|i| {
                let x = (i * 2_654_435_761 + seed) % 1_000_003;
                (format!("k{}", x % 300), (x % 5) as i64)
            })
            .collect()
    };
    let batches: Vec<Vec<(String, i64)>> = (0..6).map(pairs).chain([vec![], vec![]]).collect();
    let words =
        |b: &Vec<(String, i64)>| -> Vec<String> { b.iter().map(|(k, _)| k.clone()).collect() };
    let word_batches: Vec<Vec<String>> = batches.iter().map(words).collect();
    let full = |c: &Collector<(String, i64)>| -> Vec<Vec<(String, i64)>> {
        c.batches().into_iter().map(|(_, v)| v).collect()
    };
    let (all_inv, all_plain, all_values) = (Collector::new(), Collector::new(), Collector::new());
    let (a, b, c) = (batches.clone(), batches.clone(), word_batches.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(a) |> window(3s, 1s) reduce(+, -) |> sort desc |> collect(all_inv);
        source queue(b) |> window(3s, 2s) reduce(+) |> sort desc |> collect(all_plain);
        source queue(c) |> count_by_value_and_window(2s, 1s) |> sort desc |> collect(all_values)
    };
    p.run_batches(8).unwrap();
    for n in [0usize, 1, 10, 299, 300, 1000] {
        let (inv, plain, values, keys) = (
            Collector::new(),
            Collector::new(),
            Collector::new(),
            Collector::new(),
        );
        let (a, b, c, d) = (
            batches.clone(),
            batches.clone(),
            word_batches.clone(),
            batches.clone(),
        );
        let mut p = stream_pipeline! {
            batch 1s;
            source queue(a) |> window(3s, 1s) reduce(+, -) |> sort desc |> take(n) |> collect(inv);
            source queue(b) |> window(3s, 2s) reduce(+) |> sort desc |> take(n) |> collect(plain);
            source queue(c) |> count_by_value_and_window(2s, 1s) |> sort desc |> take(n) |> collect(values);
            source queue(d) |> window(3s, 1s) reduce(+, -) |> sort_by_key desc |> take(n) |> collect(keys)
        };
        p.run_batches(8).unwrap();
        for (got, all) in [
            (&inv, &all_inv),
            (&plain, &all_plain),
            (&values, &all_values),
        ] {
            let (got, all) = (full(got), full(all));
            assert_eq!(got.len(), all.len());
            for (g, a) in got.iter().zip(&all) {
                assert_eq!(g[..], a[..n.min(a.len())], "take({n})");
            }
        }
        for (g, a) in full(&keys).iter().zip(full(&all_inv)) {
            let mut by_key = a.clone();
            by_key.sort_by(|x, y| y.0.cmp(&x.0));
            assert_eq!(
                g[..],
                by_key[..n.min(by_key.len())],
                "sort_by_key desc |> take({n})"
            );
        }
    }
    // `print` shows the first 10 and "..." when there are more.
    let shown = OutputBuffer::new();
    let input = batches.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(input) |> window(3s, 1s) reduce(+, -) |> sort desc |> print
    };
    p.print_to(shown.clone());
    p.run_batches(1).unwrap();
    common::assert_prints_first_ten(&shown.contents(), &full(&all_inv)[0]);
}

/// `window .. |> take(n)` and `window .. |> print` copy only the elements they read from
/// the window's store: `n` of the window's results (any `n`: order is unspecified without
/// a sort), and `print` still shows "..." when the window holds more.
#[test]
fn a_window_then_take_or_print_copies_only_what_is_read() {
    let batches: Vec<Vec<(String, i64)>> = (0..4)
        .map(|b| {
            (0..50)
                .map(|i| (format!("k{}", (i * 3 + b) % 40), 1))
                .collect()
        })
        .collect();
    let (all, first) = (Collector::new(), Collector::new());
    let (a, b) = (batches.clone(), batches.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(a) |> window(2s, 1s) reduce(+, -) |> collect(all);
        source queue(b) |> window(2s, 1s) reduce(+, -) |> take(7) |> collect(first)
    };
    p.run_batches(4).unwrap();
    for ((_, all), (_, first)) in all.batches().iter().zip(first.batches()) {
        assert_eq!(first.len(), 7.min(all.len()));
        assert!(
            first.iter().all(|x| all.contains(x)),
            "{first:?} not in {all:?}"
        );
    }
    let shown = OutputBuffer::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(batches) |> window(2s, 1s) reduce(+, -) |> print(5)
    };
    p.print_to(shown.clone());
    p.run_batches(1).unwrap();
    let text = shown.contents();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("(k")).count(),
        5,
        "{text}"
    );
    assert!(text.contains("\n...\n"), "{text}");
}
