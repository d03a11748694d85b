//! No allocation per record on the hot path for keys already seen: a batch of
//! 100,000 lines costs (almost) the same number of allocations as one of 1,000 lines over
//! the same keys, through a fused chain, a keyed reduction and an incremental window —
//! whether the lines are borrowed (`&str`, as line sources give them) or owned `String`s
//! (a `queue`, a custom receiver, Kafka payloads): `flat_map split` borrows the words from
//! the batch either way.
//!
//! Nor per key of a window at each slide: the stages after a keyed window read its keys by
//! reference, so a slide over 20,000 keys allocates as little as one over 50.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use streaming::prelude::*;

struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Lines over 50 hashtags, borrowed for the whole test like a line source's buffer.
fn lines(n: usize) -> Vec<&'static str> {
    let text: String = (0..n)
        .map(|i| format!("some words #tag{} more #t{}\n", i % 50, i % 7))
        .collect();
    Box::leak(text.into_boxed_str()).lines().collect()
}

/// Allocations made by the last of `batches` (the first three warm up: keys seen, window
/// stores sized). A macro, to run the same pipeline over batches of `&str` and `String`.
macro_rules! allocations_of_last_batch {
    ($batches:expr) => {{
        let batches = $batches;
        let mut p = stream_pipeline! {
            batch 1s;
            parallelism 1;
            let tags = source queue(batches)
                |> flat_map split
                |> filter starts_with("#");
            tags |> reduce_by_key(+) |> foreach_batch(|_t, counts| { black_box(counts); });
            tags |> window(3s, 1s) reduce(+, -) |> foreach_batch(|_t, counts| { black_box(counts); })
        };
        p.run_batches(3).unwrap();
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        p.run_batches(1).unwrap();
        ALLOCATIONS.load(Ordering::Relaxed) - before
    }};
}

/// Three warm-up batches of 1,000 lines, then one of `n` lines, each line made by `line`.
fn batches<L>(n: usize, line: impl Fn(&'static str) -> L) -> Vec<Vec<L>> {
    let warm = lines(1000);
    let mut all: Vec<Vec<L>> = (0..3)
        .map(|_| warm.iter().map(|l| line(l)).collect())
        .collect();
    all.push(lines(n).into_iter().map(line).collect());
    all
}

/// Allocations of the batch after three of `keys` distinct words each, a batch of one word
/// that ends a slide of a window with stages after it: the window still holds the `keys`
/// keys of the batches before, and the stages read them all. With an inverse
/// (`reduce(+, -)`: a running result) or without (combined from the panes each slide).
macro_rules! allocations_of_a_slide {
    ($keys:expr, $($reduce:tt)*) => {{
        let text: String = (0..20_000).map(|i| format!("k{}\n", i % $keys)).collect();
        let lines: Vec<&'static str> = Box::leak(text.into_boxed_str()).lines().collect();
        let batches = vec![lines.clone(), lines.clone(), lines, vec!["k0"]];
        let mut p = stream_pipeline! {
            batch 1s;
            parallelism 1;
            source queue(batches)
                |> flat_map split
                |> window(3s, 1s) $($reduce)*
                |> map |(k, n)| (k, n * 2)
                |> filter |(k, _)| k.len() > 1
                |> foreach_batch(|_t, counts| { black_box(counts); })
        };
        p.run_batches(3).unwrap();
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        p.run_batches(1).unwrap();
        ALLOCATIONS.load(Ordering::Relaxed) - before
    }};
}

// One test: the allocation counter is global, so the parts must not run at the same time.
#[test]
fn allocations_do_not_grow_with_the_records_of_a_batch() {
    let small = allocations_of_last_batch!(batches(1_000, |l| l));
    let large = allocations_of_last_batch!(batches(100_000, |l| l));
    eprintln!("allocations per batch: 1,000 lines {small}, 100,000 lines {large}");
    // The named stream `tags` is materialised (used twice): one Vec growing by doubling,
    // about log2(200,000) ≈ 18 more reallocations. Anything per record would be 100,000s.
    assert!(
        large <= small + 40,
        "1,000 lines: {small} allocations; 100,000 lines: {large}"
    );

    let small = allocations_of_last_batch!(batches(1_000, String::from));
    let large = allocations_of_last_batch!(batches(100_000, String::from));
    eprintln!("owned lines: 1,000 lines {small}, 100,000 lines {large}");
    assert!(
        large <= small + 40,
        "1,000 owned lines: {small} allocations; 100,000: {large} (a String per word?)"
    );

    for (incremental, few, many) in [
        (
            true,
            allocations_of_a_slide!(50, reduce(+, -)),
            allocations_of_a_slide!(20_000, reduce(+, -)),
        ),
        (
            false,
            allocations_of_a_slide!(50, reduce(+)),
            allocations_of_a_slide!(20_000, reduce(+)),
        ),
    ] {
        eprintln!("a slide with an inverse: {incremental}: 50 keys {few}, 20,000 keys {many}");
        // Vecs and maps sized by doubling (tens); a copy of each key would be 20,000s.
        assert!(
            many <= few + 80,
            "a slide over 50 keys: {few} allocations; over 20,000: {many} (a key copied per slide?)"
        );
    }
}
