//! `parse json::<T>` / `parse csv::<T>`: typed input with Spark's malformed-row modes,
//! through real sources (`queue`, `text_files` in a temporary directory) on the manual
//! clock. Every test checks that nothing is lost: rows in = rows parsed + rows malformed,
//! and the batch's `BatchInfo` counts exactly the malformed rows.

mod common;

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use streaming::prelude::*;

use common::s;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
struct Event {
    user: String,
    n: i64,
    note: Option<String>,
}
streaming::into_owned_by_identity!(Event);

/// Borrows its text from the batch.
#[derive(Debug, Deserialize)]
struct Borrowed<'a> {
    user: &'a str,
    n: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
struct Sale {
    item: String,
    qty: u32,
}
streaming::into_owned_by_identity!(Sale);

/// The malformed counts of every batch, as `on_batch_completed` reports them.
type Counts = Arc<Mutex<Vec<(u64, Vec<(String, u64)>, Option<String>)>>>;

fn count_malformed(p: &mut Pipeline) -> Counts {
    let counts: Counts = Arc::default();
    let c = counts.clone();
    p.on_batch_completed(move |b| {
        assert_eq!(
            b.malformed_rows,
            b.malformed_rows_by_stage
                .iter()
                .map(|(_, n)| n)
                .sum::<u64>()
        );
        c.lock().unwrap().push((
            b.malformed_rows,
            b.malformed_rows_by_stage.clone(),
            b.failure.clone(),
        ));
    });
    counts
}

/// One row of each kind Spark's JSON reader meets, and what happens to it.
fn mixed_rows() -> Vec<String> {
    vec![
        s(r#"{"user":"ann","n":1}"#),
        s(r#"{"user":"bob","n":2"#),             // truncated
        s(r#"{"user":"cy","n":"three"}"#),       // a wrong field type
        s(r#"{"user":"di","n":4,"extra":[1]}"#), // an extra field: ignored, as Spark
        s(r#"{"user":"ed"}"#),                   // a missing field that is not an Option
        s(r#"{"user":"fay","n":6,"note":"hi"}"#),
        s("not json at all"),
        s(""),
    ]
}

fn ev(user: &str, n: i64, note: Option<&str>) -> Event {
    Event {
        user: user.into(),
        n,
        note: note.map(Into::into),
    }
}

#[test]
fn permissive_keeps_each_malformed_row_with_its_text_and_position() {
    let (out, bad) = (Collector::new(), Collector::new());
    let (o, b) = (out.clone(), bad.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![mixed_rows(), vec![s(r#"{"user":"gus","n":7}"#), s("{")]])
            |> parse json::<Event> malformed(broken)
            |> collect(o);
        broken |> collect(b)
    };
    let counts = count_malformed(&mut p);
    p.run_batches(2).unwrap();
    assert_eq!(
        out.batches()
            .into_iter()
            .map(|(_, v)| v)
            .collect::<Vec<_>>(),
        vec![
            vec![
                ev("ann", 1, None),
                ev("di", 4, None),
                ev("fay", 6, Some("hi"))
            ],
            vec![ev("gus", 7, None)]
        ]
    );
    let bad = bad.batches();
    let first: Vec<(u64, &str)> = bad[0]
        .1
        .iter()
        .map(|m| (m.index, m.text.as_str()))
        .collect();
    let rows = mixed_rows();
    assert_eq!(
        first,
        [1, 2, 4, 6, 7]
            .map(|i| (i as u64, rows[i].as_str()))
            .to_vec()
    );
    let m = &bad[0].1[0];
    assert_eq!(m.stage, "parse (pipeline statement 1)");
    assert_eq!(m.batch_time, BatchTime::from_millis(1000));
    assert_eq!((m.partition, m.offset), (None, None));
    assert!(m.error.contains("EOF"), "{}", m.error);
    assert!(
        bad[0].1[1].error.contains("invalid type"),
        "{}",
        bad[0].1[1].error
    );
    assert!(
        bad[0].1[2].error.contains("missing field `n`"),
        "{}",
        bad[0].1[2].error
    );
    assert_eq!(
        bad[1]
            .1
            .iter()
            .map(|m| (m.index, m.batch_time.milliseconds()))
            .collect::<Vec<_>>(),
        [(1, 2000)]
    );
    // Nothing lost: in = parsed + malformed, and the counts say so.
    assert_eq!(rows.len(), 3 + bad[0].1.len());
    let stage = s("parse (pipeline statement 1)");
    assert_eq!(
        *counts.lock().unwrap(),
        vec![
            (5, vec![(stage.clone(), 5)], None),
            (1, vec![(stage, 1)], None)
        ]
    );
    assert_eq!(p.metrics()[0].malformed_rows, 6);
}

#[test]
fn permissive_without_a_stream_counts_and_logs_the_rows() {
    let out = Collector::new();
    let o = out.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![mixed_rows()]) |> parse json::<Event> |> collect(o)
    };
    let counts = count_malformed(&mut p);
    // The batch runs on this thread (manual clock): its log lines go to this subscriber.
    let log = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || p.run_batches(1).unwrap());
    assert_eq!(out.batches()[0].1.len(), 3);
    assert_eq!(counts.lock().unwrap()[0].0, 5);
    assert_eq!(p.metrics()[0].malformed_rows, 5);
    let log = log.text();
    assert_eq!(log.matches("malformed row").count(), 5, "{log}");
    assert!(
        log.contains(r#"row=2"#) && log.contains("not json at all"),
        "{log}"
    );
}

/// Log lines written to memory.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

#[test]
fn dropmalformed_drops_and_counts() {
    let out = Collector::new();
    let o = out.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![mixed_rows().into_iter().map(|r| &*r.leak()).collect(), vec![]])
            |> parse json::<Borrowed> dropmalformed
            |> map |e| e.user
            |> collect(o)
    };
    let counts = count_malformed(&mut p);
    p.run_batches(2).unwrap();
    assert_eq!(out.batches()[0].1, [s("ann"), s("di"), s("fay")]);
    let counts = counts.lock().unwrap();
    assert_eq!((counts[0].0, counts[1].0), (5, 0));
    assert!(counts[1].1.is_empty());
}

#[test]
fn failfast_fails_the_batch_naming_the_row_before_the_sink_writes() {
    let out = Collector::new();
    let o = out.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![s(r#"{"user":"a","n":1}"#)], mixed_rows(), vec![s(r#"{"user":"z","n":9}"#)]])
            |> parse json::<Event> failfast
            |> collect(o)
    };
    let counts = count_malformed(&mut p);
    p.run_batches(1).unwrap();
    let err = p.run_batches(1).unwrap_err().to_string();
    assert!(
        err.contains("parse (pipeline statement 1)")
            && err.contains("row 1 ")
            && err.contains(r#"the row: {"user":"bob","n":2"#),
        "{err}"
    );
    // The next batch runs as usual.
    p.run_batches(1).unwrap();
    let written: Vec<Vec<String>> = out
        .batches()
        .into_iter()
        .map(|(_, v)| v.into_iter().map(|e| e.user).collect())
        .collect();
    assert_eq!(
        written,
        [[s("a")], [s("z")]],
        "the failed batch wrote nothing"
    );
    let counts = counts.lock().unwrap();
    assert!(
        counts[1]
            .2
            .as_deref()
            .is_some_and(|f| f.contains("failfast"))
    );
    assert_eq!(counts[1].0, 1, "failfast stops at the first malformed row");
}

#[test]
fn borrowed_fields_borrow_from_the_batch_of_owned_and_of_line_sources() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, escaped_rows) = (Collector::new(), Collector::new(), Collector::new());
    let (oa, ob, oe) = (a.clone(), b.clone(), escaped_rows.clone());
    let d = dir.path().to_path_buf();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![s(r#"{"user":"ann","n":1}"#), s(r#"{"user":"b\"o","n":2}"#)]])
            |> parse json::<Borrowed<'_>> malformed(escaped)
            |> map |e| (e.user.to_string(), e.n)
            |> collect(oa);
        source text_files(d)
            |> parse json::<Borrowed>
            |> map |e| (e.user.len(), e.n)
            |> collect(ob);
        escaped |> map |m| m.index |> collect(oe)
    };
    std::fs::write(dir.path().join("a.json"), "{\"user\":\"xy\",\"n\":5}\n").unwrap();
    p.run_batches(1).unwrap();
    assert_eq!(a.batches()[0].1, [(s("ann"), 1)]);
    assert_eq!(b.batches()[0].1, [(2, 5)]);
    // An escaped string cannot be borrowed as `&str`: that row is malformed for `Borrowed`.
    assert_eq!(escaped_rows.batches()[0].1, [1]);
}

#[test]
fn csv_with_a_header_skips_each_files_header_line_and_without_maps_by_position() {
    let dir = tempfile::tempdir().unwrap();
    let (with, without, bad) = (Collector::new(), Collector::new(), Collector::new());
    let (ow, on, ob) = (with.clone(), without.clone(), bad.clone());
    let d = dir.path().to_path_buf();
    let mut p = stream_pipeline! {
        batch 1s;
        source text_files(d) |> parse csv::<Sale> header malformed(odd) |> collect(ow);
        odd |> map |m| (m.index, m.text) |> collect(ob);
        source queue(vec![vec![s("pen,2"), s("\"ink, blue\",3"), s("item,qty")]])
            |> parse csv::<(String, u32)> dropmalformed
            |> collect(on)
    };
    let counts = count_malformed(&mut p);
    // Two files, each with its header line (Spark's `header` option).
    std::fs::write(dir.path().join("a.csv"), "item,qty\npen,2\ncup,x\n").unwrap();
    std::fs::write(dir.path().join("b.csv"), "item,qty\n\"ink, blue\",3\npen\n").unwrap();
    p.run_batches(1).unwrap();
    let mut got = with.batches().remove(0).1;
    got.sort();
    let sale = |item: &str, qty| Sale {
        item: item.into(),
        qty,
    };
    assert_eq!(got, [sale("ink, blue", 3), sale("pen", 2)]);
    let mut odd: Vec<String> = bad
        .batches()
        .remove(0)
        .1
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    odd.sort();
    assert_eq!(
        odd,
        [s("cup,x"), s("pen")],
        "headers are neither rows nor malformed"
    );
    assert_eq!(
        without.batches().remove(0).1,
        [(s("pen"), 2), (s("ink, blue"), 3)]
    );
    // 2 malformed in the files, 1 (the header line, without `header`) in the queue.
    let counts = counts.lock().unwrap();
    assert_eq!(counts[0].0, 3);
    assert_eq!(counts[0].1.len(), 2);
}

#[test]
fn invalid_utf8_is_malformed_in_bytes_and_decoded_lossily_by_line_sources() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, lines_bad, bytes_bad) = (Collector::new(), Collector::new(), Collector::new());
    let (ol, olb, obb) = (lines.clone(), lines_bad.clone(), bytes_bad.clone());
    let ol_bytes = Collector::new();
    let d = dir.path().to_path_buf();
    let mut p = stream_pipeline! {
        batch 1s;
        source text_files(d) |> parse json::<Event> malformed(bad_lines) |> collect(ol);
        bad_lines |> map |m| m.text |> collect(olb);
        source queue(vec![vec![b"{\"user\":\"\xff\",\"n\":1}".to_vec(), br#"{"user":"ok","n":2}"#.to_vec()]])
            |> parse json::<Event> malformed(bad_bytes)
            |> map |e| e.user
            |> collect(ol_bytes);
        bad_bytes |> map |m| (m.index, m.text, m.error) |> collect(obb)
    };
    std::fs::write(
        dir.path().join("bad.json"),
        b"{\"user\":\"\xff\",\"n\":1}\n\xfe\xff\n{\"user\":\"ok\",\"n\":2}\n",
    )
    .unwrap();
    p.run_batches(1).unwrap();
    // The file source decodes a line lossily (and counts it): inside a JSON string the
    // replacement character is text like any other, outside it is not JSON.
    let mut users: Vec<String> = lines
        .batches()
        .remove(0)
        .1
        .into_iter()
        .map(|e| e.user)
        .collect();
    users.sort();
    assert_eq!(users, [s("ok"), s("\u{FFFD}")]);
    assert_eq!(lines_bad.batches().remove(0).1, [s("\u{FFFD}\u{FFFD}")]);
    assert_eq!(p.metrics()[0].invalid_utf8, 2);
    assert_eq!(p.metrics()[0].malformed_rows, 1);
    // Bytes that are not UTF-8 are malformed, kept lossily.
    let bytes = bytes_bad.batches().remove(0).1;
    assert_eq!(bytes.len(), 1);
    assert_eq!(bytes[0].0, 0);
    assert_eq!(bytes[0].1, "{\"user\":\"\u{FFFD}\",\"n\":1}");
    assert!(bytes[0].2.starts_with("invalid UTF-8"), "{}", bytes[0].2);
}

#[test]
fn a_ten_megabyte_line_is_parsed_or_kept_whole_and_shown_cut() {
    let big = "x".repeat(10 << 20);
    let good = format!(r#"{{"user":"{big}","n":1}}"#);
    let truncated = format!(r#"{{"user":"{big}""#);
    let (out, bad) = (Collector::new(), Collector::new());
    let (o, b) = (out.clone(), bad.clone());
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![good, truncated.clone()]])
            |> parse json::<Borrowed> malformed(broken)
            |> map |e| (e.user.len(), e.n)
            |> collect(o);
        broken |> collect(b)
    };
    p.run_batches(1).unwrap();
    assert_eq!(out.batches()[0].1, [(10 << 20, 1)]);
    let bad = bad.batches().remove(0).1;
    assert_eq!(bad.len(), 1);
    assert_eq!(
        bad[0].text, truncated,
        "the malformed stream keeps the whole row"
    );
    let shown = bad[0].to_string();
    assert!(
        shown.len() < 1000,
        "printing cuts the text: {} bytes",
        shown.len()
    );
    assert!(
        shown.ends_with(&format!("({} bytes in all)", truncated.len())),
        "{shown}"
    );
}

/// Rows numbered within the batch even when its runs are parsed on several threads, and
/// the same results with `fusion off`.
#[test]
fn parallel_runs_and_fusion_off_give_the_same_rows_and_positions() {
    let rows: Vec<String> = (0..40_000)
        .map(|i| {
            if i % 9_999 == 5 {
                format!("{{\"user\":\"u{i}\"")
            } else {
                format!("{{\"user\":\"u{i}\",\"n\":{i}}}")
            }
        })
        .collect();
    let expect_bad: Vec<u64> = (0..40_000u64).filter(|i| i % 9_999 == 5).collect();
    let run = |p: &mut Pipeline, out: &Collector<i64>, bad: &Collector<u64>| {
        p.run_batches(1).unwrap();
        let sum: i64 = out.batches()[0].1.iter().sum();
        (sum, bad.batches().remove(0).1)
    };
    let (o1, b1, o2, b2) = (
        Collector::new(),
        Collector::new(),
        Collector::new(),
        Collector::new(),
    );
    let (c1, d1, c2, d2) = (o1.clone(), b1.clone(), o2.clone(), b2.clone());
    let r2 = rows.clone();
    let mut parallel = stream_pipeline! {
        batch 1s;
        parallelism 4;
        source queue(vec![rows]) |> parse json::<Event> malformed(bad) |> map |e| e.n |> reduce(+) |> collect(c1);
        bad |> map |m| m.index |> collect(d1)
    };
    let mut unfused = stream_pipeline! {
        batch 1s;
        fusion off;
        source queue(vec![r2]) |> parse json::<Event> malformed(bad) |> map |e| e.n |> reduce(+) |> collect(c2);
        bad |> map |m| m.index |> collect(d2)
    };
    let expect_sum: i64 = (0..40_000i64).filter(|i| i % 9_999 != 5).sum();
    assert_eq!(
        run(&mut parallel, &o1, &b1),
        (expect_sum, expect_bad.clone())
    );
    assert_eq!(run(&mut unfused, &o2, &b2), (expect_sum, expect_bad));
}

#[cfg(feature = "kafka")]
#[test]
fn kafka_records_carry_their_partition_and_offset_when_malformed() {
    use common::kafka::Broker;
    let broker = Broker::start();
    broker.create_topic("events", 2);
    broker.produce(
        "events",
        1,
        &[&br#"{"user":"a","n":1}"#[..], b"\xff{", br#"{"user":"b"}"#],
    );
    let (out, bad) = (Collector::new(), Collector::new());
    let (o, b) = (out.clone(), bad.clone());
    let addr = broker.addr();
    let mut p = stream_pipeline! {
        batch 1s;
        source kafka(addr, "events").from_earliest().records()
            .option("broker.address.family", "v4")
            |> parse json::<Borrowed> malformed(broken)
            |> map |e| (e.user.to_string(), e.n)
            |> collect(o);
        broken |> map |m| (m.partition, m.offset, m.text) |> collect(b)
    };
    p.run_batches(1).unwrap();
    assert_eq!(out.batches()[0].1, [(s("a"), 1)]);
    assert_eq!(
        bad.batches().remove(0).1,
        [
            (Some(1), Some(1), s("\u{FFFD}{")),
            (Some(1), Some(2), s(r#"{"user":"b"}"#))
        ]
    );
    assert_eq!(p.metrics()[0].malformed_rows, 2);
}

/// `Cow<str>` borrows what it can and owns the escaped strings, so no row is malformed
/// for it.
#[test]
fn cow_fields_take_escaped_strings_that_str_fields_cannot() {
    #[derive(Deserialize)]
    struct Note<'a> {
        #[serde(borrow)]
        text: std::borrow::Cow<'a, str>,
    }
    let out = Collector::new();
    let o = out.clone();
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec![r#"{"text":"plain"}"#, r#"{"text":"a\"b \u00e9"}"#]])
            |> parse json::<Note> failfast
            |> map |n| (matches!(n.text, std::borrow::Cow::Borrowed(_)), n.text.into_owned())
            |> collect(o)
    };
    p.run_batches(1).unwrap();
    assert_eq!(
        out.batches()[0].1,
        [(true, s("plain")), (false, s("a\"b é"))]
    );
}

/// `header` recognises header lines by `T`'s field names: a tuple has none, and every
/// batch says so.
#[test]
fn csv_header_of_a_type_without_field_names_fails_each_batch_with_a_clear_error() {
    let mut p = stream_pipeline! {
        batch 1s;
        source queue(vec![vec!["a,1"]]) |> parse csv::<(String, u32)> header |> print
    };
    p.print_to(OutputBuffer::new());
    let err = p.run_batches(1).unwrap_err().to_string();
    assert!(err.contains("struct with named fields"), "{err}");
}
