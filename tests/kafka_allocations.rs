//! No allocation per record where a Kafka batch is handed over and processed: on the thread
//! that runs the batches, a batch of 10,000 records costs (almost) the same number of
//! allocations as one of 1,000 over the same keys. Values are decoded into one buffer per
//! batch and borrowed from it as `&str`. (The source's fetch thread is not counted: rdkafka
//! allocates one small `Arc` per polled message there, outside the batch.)

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use common::kafka::Broker;
use streaming::prelude::*;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn tweets(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("some words #tag{} more #t{}", i % 50, i % 7))
        .collect()
}

#[test]
fn a_kafka_batch_allocates_nothing_per_record_on_the_batch_thread() {
    let broker = Broker::start();
    broker.create_topic("tweets", 1);
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        parallelism 1;
        source kafka(addr, "tweets").from_earliest().option("broker.address.family", "v4")
            |> flat_map split
            |> filter starts_with("#")
            |> reduce_by_key(+)
            |> foreach_batch(|_t, counts| { black_box(counts); })
    };
    let mut batch = |n: usize| {
        broker.produce("tweets", 0, &tweets(n));
        let before = ALLOCATIONS.with(Cell::get);
        p.run_batches(1).unwrap();
        ALLOCATIONS.with(Cell::get) - before
    };
    batch(1_000); // keys seen, clients connected
    let small = batch(1_000);
    let large = batch(10_000);
    eprintln!("batch-thread allocations: 1,000 records {small}, 10,000 records {large}");
    // The batch's buffers grow by doubling: a few more reallocations for 10x the records
    // (one allocation a record would be 9,000 more).
    assert!(
        large <= small + 30,
        "1,000 records: {small} allocations; 10,000 records: {large}"
    );
}
