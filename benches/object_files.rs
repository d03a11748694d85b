//! Writing and reading a batch of 200,000 `(String, i64)` records (a word and a count, as
//! a word count's output) as object files against text files: the sinks
//! `save_as_object_files` / `save_as_text_files` (one batch directory, synced and renamed
//! into place, replacing the previous iteration's) and the sources `object_files` /
//! `text_files` (a new source each time, listing the directory and reading the batch).
//! Throughput is in each format's own bytes (the object file is smaller); the records per
//! second compare like with like. The text read yields lines, not yet records: a pipeline
//! still has to parse them, which `text_files_then_parse` adds (a hand-written split of
//! Spark's `(word,count)` form).
//!
//! `cargo bench --bench object_files`

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use streaming::__private::rt::{BatchContext, BatchTime, Source, sink, source};

const RECORDS: usize = 200_000;

fn records() -> Vec<(String, i64)> {
    (0..RECORDS)
        .map(|i| (format!("word{}", i % 5000), (i as i64) * 37 % 100_000))
        .collect()
}

/// The size of the part file of batch 1000 under `prefix`.
fn part_size(prefix: &str) -> u64 {
    let dir = sink::batch_dir::batch_dir(prefix, None, BatchTime::from_millis(1000));
    std::fs::metadata(dir.join(sink::batch_dir::PART_FILE))
        .map(|m| m.len())
        .unwrap_or(0)
}

fn read_all<S: Source>(mut src: S) -> S::Batch {
    let t = BatchTime::from_millis(1000);
    src.control().seal(t);
    src.next_batch(t).unwrap()
}

fn bench(c: &mut Criterion) {
    let batch = records();
    let tmp = tempfile::tempdir().unwrap();
    let (text_dir, obj_dir) = (tmp.path().join("text"), tmp.path().join("obj"));
    let text = text_dir.join("words").to_string_lossy().into_owned();
    let obj = obj_dir.join("words").to_string_lossy().into_owned();
    let write_text = |b: &[(String, i64)]| {
        let mut out = Vec::new();
        let mut ctx = BatchContext::new(BatchTime::from_millis(1000), BatchTime::ZERO, 1, &mut out);
        sink::save_as_text_files::finish(&mut ctx, &text, None, b).unwrap();
    };
    let write_obj = |b: &[(String, i64)]| {
        let mut out = Vec::new();
        let mut ctx = BatchContext::new(BatchTime::from_millis(1000), BatchTime::ZERO, 1, &mut out);
        sink::save_as_object_files::finish(&mut ctx, &obj, None, b).unwrap();
    };
    write_text(&batch);
    write_obj(&batch);
    let (text_bytes, obj_bytes) = (part_size(&text), part_size(&obj));
    eprintln!(
        "{RECORDS} records: text part file {text_bytes} bytes, object part file {obj_bytes} bytes"
    );

    let mut g = c.benchmark_group("object_files_write");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(text_bytes));
    g.bench_function("save_as_text_files", |b| {
        b.iter(|| write_text(black_box(&batch)))
    });
    g.throughput(Throughput::Bytes(obj_bytes));
    g.bench_function("save_as_object_files", |b| {
        b.iter(|| write_obj(black_box(&batch)))
    });
    g.finish();

    let mut g = c.benchmark_group("object_files_read");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(text_bytes));
    // The text source reads files, not batch directories: point it at the part file's.
    let text_part_dir = sink::batch_dir::batch_dir(&text, None, BatchTime::from_millis(1000));
    // Written again just before: a source takes a file for new only if it was modified at
    // most a minute before the source was created.
    write_text(&batch);
    g.bench_function("text_files", |b| {
        b.iter(|| {
            let lines = read_all(source::text_files(&text_part_dir));
            assert_eq!(lines.len(), RECORDS);
            lines
        })
    });
    // What a pipeline needs to get the records back from text: each line `(word,count)`
    // parsed again.
    g.bench_function("text_files_then_parse", |b| {
        b.iter(|| {
            let lines = read_all(source::text_files(&text_part_dir));
            let recs: Vec<(String, i64)> = lines
                .iter()
                .filter_map(|l| {
                    let (w, n) = l.strip_prefix('(')?.strip_suffix(')')?.rsplit_once(',')?;
                    Some((w.to_string(), n.parse().ok()?))
                })
                .collect();
            assert_eq!(recs.len(), RECORDS);
            recs
        })
    });
    g.throughput(Throughput::Bytes(obj_bytes));
    write_obj(&batch);
    g.bench_function("object_files", |b| {
        b.iter(|| {
            let recs = read_all(source::object_files::<(String, i64)>(Path::new(&obj_dir)));
            assert_eq!(recs.len(), RECORDS);
            recs
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
