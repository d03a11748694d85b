//! The word scans of `flat_map split` against `str::split_whitespace`, on book text (mostly
//! ASCII) and on tweets (emoji, other scripts): counting words, and counting words that
//! start with `#` (the card's `flat_map split |> filter starts_with("#")`, which the macro
//! compiles into `words_starting_with`).
//!
//! `cargo bench --bench words`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
// The scans the generated code calls, not API.
use streaming::__private::rt::words::{Prefix, words, words_starting_with};

mod common;

fn bench(c: &mut Criterion) {
    for (name, text) in [
        ("books", common::books_text()),
        ("tweets", common::tweets_text()),
    ] {
        let lines: Vec<&str> = text.lines().collect();
        let mut g = c.benchmark_group(format!("words_{name}"));
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function("std_split_whitespace", |b| {
            b.iter(|| {
                lines
                    .iter()
                    .map(|l| black_box(l).split_whitespace().count())
                    .sum::<usize>()
            })
        });
        g.bench_function("words", |b| {
            b.iter(|| {
                lines
                    .iter()
                    .map(|l| words(black_box(l)).count())
                    .sum::<usize>()
            })
        });
        g.bench_function("std_split_filter_hashtags", |b| {
            b.iter(|| {
                lines
                    .iter()
                    .map(|l| {
                        black_box(l)
                            .split_whitespace()
                            .filter(|w| w.starts_with('#'))
                            .count()
                    })
                    .sum::<usize>()
            })
        });
        let prefix = Prefix::new("#");
        g.bench_function("words_starting_with_hashtags", |b| {
            b.iter(|| {
                lines
                    .iter()
                    .map(|l| words_starting_with(black_box(l), &prefix).count())
                    .sum::<usize>()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
