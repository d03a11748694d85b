//! Pipelines written inside `macro_rules!` (tokens lose their spacing and literals arrive in
//! invisible groups there) parse like any other.

use streaming::prelude::*;

macro_rules! windowed_count {
    ($w:literal, $out:ident) => {
        stream_pipeline! {
            batch 1s;
            source queue(vec![vec!["a"], vec!["a", "b"]])
                |> window($w, 1s) reduce(+, -)
                |> sort desc
                |> collect($out)
        }
    };
}

#[test]
fn a_pipeline_inside_macro_rules() {
    let out = Collector::new();
    let mut p = windowed_count!(2s, out);
    p.run_batches(2).unwrap();
    assert_eq!(
        out.batches()[1].1,
        [("a".to_string(), 2), ("b".to_string(), 1)]
    );
}
