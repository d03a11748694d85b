//! The fuzz target of `parse json::<T>` and `parse csv::<T>`: arbitrary bytes and strings
//! (random ones, JSON-ish and CSV-ish text, valid rows, rows cut short) through the
//! runtime's parse functions, over runs folded on several threads as a batch is. Whatever
//! the input, nothing panics and every row is either parsed or malformed (or, for CSV with
//! `header`, a header line): the counts add up, the malformed rows' indices are each row's
//! own, in order, and a row is malformed exactly when serde (the reference) rejects it.
//!
//! `cargo test -p streaming-runtime --test parse_fuzz` runs a short pass; a long run:
//! `PROPTEST_CASES=200000 cargo test --release -p streaming-runtime --test parse_fuzz`.

use proptest::prelude::*;
use serde::Deserialize;
use streaming_runtime::ops::parse::{CsvFormat, Malformed, Mode, Parse, csv, json};
use streaming_runtime::{BatchContext, BatchTime};

#[derive(Debug, Deserialize)]
#[allow(dead_code)] // read only by serde
struct Event<'a> {
    user: &'a str,
    n: i64,
    tags: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Row {
    name: String,
    qty: u32,
    price: Option<f64>,
}

const T: BatchTime = BatchTime::from_millis(1000);

/// Rows worth parsing: random bytes, random text, and text close to valid rows.
fn row() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        any::<String>().prop_map(String::into_bytes),
        "[{}\\[\\]\":,a-z0-9 \\\\-]{0,40}".prop_map(String::into_bytes),
        (any::<String>(), any::<i64>(), any::<bool>()).prop_map(|(u, n, cut)| {
            let full = serde_json::json!({ "user": u, "n": n }).to_string();
            let bytes = full.into_bytes();
            if cut {
                bytes[..bytes.len() / 2].to_vec()
            } else {
                bytes
            }
        }),
        ("[a-z\", ]{0,12}", any::<u32>(), any::<Option<f64>>()).prop_map(|(name, q, p)| {
            let p = p.map(|p| p.to_string()).unwrap_or_default();
            format!("{name},{q},{p}").into_bytes()
        }),
        Just(b"name,qty,price".to_vec()),
    ]
}

/// Ends a batch: the malformed rows, in order.
fn finish(stage: &Parse) -> Vec<Malformed> {
    let mut out = Vec::new();
    let mut ctx = BatchContext::new(T, BatchTime::ZERO, 1, &mut out);
    let mut bad = Vec::new();
    stage
        .finish(&mut ctx, None, Some(&mut bad))
        .expect("permissive never fails");
    bad
}

/// The malformed indices are distinct rows of the batch, in order.
fn indices(bad: &[Malformed], rows: usize) -> Vec<usize> {
    let idx: Vec<usize> = bad.iter().map(|m| m.index as usize).collect();
    assert!(idx.windows(2).all(|w| w[0] < w[1]), "{idx:?}");
    assert!(idx.iter().all(|&i| i < rows));
    idx
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn json_rows_are_parsed_or_malformed_never_lost(
        rows in proptest::collection::vec(row(), 0..60),
        parallelism in 1usize..4,
    ) {
        let stage = Parse::new("parse", Mode::Permissive);
        // Borrowed bytes: `T` borrows `user` from the batch; small batches are cut into
        // runs anyway (`par::run` runs each chunk with its number).
        let chunks: Vec<&[Vec<u8>]> = rows.chunks(rows.len().div_ceil(parallelism).max(1)).collect();
        let parsed = streaming_runtime::par::run(
            parallelism,
            chunks,
            |chunk| chunk.into_iter().map(|c| json::<Event<'_>, _>(c.iter().map(Vec::as_slice), &stage, T).count()).sum::<usize>(),
            |a, b| *a += b,
        );
        let bad = finish(&stage);
        prop_assert_eq!(parsed + bad.len(), rows.len());
        let idx = indices(&bad, rows.len());
        // The reference: serde_json on valid UTF-8, and nothing else is a row.
        let expected: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                std::str::from_utf8(r).map_or(true, |t| serde_json::from_str::<Event<'_>>(t).is_err())
            })
            .map(|(i, _)| i)
            .collect();
        prop_assert_eq!(&idx, &expected);
        for m in &bad {
            prop_assert_eq!(&m.text, &String::from_utf8_lossy(&rows[m.index as usize]).into_owned());
        }

        // Owned strings (lossy), as a line source would hand them over.
        let stage = Parse::new("parse", Mode::Permissive);
        let lines: Vec<String> = rows.iter().map(|r| String::from_utf8_lossy(r).into_owned()).collect();
        let n = json::<(String, i64), _>(lines.clone(), &stage, T).count();
        let bad = finish(&stage);
        prop_assert_eq!(n + bad.len(), lines.len());
    }

    #[test]
    fn csv_rows_are_parsed_malformed_or_headers_never_lost(
        rows in proptest::collection::vec(row(), 0..60),
        header in any::<bool>(),
    ) {
        let stage = Parse::new("parse", Mode::Permissive);
        let format = CsvFormat::<Row>::new(header);
        prop_assert!(format.check().is_ok());
        let parsed = csv_count(&rows, &stage, &format);
        let bad = finish(&stage);
        let headers = if header {
            rows.iter().filter(|r| r.as_slice() == b"name,qty,price").count()
        } else {
            0
        };
        prop_assert_eq!(parsed + bad.len() + headers, rows.len());
        indices(&bad, rows.len());
        // Tuples by position, from owned strings.
        let stage = Parse::new("parse", Mode::DropMalformed);
        let format = CsvFormat::<(String, i32)>::new(false);
        let lines: Vec<String> = rows.iter().map(|r| String::from_utf8_lossy(r).into_owned()).collect();
        let n = csv(lines.iter(), &stage, &format, T).count();
        let mut out = Vec::new();
        let mut ctx = BatchContext::new(T, BatchTime::ZERO, 1, &mut out);
        prop_assert!(stage.finish(&mut ctx, None, None).is_ok());
        let dropped: u64 = ctx.malformed_rows().iter().map(|(_, n)| n).sum();
        prop_assert_eq!(n as u64 + dropped, lines.len() as u64);
    }
}

fn csv_count(rows: &[Vec<u8>], stage: &Parse, format: &CsvFormat<Row>) -> usize {
    csv(rows.iter(), stage, format, T).count()
}
