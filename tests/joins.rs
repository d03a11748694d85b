//! Joins per batch between named streams, of windowed streams, and with `table(expr)`.

use std::collections::HashMap;

use streaming::prelude::*;

mod common;
use common::*;

#[test]
fn stream_joins_per_batch() {
    let (inner, left, right, full, cg) = (
        Collector::new(),
        Collector::new(),
        Collector::new(),
        Collector::new(),
        Collector::new(),
    );
    let mut p = stream_pipeline! {
        batch 1s;
        let clicks = source queue(vec![vec![("u1", 1), ("u2", 1)], vec![("u1", 1)]]);
        let users = source queue(vec![vec![("u1", "ann"), ("u3", "cy")], vec![]]);
        clicks |> join(users) |> collect(inner);
        clicks |> left_outer_join(users) |> collect(left);
        clicks |> right_outer_join(users) |> collect(right);
        clicks |> full_outer_join(users) |> collect(full);
        clicks |> cogroup(users) |> map |(k, (a, b))| (k, a.len(), b.len()) |> collect(cg)
    };
    p.run_batches(2).unwrap();
    assert_eq!(sorted(&inner), vec![vec![(s("u1"), (1, s("ann")))], vec![]]);
    assert_eq!(
        sorted(&left),
        vec![
            vec![(s("u1"), (1, Some(s("ann")))), (s("u2"), (1, None))],
            vec![(s("u1"), (1, None))]
        ]
    );
    assert_eq!(
        sorted(&right),
        vec![
            vec![(s("u1"), (Some(1), s("ann"))), (s("u3"), (None, s("cy")))],
            vec![]
        ]
    );
    assert_eq!(
        sorted(&full),
        vec![
            vec![
                (s("u1"), (Some(1), Some(s("ann")))),
                (s("u2"), (Some(1), None)),
                (s("u3"), (None, Some(s("cy"))))
            ],
            vec![(s("u1"), (Some(1), None))]
        ]
    );
    assert_eq!(
        sorted(&cg),
        vec![
            vec![(s("u1"), 1, 1), (s("u2"), 1, 0), (s("u3"), 0, 1)],
            vec![(s("u1"), 1, 0)]
        ]
    );
}

#[test]
fn happiest_words_join_a_static_table() {
    let afinn: HashMap<String, i32> = [("happy", 3), ("sad", -2), ("love", 3)]
        .into_iter()
        .map(|(w, n)| (w.to_string(), n))
        .collect();
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["happy happy sad day", "love"]])
            |> flat_map split
            |> reduce_by_key(+)
            |> join(table(afinn))
            |> map |(word, (count, score))| (word, count * score as i64)
            |> sort desc
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [(s("happy"), 6), (s("love"), 3), (s("sad"), -2)]
    );
}

#[test]
fn windowed_streams_join_window_by_window() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let a = source queue(vec![vec![("k", 1)], vec![("k", 2)]]) |> window(2s, 2s) reduce(+);
        let b = source queue(vec![vec![("k", 10)], vec![]]) |> window(2s, 2s) reduce(+);
        a |> join(b) |> collect(out)
    };
    p.run_batches(4).unwrap();
    assert_eq!(
        out.batches()
            .into_iter()
            .map(|(t, v)| (t.milliseconds(), v))
            .collect::<Vec<_>>(),
        vec![(2000, vec![(s("k"), (3, 10))]), (4000, vec![])]
    );
}
