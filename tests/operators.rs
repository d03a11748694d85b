//! Every per-batch operator through `queue` + `run_batches` + `collect`, including empty
//! batches (a stage runs on every batch).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use streaming::prelude::*;

mod common;
use common::*;

fn t(k: u64) -> BatchTime {
    BatchTime::from_millis(k * 1000)
}

/// Each batch's elements, sorted, for operators whose order within a batch is unspecified.

#[test]
fn map_filter_flat_map_fuse_and_keep_order() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a b", "", "c d e"], vec![], vec!["f"]])
            |> flat_map split
            |> map |w| w.to_uppercase()
            |> filter |w| w != "D"
            |> collect(out)
    };
    p.run_batches(4).unwrap();
    let b = out.batches();
    assert_eq!(
        b.iter().map(|(time, _)| *time).collect::<Vec<_>>(),
        [t(1), t(2), t(3), t(4)]
    );
    assert_eq!(b[0].1, [s("A"), s("B"), s("C"), s("E")]);
    assert!(b[1].1.is_empty());
    assert_eq!(b[2].1, [s("F")]);
    assert!(
        b[3].1.is_empty(),
        "batches after the queue ran out are empty"
    );
}

#[test]
fn three_argument_forms() {
    fn shout(s: &str) -> String {
        format!("{s}!")
    }
    fn is_long(s: &str) -> bool {
        s.len() > 2
    }
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["ab,cd", "xyz"]])
            |> flat_map split(",")
            |> filter(is_long)
            |> map(shout)
            |> map to_lowercase
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(out.batches()[0].1, [s("xyz!")]);
}

#[test]
fn method_shorthands_work_on_owned_strings() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["Hello World", "a;b"]])
            |> map to_lowercase
            |> flat_map split
            |> flat_map split(';')
            |> filter starts_with("h")
            |> collect(out)
    };
    p.run_batches(1).unwrap();
    assert_eq!(out.batches()[0].1, [s("hello")]);
}

#[test]
fn map_values_and_flat_map_values() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![("a", 2), ("b", 0)], vec![]])
            |> map_values |v| v * 10
            |> flat_map_values |v| (0..2).map(move |i| v + i)
            |> collect(out)
    };
    p.run_batches(2).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [(s("a"), 20), (s("a"), 21), (s("b"), 0), (s("b"), 1)]
    );
    assert!(out.batches()[1].1.is_empty());
}

#[test]
fn count_is_zero_on_empty_batches() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 500ms;
        source queue(vec![vec![1, 2, 3], vec![]])
            |> count
            |> collect(out)
    };
    p.run_batches(3).unwrap();
    let b = out.batches();
    assert_eq!(
        b,
        vec![
            (BatchTime::from_millis(500), vec![3]),
            (BatchTime::from_millis(1000), vec![0]),
            (BatchTime::from_millis(1500), vec![0])
        ]
    );
}

#[test]
fn reduce_is_empty_on_empty_batches() {
    let out = Collector::new();
    let maxes = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        let nums = source queue(vec![vec![1, 5, 3], vec![], vec![7]]);
        nums |> reduce(+) |> collect(out);
        nums |> reduce(|a, b| if a > b { a } else { b }) |> collect(maxes)
    };
    p.run_batches(3).unwrap();
    assert_eq!(sorted(&out), vec![vec![9], vec![], vec![7]]);
    assert_eq!(sorted(&maxes), vec![vec![5], vec![], vec![7]]);
}

#[test]
fn reduce_shorthands() {
    let (mins, maxs, prods) = (Collector::new(), Collector::new(), Collector::new());
    let mut p = stream_pipeline! {
        batch 1s;
        let xs = source queue(vec![vec![4.5, -1.0, 2.0]]);
        xs |> reduce(min) |> collect(mins);
        xs |> reduce(max) |> collect(maxs);
        xs |> reduce(*) |> collect(prods)
    };
    p.run_batches(1).unwrap();
    assert_eq!(mins.batches()[0].1, [-1.0]);
    assert_eq!(maxs.batches()[0].1, [4.5]);
    assert_eq!(prods.batches()[0].1, [-9.0]);
}

#[test]
fn count_by_value_counts_whole_elements() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["x", "y", "x"], vec![]])
            |> count_by_value
            |> collect(out)
    };
    p.run_batches(2).unwrap();
    assert_eq!(sorted(&out), vec![vec![(s("x"), 2), (s("y"), 1)], vec![]]);
}

#[test]
fn reduce_by_key_on_pairs_and_bare_elements() {
    let (pairs, bare) = (Collector::new(), Collector::new());
    let mut p = stream_pipeline! {
        batch 1s;
        let words = source queue(vec![vec!["#a x #b #a"], vec![]]) |> flat_map split;
        words |> map |w| (w, 2) |> reduce_by_key(+) |> collect(pairs);
        words |> filter starts_with("#") |> reduce_by_key(+) |> collect(bare)
    };
    p.run_batches(2).unwrap();
    assert_eq!(
        sorted(&pairs),
        vec![vec![(s("#a"), 4), (s("#b"), 2), (s("x"), 2)], vec![]]
    );
    assert_eq!(
        sorted(&bare),
        vec![vec![(s("#a"), 2), (s("#b"), 1)], vec![]]
    );
}

#[test]
fn group_by_key_keeps_arrival_order() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![("k", 3), ("j", 1), ("k", 1)], vec![]])
            |> group_by_key
            |> map |(k, vs)| (k, vs.into_vec())
            |> collect(out)
    };
    p.run_batches(2).unwrap();
    assert_eq!(
        sorted(&out),
        vec![vec![(s("j"), vec![1]), (s("k"), vec![3, 1])], vec![]]
    );
}

#[test]
fn transform_sees_time_and_whole_batch() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 2s;
        source queue(vec![vec![3, 1, 2], vec![]])
            |> transform(|time, mut batch| {
                batch.sort();
                batch.push(time.milliseconds() as i32);
                batch
            })
            |> collect(out)
    };
    p.run_batches(2).unwrap();
    assert_eq!(out.batches()[0].1, [1, 2, 3, 2000]);
    assert_eq!(out.batches()[1].1, [4000]);
}

#[test]
fn sorts() {
    let (desc, asc, by_key, by) = (
        Collector::new(),
        Collector::new(),
        Collector::new(),
        Collector::new(),
    );
    let mut p = stream_pipeline! {
        batch 1s;
        let pairs = source queue(vec![vec![("b", 2), ("a", 2), ("c", 9), ("d", 1)], vec![]]);
        pairs |> sort desc |> collect(desc);
        pairs |> sort |> collect(asc);
        pairs |> sort_by_key desc |> collect(by_key);
        pairs |> sort_by |(_, v)| *v desc |> collect(by)
    };
    p.run_batches(2).unwrap();
    assert_eq!(
        desc.batches()[0].1,
        [(s("c"), 9), (s("a"), 2), (s("b"), 2), (s("d"), 1)]
    );
    assert_eq!(
        asc.batches()[0].1,
        [(s("d"), 1), (s("a"), 2), (s("b"), 2), (s("c"), 9)]
    );
    assert_eq!(
        by_key.batches()[0].1,
        [(s("d"), 1), (s("c"), 9), (s("b"), 2), (s("a"), 2)]
    );
    // sort_by is stable: equal keys keep their input order (b before a).
    assert_eq!(
        by.batches()[0].1,
        [(s("c"), 9), (s("b"), 2), (s("a"), 2), (s("d"), 1)]
    );
    assert!(desc.batches()[1].1.is_empty());
}

#[test]
fn take_first_n() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![(0..10).collect::<Vec<i64>>(), vec![1]])
            |> take(3)
            |> collect(out)
    };
    p.run_batches(3).unwrap();
    assert_eq!(
        out.batches()
            .into_iter()
            .map(|(_, v)| v)
            .collect::<Vec<_>>(),
        vec![vec![0, 1, 2], vec![1], vec![]]
    );
}

#[test]
fn union_and_fan_out_compute_a_stream_once() {
    let calls = Arc::new(Mutex::new(0));
    let c2 = Arc::clone(&calls);
    let (all, evens) = (Collector::new(), Collector::new());
    let mut p = stream_pipeline! {
        batch 1s;
        let a = source queue(vec![vec![1, 2], vec![]]) |> map move |x| { *c2.lock().unwrap() += 1; x };
        let b = source queue(vec![vec![10], vec![20]]);
        a |> union(b) |> collect(all);
        a |> filter |x| x % 2 == 0 |> collect(evens)
    };
    p.run_batches(2).unwrap();
    assert_eq!(
        all.batches()
            .into_iter()
            .map(|(_, v)| v)
            .collect::<Vec<_>>(),
        vec![vec![1, 2, 10], vec![20]]
    );
    assert_eq!(evens.batches()[0].1, [2]);
    assert_eq!(
        *calls.lock().unwrap(),
        2,
        "a named stream used twice is computed once per batch"
    );
}

#[test]
fn print_shows_spark_layout() {
    let buf = OutputBuffer::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![("apple", 4), ("orange", 1)], vec![], (0..12).map(|i| ("k", i)).collect()])
            |> print(2)
    };
    p.print_to(buf.clone());
    p.run_batches(3).unwrap();
    let expected = "\
-------------------------------------------
Time: 1000 ms
-------------------------------------------
(apple,4)
(orange,1)

-------------------------------------------
Time: 2000 ms
-------------------------------------------

-------------------------------------------
Time: 3000 ms
-------------------------------------------
(k,0)
(k,1)
...

";
    assert_eq!(buf.contents(), expected);
}

#[test]
fn foreach_batch_gets_time_and_batch() {
    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    let seen2 = Arc::clone(&seen);
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a", "b"], vec![]])
            |> foreach_batch(move |time, batch| {
                seen2.lock().unwrap().insert(time.milliseconds(), batch.len());
            })
    };
    p.run_batches(2).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        BTreeMap::from([(1000, 2), (2000, 0)])
    );
}

#[test]
fn foreach_batch_error_stops_the_run() {
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![1]])
            |> foreach_batch(|_time, _batch| Err::<(), _>("disk full"))
    };
    let err = p.run_batches(1).unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
}

#[test]
fn save_as_text_files_writes_spark_layout() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("counts").display().to_string();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![("a", 1), ("b", 2)], vec![]])
            |> save_as_text_files(prefix, "txt")
    };
    p.run_batches(2).unwrap();
    let first = dir.path().join("counts-1000.txt");
    assert_eq!(
        std::fs::read_to_string(first.join("part-00000")).unwrap(),
        "(a,1)\n(b,2)\n"
    );
    assert!(first.join("_SUCCESS").exists());
    let second = dir.path().join("counts-2000.txt");
    assert_eq!(
        std::fs::read_to_string(second.join("part-00000")).unwrap(),
        ""
    );
}

#[test]
fn a_panicking_function_fails_the_batch_not_the_process() {
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["x"]])
            |> map |x: &str| -> i32 { x.parse().expect("not a number") }
            |> print
    };
    p.print_to(OutputBuffer::new());
    let err = p.run_batches(1).unwrap_err();
    assert!(err.to_string().contains("not a number"), "{err}");
}

#[test]
fn on_batch_completed_reports_every_batch_like_a_streaming_listener() {
    let infos = Arc::new(Mutex::new(Vec::<BatchInfo>::new()));
    let mut p = stream_pipeline! {
        batch 2s;
        source queue(vec![vec!["1", "2", "3"], vec![], vec!["x"]])
            |> map |x: &str| -> i32 { x.parse().expect("not a number") }
            |> print
    };
    p.print_to(OutputBuffer::new());
    let seen = Arc::clone(&infos);
    p.on_batch_completed(move |b| seen.lock().unwrap().push(b.clone()));
    p.run_batches(2).unwrap();
    assert!(p.run_batches(1).is_err());
    let infos = infos.lock().unwrap();
    let summary: Vec<_> = infos
        .iter()
        .map(|b| {
            (
                b.batch_time.milliseconds(),
                b.num_records,
                b.failure.is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [(2000, 3, false), (4000, 0, false), (6000, 1, true)]
    );
    assert!(
        infos[2]
            .failure
            .as_deref()
            .unwrap()
            .contains("not a number")
    );
    assert!(infos.iter().all(|b| b.total_delay() >= b.processing_delay));
}

/// `sort |> take(n)` and `sort |> print` select the first elements instead of sorting
/// everything: the result must be exactly the full sort's first `n`, ties included.
#[test]
fn sort_then_take_equals_the_first_n_of_the_full_sort() {
    // 5,000 pairs over 300 keys with many equal counts, in two batches.
    let pairs = |seed: u64| -> Vec<(String, i64)> {
        (0..5_000u64)
            .map(|i| {
                let x = (i * 2_654_435_761 + seed) % 1_000_003;
                (format!("k{}", x % 300), (x % 7) as i64)
            })
            .collect()
    };
    let batches = vec![pairs(1), pairs(2), vec![]];
    let full = Collector::new();
    let input = batches.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(input) |> reduce_by_key(+) |> sort desc |> collect(full)
    };
    p.run_batches(3).unwrap();
    for n in [0usize, 1, 10, 299, 300, 1000] {
        for threads in [1usize, 2] {
            let (by_value, by_key) = (Collector::new(), Collector::new());
            let (a, b) = (batches.clone(), batches.clone());
            let mut p = stream_pipeline! {
                batch 1s;
                parallelism { threads };
                source queue(a) |> reduce_by_key(+) |> sort desc |> take(n) |> collect(by_value);
                source queue(b) |> reduce_by_key(+) |> sort_by_key asc |> take(n) |> collect(by_key)
            };
            p.run_batches(3).unwrap();
            for ((_, got), (_, all)) in by_value.batches().iter().zip(full.batches()) {
                assert_eq!(got[..], all[..n.min(all.len())], "sort desc |> take({n})");
            }
            for (_, got) in by_key.batches() {
                let mut all = got.clone();
                all.sort();
                assert_eq!(got, all, "sort_by_key |> take({n}) is sorted");
                assert!(got.len() <= n);
            }
        }
    }
    // `print` shows the first 10 and "..." when there are more, as after a full sort.
    let shown = OutputBuffer::new();
    let input = batches.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(input) |> reduce_by_key(+) |> sort desc |> print
    };
    p.print_to(shown.clone());
    p.run_batches(1).unwrap();
    common::assert_prints_first_ten(&shown.contents(), &full.batches()[0].1);
}

#[test]
fn parallelism_gives_the_same_results() {
    let lines: Vec<String> = (0..50_000)
        .map(|i| format!("w{} w{} #t{}", i % 97, i % 13, i % 7))
        .collect();
    let run = |par: usize| {
        let out = Collector::new();
        let batch = lines.clone();
        let mut p = stream_pipeline! {
            batch 1s;
            parallelism { par };
            source queue(vec![batch])
                |> flat_map split
                |> filter starts_with("w")
                |> reduce_by_key(+)
                |> sort desc
                |> collect(out)
        };
        p.run_batches(1).unwrap();
        out.batches()
    };
    assert_eq!(run(1), run(4));
}

#[test]
fn fusion_off_gives_the_same_results() {
    let batches = vec![vec!["a b #x", "#x #y c"], vec![], vec!["#y"]];
    let (fused, unfused) = (Collector::new(), Collector::new());
    let b2 = batches.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(batches) |> flat_map split |> filter starts_with("#") |> map |w| (w, 1)
            |> reduce_by_key(+) |> sort desc |> collect(fused)
    };
    let mut q = stream_pipeline! {
        batch 1s;
        fusion off;
        source queue(b2) |> flat_map split |> filter starts_with("#") |> map |w| (w, 1)
            |> reduce_by_key(+) |> sort desc |> collect(unfused)
    };
    p.run_batches(3).unwrap();
    q.run_batches(3).unwrap();
    assert_eq!(fused.batches(), unfused.batches());
    assert_eq!(fused.batches()[0].1, [(s("#x"), 2), (s("#y"), 1)]);
}

#[test]
fn flat_map_split_over_owned_lines_borrows_the_words_from_the_batch() {
    let (words, fields) = (Collector::new(), Collector::new());
    let lines = vec![vec![s("to be or"), s("not to be")]];
    let csv = vec![vec![s("a,b"), s("b,c")]];
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(lines) |> flat_map split |> map |w| (w, 1) |> reduce_by_key(+) |> collect(words);
        source queue(csv) |> flat_map split(",") |> count_by_value |> collect(fields)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        sorted(&words),
        vec![vec![
            (s("be"), 2),
            (s("not"), 1),
            (s("or"), 1),
            (s("to"), 2)
        ]]
    );
    assert_eq!(
        sorted(&fields),
        vec![vec![(s("a"), 1), (s("b"), 2), (s("c"), 1)]]
    );
}

/// The card's `flat_map split |> filter starts_with("#")` is compiled into one scan that
/// jumps to each `#` (see streaming-macros' `rewrite`): it must give what the two stages
/// written as closures give, on text with every kind of Unicode whitespace.
#[test]
fn split_then_starts_with_gives_what_the_closures_give() {
    let lines: Vec<String> = (0..2_000)
        .map(|i| {
            let sep = [
                "\u{3000}", "\u{A0}", " ", "\u{2028}", "\t", "\u{85}", "\u{200B}",
            ][i % 7];
            format!(
                "a#x{sep}#t{}{sep}##{sep}#é{}\u{3000}#{sep}b #🦀 c#d",
                i % 13,
                i % 5
            )
        })
        .collect();
    let (fast, slow, chars) = (Collector::new(), Collector::new(), Collector::new());
    let (a, b, c) = (lines.clone(), lines.clone(), lines);
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![a]) |> flat_map split |> filter starts_with("#") |> reduce_by_key(+) |> collect(fast);
        source queue(vec![b]) |> flat_map |l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>()
            |> filter |w| w.starts_with("#") |> reduce_by_key(+) |> collect(slow);
        source queue(vec![c]) |> flat_map split |> filter starts_with('#') |> reduce_by_key(+) |> collect(chars)
    };
    p.run_batches(1).unwrap();
    assert_eq!(sorted(&fast), sorted(&slow));
    assert_eq!(sorted(&chars), sorted(&slow));
    assert!(sorted(&fast)[0].len() > 10);
}
