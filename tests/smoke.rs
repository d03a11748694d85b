use streaming::*;

#[test]
fn word_count_from_queue() {
    let out = Collector::new();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a b a", "c"], vec![], vec!["b"]])
            |> flat_map split
            |> map |w| (w, 1)
            |> reduce_by_key(+)
            |> sort desc
            |> collect(out)
    };
    p.run_batches(3).unwrap();
    let b = out.batches();
    assert_eq!(b.len(), 3);
    assert_eq!(
        b[0].1,
        vec![
            ("a".to_string(), 2),
            ("b".to_string(), 1),
            ("c".to_string(), 1)
        ]
    );
    assert!(b[1].1.is_empty());
    assert_eq!(b[2].0, BatchTime::from_millis(3000));
}
