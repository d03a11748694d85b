//! `print(n)`: Spark's `DStream.print(num)`.
//!
//! Per batch, the first `n` elements, shown with [`SparkDisplay`], in Spark's layout:
//!
//! ```text
//! -------------------------------------------
//! Time: 1475052703000 ms
//! -------------------------------------------
//! (orange,1)
//! (apple,4)
//! ...
//!
//! ```
//!
//! `...` appears only when the batch had more than `n` elements. Like Spark (which takes
//! `n + 1` elements), at most `n + 1` elements of a batch are ever computed or kept.
//!
//! Records (a SQL query's rows, `#[derive(Record)]` structs: [`SparkDisplay::COLUMNS`])
//! are shown as Structured Streaming's console sink shows them instead, a `Batch: N`
//! header and a table (`sql::table`), 20 rows unless `print(n)` says otherwise, and only
//! for batches with rows (as a micro-batch runs only when there is data).

use std::fmt::Write as _;

use crate::{
    BatchContext, StreamingError,
    show::{Spark, SparkDisplay},
    time::BatchTime,
};

const RULE: &str = "-------------------------------------------";

/// How many elements `print` shows: `n` if given, else Spark's default for the elements'
/// kind (10 for a DStream's, 20 for records, as the console sink).
#[inline]
pub fn rows<T: SparkDisplay>(n: Option<usize>) -> usize {
    n.unwrap_or(if T::COLUMNS.is_some() { 20 } else { 10 })
}

/// The most elements `print` can show whatever they are (for a `sort` before it).
#[inline]
pub fn most_rows(n: Option<usize>) -> usize {
    n.unwrap_or(20)
}

/// The first `n + 1` elements of a run of the batch; pulls no more than that from `it`.
#[inline]
pub fn fold<I: Iterator>(it: I, n: Option<usize>) -> Vec<I::Item>
where
    I::Item: SparkDisplay,
{
    it.take(rows::<I::Item>(n).saturating_add(1)).collect()
}

/// Appends a later run's elements to an earlier run's, keeping at most `n + 1`.
#[inline]
pub fn merge<T: SparkDisplay>(a: &mut Vec<T>, mut b: Vec<T>, n: Option<usize>) {
    let keep = rows::<T>(n).saturating_add(1);
    if a.len() < keep {
        b.truncate(keep - a.len());
        a.append(&mut b);
    }
    a.truncate(keep);
}

/// Writes the batch's block to the pipeline's stdout in a single write, so that blocks of
/// concurrently finishing outputs never interleave. Stdout closed by its reader (`| head`)
/// is [`StreamingError::OutputClosed`], on which `run` stops quietly; any other failed
/// write is [`StreamingError::Io`].
pub fn finish<T: SparkDisplay>(
    ctx: &mut BatchContext<'_>,
    batch: &[T],
    n: Option<usize>,
) -> Result<(), StreamingError> {
    let n = rows::<T>(n);
    let block = match T::COLUMNS {
        // A micro-batch of Structured Streaming runs only when there is something to do:
        // its console shows no empty tables, where a DStream's `print` shows every batch.
        Some(_) if batch.is_empty() => return Ok(()),
        Some(columns) => format_table(ctx.batch_id(), columns, batch, n),
        None => format_batch(ctx.time(), batch, n),
    };
    let out = ctx.out();
    out.write_all(block.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => StreamingError::OutputClosed,
            _ => StreamingError::io("print: writing to stdout", e),
        })
}

/// The text `print(n)` writes for one batch: header, the first `n` elements one per line,
/// `...` if there were more, and an empty line.
pub fn format_batch<T: SparkDisplay>(time: BatchTime, batch: &[T], n: usize) -> String {
    let mut s = String::with_capacity(3 * RULE.len() + 32 + 16 * batch.len().min(n));
    // Writing into a `String` cannot fail, except if an element's own `SparkDisplay`
    // reports an error; its partial output is kept then, as for any `Display`.
    let _ = write!(s, "{RULE}\nTime: {time}\n{RULE}\n");
    for x in batch.iter().take(n) {
        let _ = writeln!(s, "{}", Spark(x));
    }
    if batch.len() > n {
        s.push_str("...\n");
    }
    s.push('\n');
    s
}

/// The text `print(n)` writes for one batch of records: Structured Streaming's console
/// sink's `Batch: N` header, the table of the first `n` rows and an empty line.
pub fn format_table<T: SparkDisplay>(
    batch_id: u64,
    columns: &[&str],
    batch: &[T],
    n: usize,
) -> String {
    format!(
        "{RULE}\nBatch: {batch_id}\n{RULE}\n{}\n",
        crate::sql::table::show(columns, batch, n)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, Write};

    fn t(ms: u64) -> BatchTime {
        BatchTime::from_millis(ms)
    }

    #[test]
    fn layout_byte_for_byte() {
        let batch = vec![("orange", 1), ("apple", 4)];
        assert_eq!(
            format_batch(t(1475052703000), &batch, 10),
            "-------------------------------------------\n\
             Time: 1475052703000 ms\n\
             -------------------------------------------\n\
             (orange,1)\n\
             (apple,4)\n\
             \n"
        );
    }

    #[test]
    fn ellipsis_only_when_more_than_n() {
        let batch: Vec<i64> = (1..=4).collect();
        let header = "-------------------------------------------\n\
                      Time: 2000 ms\n\
                      -------------------------------------------\n";
        assert_eq!(
            format_batch(t(2000), &batch, 4),
            format!("{header}1\n2\n3\n4\n\n")
        );
        assert_eq!(
            format_batch(t(2000), &batch, 3),
            format!("{header}1\n2\n3\n...\n\n")
        );
        assert_eq!(format_batch(t(2000), &batch, 0), format!("{header}...\n\n"));
        assert_eq!(format_batch::<i64>(t(2000), &[], 10), format!("{header}\n"));
        assert_eq!(format_batch::<i64>(t(2000), &[], 0), format!("{header}\n"));
    }

    #[test]
    fn fold_takes_only_n_plus_one() {
        let mut pulled = 0;
        let it = (0..100).inspect(|_| pulled += 1);
        let v = fold(it, Some(3));
        assert_eq!(v, vec![0, 1, 2, 3]);
        assert_eq!(pulled, 4);
        assert_eq!(fold(0..2, Some(10)), vec![0, 1]);
        assert_eq!(fold(0..5, Some(usize::MAX)), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn merge_keeps_order_and_cuts() {
        let mut a = vec![1, 2];
        merge(&mut a, vec![3, 4, 5], Some(3));
        assert_eq!(a, vec![1, 2, 3, 4]);
        let mut a = vec![1, 2, 3, 4];
        merge(&mut a, vec![5], Some(3));
        assert_eq!(a, vec![1, 2, 3, 4]);
        let mut a = vec![];
        merge(&mut a, vec![1], Some(0));
        assert_eq!(a, vec![1]);
        let mut a = vec![1];
        merge(&mut a, vec![2, 3], Some(usize::MAX));
        assert_eq!(a, vec![1, 2, 3]);
    }

    /// Counts `write` calls.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn finish_writes_once() {
        let mut out = Writes::default();
        let mut ctx = BatchContext::new(t(1000), BatchTime::ZERO, 1, &mut out);
        finish(&mut ctx, &["a b", "c"], Some(10)).unwrap();
        assert_eq!(out.0.len(), 1);
        assert_eq!(
            String::from_utf8(out.0.concat()).unwrap(),
            format_batch(t(1000), &["a b", "c"], 10)
        );
    }

    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
    }

    #[test]
    fn closed_stdout_is_output_closed_not_a_panic() {
        let mut out = ClosedPipe;
        let mut ctx = BatchContext::new(t(1000), BatchTime::ZERO, 1, &mut out);
        match finish(&mut ctx, &[1i64], Some(10)) {
            Err(StreamingError::OutputClosed) => {}
            other => panic!("expected OutputClosed, got {other:?}"),
        }
    }

    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::StorageFull))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn other_write_errors_stay_errors() {
        let mut out = Full;
        let mut ctx = BatchContext::new(t(1000), BatchTime::ZERO, 1, &mut out);
        match finish(&mut ctx, &[1i64], Some(10)) {
            Err(StreamingError::Io { source, .. }) => {
                assert_eq!(source.kind(), io::ErrorKind::StorageFull)
            }
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }
}
