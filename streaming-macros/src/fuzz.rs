//! The macro never panics, whatever it is given: a property test feeding the layers behind
//! the proc-macro boundary ([`crate::expand`]: parse → check → plan → codegen) arbitrary
//! token streams built from the DSL's own vocabulary, and near-valid pipelines (valid ones
//! with tokens deleted, repeated, swapped or replaced). Every input must expand to code
//! (the pipeline, or its errors), never a panic.
//!
//! `cargo test -p streaming-macros fuzz` runs a short pass (CI); a long run:
//! `PROPTEST_CASES=2000000 cargo test --release -p streaming-macros fuzz`.

use std::str::FromStr;

use proc_macro2::TokenStream;
use proptest::prelude::*;

/// Pieces of pipeline text: keywords, operators, sources, punctuation, literals, closures.
#[rustfmt::skip] // a table: one word per line would make it 100 lines long
const VOCABULARY: &[&str] = &[
    "batch", "1s", "500ms", "0s", "2m", "parallelism", "2", "fusion", "off", "on", "backpressure", "initial_rate",
    "checkpoint", "\"dir\"", "every", "wal", "ui", "\"127.0.0.1:0\"", "source", "socket", "(\"h\", 9)", "stdin",
    "text_files", "object_files", "queue", "(v)", "receiver", "kafka", "(\"b\", \"t\")", "kafka_task",
    "(task)", "let", "x", "=", "|>", "|", ">", ";", ",", "(", ")", "{", "}", "[", "]", "map",
    "filter", "flat_map", "split", "starts_with", "(\"#\")", "reduce_by_key", "(+)", "(+, -)",
    "count", "count_by_value", "window", "(300s, 1s)", "(7s, 2s)", "(0s, 1s)", "reduce",
    "keep", "sort", "desc", "asc", "sort_by_key", "sort_by", "take", "(10)", "print",
    "print(3)", "collect", "(out)", "foreach_batch", "(|t, b| {})", "update_state_by_key",
    "(|n, o| o)", "map_with_state", "join", "(x)", "table", "group_by_key",
    "reduce_by_window", "count_by_window", "group_by_key_and_window", "save_as_text_files", "save_as_object_files",
    "(\"p\")", "save_to_kafka", ".option(\"a\", \"b\")", ".json()", "|w|", "(w, 1)", "w",
    "initial", "timeout", "30m", "by", "1", "-1", "\"s\"", "'c'", "::", ".", "#", "+", "-",
    "*", "&", "!", "?", "@", "parse", "json", "csv", "::<", "<", "Event", "Event<'_>", "header",
    "permissive", "dropmalformed", "failfast", "malformed", "(bad)", "bad",
];

/// Valid pipelines to mutate.
const SEEDS: &[&str] = &[
    "batch 1s; source socket(\"localhost\", 9999) |> flat_map split |> filter starts_with(\"#\") |> window(300s, 1s) reduce(+, -) |> sort desc |> print",
    "batch 2s; parallelism 2; backpressure on initial_rate 100; let w = source stdin |> flat_map split; w |> map |x| (x, 1) |> reduce_by_key(+) |> print; w |> count |> print",
    "batch 1s; checkpoint \"cp\" every 2s; source queue(v) |> map |w| (w, 1i64) |> update_state_by_key(|n, o| Some(n.len() as i64 + o.unwrap_or(0))) |> sort_by_key |> print(5)",
    "batch 1s; fusion off; let a = source queue(v) |> map |w| (w, 1); let b = source queue(u) |> map |w| (w, 2); a |> join(b) |> print",
    "batch 1s; source text_files(\"in\") |> flat_map split |> count_by_value |> sort desc |> take(10) |> foreach_batch(|t, b| { let _ = (t, b); })",
    "batch 1s; source queue(v) |> parse json::<Event<'_>> malformed(bad) |> map |e| e.n |> print; bad |> print",
    "batch 1s; source text_files(\"in\") |> parse csv::<(String, u32)> header failfast |> count |> print",
    "batch 1s; let t = source socket(\"h\", 1) |> flat_map split; t |> window(4s, 2s) |> window(8s, 4s) |> print; t |> count_by_window(6s, 2s) |> print",
];

/// A pipeline text that does not lex as Rust tokens is not something the macro can be
/// given (rustc rejects it first).
fn tokens(text: &str) -> Option<TokenStream> {
    TokenStream::from_str(text).ok()
}

fn expands_without_panicking(text: &str) -> Result<(), TestCaseError> {
    let Some(input) = tokens(text) else {
        return Ok(());
    };
    let result = std::panic::catch_unwind(|| crate::expand(input).to_string());
    prop_assert!(result.is_ok(), "the macro panicked on: {text}");
    Ok(())
}

/// Token streams of `n` words drawn from the vocabulary.
fn arbitrary_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..40).prop_map(|w| w.join(" "))
}

/// A seed pipeline with a few edits (delete, repeat, swap, replace a word).
fn near_valid_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(SEEDS),
        prop::collection::vec(
            (
                0usize..4,
                any::<prop::sample::Index>(),
                any::<prop::sample::Index>(),
                prop::sample::select(VOCABULARY),
            ),
            1..4,
        ),
    )
        .prop_map(|(seed, edits)| {
            let mut words: Vec<String> = seed.split(' ').map(String::from).collect();
            for (kind, at, other, word) in edits {
                if words.is_empty() {
                    break;
                }
                let (i, j) = (at.index(words.len()), other.index(words.len()));
                match kind {
                    0 => {
                        words.remove(i);
                    }
                    1 => {
                        let w = words[i].clone();
                        words.insert(i, w);
                    }
                    2 => words.swap(i, j),
                    _ => words[i] = word.to_string(),
                }
            }
            words.join(" ")
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Short by default (CI); PROPTEST_CASES raises it for a long run.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn fuzz_arbitrary_token_streams_get_errors_not_panics(text in arbitrary_text()) {
        expands_without_panicking(&text)?;
    }

    #[test]
    fn fuzz_near_valid_pipelines_get_errors_not_panics(text in near_valid_text()) {
        expands_without_panicking(&text)?;
    }
}

#[test]
fn fuzz_seeds_are_valid() {
    for seed in SEEDS {
        let out = crate::expand(tokens(seed).expect("a seed lexes")).to_string();
        assert!(!out.contains("compile_error"), "{seed}\n{out}");
    }
}
