//! Records shown as Structured Streaming's console sink shows a batch (`Dataset.show`):
//!
//! ```text
//! -------------------------------------------
//! Batch: 0
//! -------------------------------------------
//! +----+-----+
//! |word|total|
//! +----+-----+
//! | cat|    3|
//! +----+-----+
//! only showing top 1 row
//!
//! ```
//!
//! Cells are right-aligned and cut to 20 characters (17 and `...`), NULL shows as `null`;
//! the last line appears only when the batch had more rows than shown.

use std::fmt::Write as _;

use crate::show::{Spark, SparkDisplay};

/// One cell: `null` for NULL, else the value as Spark shows it.
pub fn cell<T: SparkDisplay>(v: &Option<T>) -> String {
    match v {
        Some(v) => Spark(v).to_string(),
        None => "null".to_owned(),
    }
}

/// A record's field as a table cell: `null` for `None`, else the value as Spark shows it.
#[diagnostic::on_unimplemented(
    message = "a record's column cannot be of type `{Self}`",
    label = "this field",
    note = "columns can be integers, floats, `bool`, strings, `Timestamp`, or `Option` of these"
)]
pub trait SqlCell {
    /// The cell's text.
    fn cell(&self) -> String;
}

macro_rules! cells {
    ($($t:ty),*) => {$(
        impl SqlCell for $t {
            fn cell(&self) -> String {
                Spark(self).to_string()
            }
        }
    )*};
}
cells!(
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    f32,
    f64,
    bool,
    char,
    str,
    String,
    Box<str>,
    std::sync::Arc<str>,
    std::borrow::Cow<'_, str>,
    crate::event_time::Timestamp
);

impl<T: SqlCell + ?Sized> SqlCell for &T {
    fn cell(&self) -> String {
        (**self).cell()
    }
}

impl<T: SqlCell> SqlCell for Option<T> {
    fn cell(&self) -> String {
        self.as_ref()
            .map_or_else(|| "null".to_owned(), SqlCell::cell)
    }
}

/// `Dataset.show(n)`'s text for `rows` (at most `n` shown) with `columns` as the header.
pub fn show<T: SparkDisplay>(columns: &[&str], rows: &[T], n: usize) -> String {
    let shown: Vec<Vec<String>> = rows
        .iter()
        .take(n)
        .map(|r| {
            let mut cells = Vec::with_capacity(columns.len());
            r.cells(&mut cells);
            cells.into_iter().map(cut).collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            shown
                .iter()
                .filter_map(|r| r.get(i))
                .map(|s| s.chars().count())
                .chain([c.chars().count(), 3])
                .max()
                .unwrap_or(3)
        })
        .collect();
    let rule: String = widths.iter().fold(String::from("+"), |mut s, w| {
        s.push_str(&"-".repeat(*w));
        s.push('+');
        s
    });
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::from("|");
        for (c, w) in cells.zip(&widths) {
            let _ = write!(s, "{c:>w$}|", w = *w);
        }
        s
    };
    let mut out = String::new();
    let _ = writeln!(out, "{rule}");
    let _ = writeln!(out, "{}", line(&mut columns.iter().copied()));
    let _ = writeln!(out, "{rule}");
    for r in &shown {
        let _ = writeln!(out, "{}", line(&mut r.iter().map(String::as_str)));
    }
    let _ = writeln!(out, "{rule}");
    if rows.len() > n {
        let _ = writeln!(
            out,
            "only showing top {n} {}",
            if n == 1 { "row" } else { "rows" }
        );
    }
    out
}

/// A cell longer than 20 characters keeps its first 17 and `...`, as `show()` cuts them.
fn cut(s: String) -> String {
    if s.chars().count() > 20 {
        s.chars().take(17).chain("...".chars()).collect()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    struct Row(Option<String>, Option<i64>);
    impl SparkDisplay for Row {
        const COLUMNS: Option<&'static [&'static str]> = Some(&["word", "total"]);
        fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "[{},{}]", cell(&self.0), cell(&self.1))
        }
        fn cells(&self, out: &mut Vec<String>) {
            out.push(cell(&self.0));
            out.push(cell(&self.1));
        }
    }

    #[test]
    fn layout_as_dataset_show() {
        let rows = [
            Row(Some("cat".into()), Some(3)),
            Row(None, Some(12345)),
            Row(Some("a".repeat(25)), None),
        ];
        assert_eq!(
            show(&["word", "total"], &rows, 20),
            "+--------------------+-----+\n\
             |                word|total|\n\
             +--------------------+-----+\n\
             |                 cat|    3|\n\
             |                null|12345|\n\
             |aaaaaaaaaaaaaaaaa...| null|\n\
             +--------------------+-----+\n"
        );
        assert_eq!(
            show(&["word", "total"], &rows[..2], 1),
            "+----+-----+\n|word|total|\n+----+-----+\n| cat|    3|\n+----+-----+\nonly showing top 1 row\n"
        );
        assert_eq!(show::<Row>(&["n"], &[], 20), "+---+\n|  n|\n+---+\n+---+\n");
    }
}
