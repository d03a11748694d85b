//! `parse json::<T>` and `parse csv::<T> [header]`: each row (a line, a Kafka record's
//! value) deserialized into `T` with serde, and Spark's modes for the rows that are not a
//! `T` (its `PERMISSIVE`, `DROPMALFORMED` and `FAILFAST`):
//!
//! - `permissive` (the default): a malformed row becomes a [`Malformed`] (its text, the
//!   parse error, its position) in the stream named by `malformed(name)`; without a name it
//!   is logged (at most [`WARNINGS_PER_BATCH`] rows per batch and stage, then a summary);
//! - `dropmalformed`: dropped;
//! - `failfast`: the batch fails with [`StreamingError::MalformedRow`] naming the first
//!   malformed row.
//!
//! Every mode counts the malformed rows: in the batch's `BatchInfo` (by stage), in the
//! source's metrics, and so on `/metrics` and the streaming page. A row is parsed or
//! malformed, never lost (a CSV header line is neither: it is skipped).
//!
//! The stage is an adapter (ARCHITECTURE.md, "How to add an operator"): [`json`] and
//! [`csv`] wrap the fused loop's iterator. Runs of a batch fold concurrently, so each run
//! keeps its own tally and hands it to the stage's [`Parse`] when its iterator is dropped;
//! after the runs, [`Parse::finish`] puts the tallies in run order ([`crate::par::current_run`]),
//! numbers the malformed rows within the batch and applies the mode.
//!
//! Borrowing: when the stage reads the batch by reference (elements `&str`, `&String`,
//! `KafkaRecord<&str>`), `parse json::<T>` deserializes with `serde_json::from_str` from
//! the batch's own text, so a `T` with `&str` fields borrows them from the batch. JSON
//! strings with escapes cannot be borrowed as `&str`: such a row is malformed for a `&str`
//! field (use `Cow<str>` for fields that may hold escapes). CSV fields are owned: the `csv`
//! crate unescapes them into a record of its own, so `parse csv::<T>` needs an owned `T`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::context::BatchContext;
use crate::error::StreamingError;
use crate::metrics::SourceMetrics;
use crate::time::BatchTime;

/// Malformed rows logged per batch and stage in `permissive` mode without
/// `malformed(name)`; the rest of the batch's are summed up in one more line.
pub const WARNINGS_PER_BATCH: usize = 10;

/// How many characters of a row's text go into a log line, an error or a shown
/// [`Malformed`].
pub const TEXT_SHOWN: usize = 300;

/// A row a `parse` stage could not read as its type: an element of the stream named by
/// `malformed(name)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The row's text (decoded lossily when it was not UTF-8).
    pub text: String,
    /// Why it is not a `T`: serde's (or the CSV reader's) message.
    pub error: String,
    /// The stage, e.g. `parse (pipeline statement 1)`.
    pub stage: &'static str,
    /// The batch the row came in.
    pub batch_time: BatchTime,
    /// The row's index in that batch's input of the stage (from 0).
    pub index: u64,
    /// For a Kafka record: its partition.
    pub partition: Option<i32>,
    /// For a Kafka record: its offset in its partition.
    pub offset: Option<i64>,
}

crate::into_owned_by_identity!(Malformed);

/// `row 3 of batch 2000 ms at parse (pipeline statement 1) (partition 0, offset 17):
/// <error>: <text, cut>`.
impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed row {} of batch {} at {}",
            self.index, self.batch_time, self.stage
        )?;
        if let (Some(p), Some(o)) = (self.partition, self.offset) {
            write!(f, " (partition {p}, offset {o})")?;
        }
        write!(f, ": {}: {}", self.error, cut(&self.text))
    }
}

impl crate::show::SparkDisplay for Malformed {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `text` cut to [`TEXT_SHOWN`] characters, saying how long it was.
pub fn cut(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(TEXT_SHOWN) {
        None => Cow::Borrowed(text),
        Some((at, _)) => Cow::Owned(format!(
            "{}… ({} bytes in all)",
            text.get(..at).unwrap_or_default(),
            text.len()
        )),
    }
}

/// What a stage does with its malformed rows (Spark's `mode` option).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Kept in `malformed(name)`'s stream, or logged without one.
    Permissive,
    /// Dropped (and counted).
    DropMalformed,
    /// The batch fails, naming the first one.
    FailFast,
}

/// A row that is not a `T`, before the stage knows its place in the batch.
#[derive(Debug)]
pub struct Rejected {
    /// The row's text (lossy UTF-8).
    pub text: String,
    /// The parse error's message.
    pub error: String,
    /// A Kafka record's partition and offset.
    pub kafka: Option<(i32, i64)>,
}

/// One row read by a format.
#[derive(Debug)]
pub enum Row<T> {
    /// A `T`.
    Parsed(T),
    /// A CSV header line: skipped, neither parsed nor malformed.
    Header,
    /// Not a `T`.
    Malformed(Rejected),
}

/// An element a `parse` stage reads: a line, some bytes, or a Kafka record (its value).
#[diagnostic::on_unimplemented(
    message = "`parse` reads lines (`String`, `&str`), bytes (`Vec<u8>`, `&[u8]`) or Kafka records, not `{Self}`",
    label = "elements of type `{Self}` reach `parse` here",
    note = "map the elements to their text first, e.g. `map |x| x.to_string()`"
)]
pub trait ParseInput {
    /// The row's text; an error if its bytes are not UTF-8 (the row is then malformed).
    fn text(&self) -> Result<&str, std::str::Utf8Error>;
    /// The row's text for a [`Malformed`], lossily decoded.
    fn lossy(&self) -> String {
        match self.text() {
            Ok(t) => t.to_string(),
            Err(_) => String::new(),
        }
    }
    /// A Kafka record's partition and offset.
    fn kafka(&self) -> Option<(i32, i64)> {
        None
    }
    /// The row as a [`Rejected`] with `error`.
    fn reject(&self, error: String) -> Rejected {
        Rejected {
            text: self.lossy(),
            error,
            kafka: self.kafka(),
        }
    }
}

impl ParseInput for str {
    fn text(&self) -> Result<&str, std::str::Utf8Error> {
        Ok(self)
    }
}

impl ParseInput for String {
    fn text(&self) -> Result<&str, std::str::Utf8Error> {
        Ok(self)
    }
}

impl ParseInput for [u8] {
    fn text(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(self)
    }
    fn lossy(&self) -> String {
        String::from_utf8_lossy(self).into_owned()
    }
}

impl ParseInput for Vec<u8> {
    fn text(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(self)
    }
    fn lossy(&self) -> String {
        String::from_utf8_lossy(self).into_owned()
    }
}

impl<X: ParseInput + ?Sized> ParseInput for &X {
    fn text(&self) -> Result<&str, std::str::Utf8Error> {
        (**self).text()
    }
    fn lossy(&self) -> String {
        (**self).lossy()
    }
    fn kafka(&self) -> Option<(i32, i64)> {
        (**self).kafka()
    }
}

#[cfg(feature = "kafka")]
impl<S: AsRef<str>> ParseInput for crate::KafkaRecord<S> {
    fn text(&self) -> Result<&str, std::str::Utf8Error> {
        Ok(self.value.as_ref())
    }
    fn kafka(&self) -> Option<(i32, i64)> {
        Some((self.partition, self.offset))
    }
}

/// An element `parse json::<T>` reads as a `T`: borrowed elements (`&str`, `&String`,
/// `&[u8]`, `KafkaRecord<&str>`) let `T` borrow from the batch; owned ones need an owned
/// `T` (`T: DeserializeOwned`).
#[diagnostic::on_unimplemented(
    message = "`parse json::<{T}>` cannot read `{Self}` as a `{T}`",
    label = "elements of type `{Self}` reach `parse` here",
    note = "`parse` reads lines (`String`, `&str`), bytes or Kafka records; a `T` with borrowed fields (`&str`) needs `parse` right after the source, where it reads the batch by reference"
)]
pub trait JsonInput<T>: ParseInput + Sized {
    /// `self` deserialized as a `T`.
    fn parse_json(self) -> Row<T>;
}

/// A `T` from JSON text that lives as long as `T` may borrow. Inlined into the stage's
/// loop, so that serde's result is built where the row goes (a call here cost two copies of
/// every row, about 1.5% of the stage).
#[inline(always)]
fn json_row<'de, T: Deserialize<'de>>(text: &'de str, row: &impl ParseInput) -> Row<T> {
    match serde_json::from_str(text) {
        Ok(t) => Row::Parsed(t),
        Err(e) => Row::Malformed(row.reject(e.to_string())),
    }
}

/// The text of `row`, or the row rejected as not UTF-8.
fn utf8_text<X: ParseInput + ?Sized>(row: &X) -> Result<&str, Rejected> {
    row.text()
        .map_err(|e| row.reject(format!("invalid UTF-8: {e}")))
}

impl<'a, T: Deserialize<'a>> JsonInput<T> for &'a str {
    #[inline(always)]
    fn parse_json(self) -> Row<T> {
        json_row(self, &self)
    }
}

/// A batch of `&str` read by reference (`queue(vec![vec!["{..}"]])`): `T` borrows from the
/// strings themselves.
impl<'b, T: Deserialize<'b>> JsonInput<T> for &&'b str {
    #[inline(always)]
    fn parse_json(self) -> Row<T> {
        // The string itself, not the reference to it: `T` borrows for `'b`.
        let &text = self;
        json_row(text, &self)
    }
}

impl<'a, T: Deserialize<'a>> JsonInput<T> for &'a String {
    #[inline(always)]
    fn parse_json(self) -> Row<T> {
        json_row(self.as_str(), &self)
    }
}

impl<'a, T: Deserialize<'a>> JsonInput<T> for &'a [u8] {
    fn parse_json(self) -> Row<T> {
        match utf8_text(self) {
            Ok(text) => json_row(text, &self),
            Err(r) => Row::Malformed(r),
        }
    }
}

impl<'a, T: Deserialize<'a>> JsonInput<T> for &'a Vec<u8> {
    fn parse_json(self) -> Row<T> {
        self.as_slice().parse_json()
    }
}

impl<T: DeserializeOwned> JsonInput<T> for String {
    fn parse_json(self) -> Row<T> {
        match serde_json::from_str(&self) {
            Ok(t) => Row::Parsed(t),
            // The row's own text, without a copy.
            Err(e) => Row::Malformed(Rejected {
                error: e.to_string(),
                text: self,
                kafka: None,
            }),
        }
    }
}

impl<T: DeserializeOwned> JsonInput<T> for Vec<u8> {
    fn parse_json(self) -> Row<T> {
        match utf8_text(&self) {
            Ok(text) => json_row(text, &self),
            Err(r) => Row::Malformed(r),
        }
    }
}

#[cfg(feature = "kafka")]
impl<'a, T: Deserialize<'a>> JsonInput<T> for crate::KafkaRecord<&'a str> {
    fn parse_json(self) -> Row<T> {
        json_row(self.value, &self)
    }
}

#[cfg(feature = "kafka")]
impl<'a, T: Deserialize<'a>> JsonInput<T> for &'a crate::KafkaRecord<String> {
    fn parse_json(self) -> Row<T> {
        json_row(self.value.as_str(), &self)
    }
}

#[cfg(feature = "kafka")]
impl<T: DeserializeOwned> JsonInput<T> for crate::KafkaRecord<String> {
    fn parse_json(self) -> Row<T> {
        json_row(self.value.as_str(), &self)
    }
}

/// How a stage reads one row.
pub trait Format<X> {
    /// What a row becomes.
    type Out;
    /// Reads `row`.
    fn read(&self, row: X) -> Row<Self::Out>;
}

/// `parse json::<T>`: each row is one JSON value (JSON Lines).
pub struct Json<T>(PhantomData<fn() -> T>);

impl<T, X: JsonInput<T>> Format<X> for Json<T> {
    type Out = T;
    #[inline(always)]
    fn read(&self, row: X) -> Row<T> {
        row.parse_json()
    }
}

/// `parse csv::<T> [header]`: each row is one CSV record, its fields mapped to `T`'s by
/// position. With `header`, a row whose fields are `T`'s field names, in order, is a
/// header line (each file's first line): skipped, neither parsed nor malformed.
pub struct Csv<T> {
    /// `T`'s field names, with `header`.
    header: Option<&'static [&'static str]>,
    _t: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Csv<T> {
    /// The format of a stage with or without `header`. With `header`, `T` must be a struct
    /// with named fields (an error says so otherwise).
    pub fn new(header: bool) -> Result<Self, String> {
        let header = if header {
            Some(field_names::<T>().ok_or_else(|| {
                format!(
                    "`parse csv::<{}> header` recognises header lines by the field names of the type, and it has none: use a struct with named fields, or drop `header`",
                    std::any::type_name::<T>()
                )
            })?)
        } else {
            None
        };
        Ok(Csv {
            header,
            _t: PhantomData,
        })
    }

    /// One CSV record: `T`, a header line, or why it is not a `T`.
    pub fn read_text(&self, text: &str) -> Result<Option<T>, String> {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(text.len().clamp(64, 1 << 20) + 1)
            .from_reader(text.as_bytes());
        let mut record = ::csv::StringRecord::new();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Err("an empty line is not a CSV record".to_string()),
            Err(e) => return Err(csv_message(e)),
        }
        // A line holds one record: a second one means a quoted field ran over its end.
        let mut rest = ::csv::StringRecord::new();
        if let Ok(true) = reader.read_record(&mut rest) {
            return Err("more than one CSV record on one line".to_string());
        }
        if let Some(names) = self.header {
            if record.len() == names.len() && record.iter().zip(names).all(|(a, b)| a == *b) {
                return Ok(None);
            }
        }
        record.deserialize(None).map(Some).map_err(csv_message)
    }
}

/// A CSV error without the reader's record and line numbers (always the first of a
/// one-line reader, and so misleading).
fn csv_message(e: ::csv::Error) -> String {
    match e.kind() {
        ::csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        ::csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8: {err}"),
        _ => e.to_string(),
    }
}

impl<T: DeserializeOwned, X: ParseInput> Format<X> for Csv<T> {
    type Out = T;
    fn read(&self, row: X) -> Row<T> {
        let text = match utf8_text(&row) {
            Ok(text) => text,
            Err(r) => return Row::Malformed(r),
        };
        match self.read_text(text) {
            Ok(Some(t)) => Row::Parsed(t),
            Ok(None) => Row::Header,
            Err(e) => Row::Malformed(row.reject(e)),
        }
    }
}

/// The field names of a struct `T` as serde sees them (renames applied), read by asking
/// `T` to deserialize itself from a deserializer that only records what it is asked for.
pub fn field_names<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut names = None;
    let _ = T::deserialize(FieldNames(&mut names));
    names
}

struct FieldNames<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(serde::de::Error::custom("field names recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// A malformed row of one run, numbered within the run.
struct Bad {
    index: u64,
    rejected: Rejected,
}

/// What one run of a batch saw.
struct Tally {
    /// The batch it belongs to: a batch that failed in a user function leaves its runs'
    /// tallies behind, and the next batch's `finish` ignores them.
    time: BatchTime,
    /// The run's number ([`crate::par::current_run`]).
    run: usize,
    /// Rows that reached the stage (header lines included).
    rows: u64,
    malformed: Vec<Bad>,
}

/// A `parse` stage's runtime half, set up once per pipeline: its name and mode, and the
/// tallies of the current batch's runs.
pub struct Parse {
    stage: &'static str,
    mode: Mode,
    tallies: Mutex<Vec<Tally>>,
    /// `failfast`: the lowest number of a run that met a malformed row (`usize::MAX`: none).
    /// The runs after it stop early; the runs before it go on, since the batch's first
    /// malformed row, the one the error names, may still be theirs.
    failed: AtomicUsize,
}

impl Parse {
    /// The stage `stage` (how messages and metrics name it) in `mode`.
    pub fn new(stage: &'static str, mode: Mode) -> Self {
        Parse {
            stage,
            mode,
            tallies: Mutex::new(Vec::new()),
            failed: AtomicUsize::new(usize::MAX),
        }
    }

    /// Ends the batch's runs: counts the malformed rows (in the batch and the source's
    /// metrics), then hands them to `stream` (`malformed(name)`), logs them, drops them or
    /// fails the batch, as the mode says.
    pub fn finish(
        &self,
        ctx: &mut BatchContext<'_>,
        source: Option<&SourceMetrics>,
        stream: Option<&mut Vec<Malformed>>,
    ) -> Result<(), StreamingError> {
        let mut tallies =
            std::mem::take(&mut *self.tallies.lock().unwrap_or_else(|e| e.into_inner()));
        self.failed.store(usize::MAX, Ordering::Relaxed);
        // Run order; a run's rows come before the next run's (stable: runs folded one
        // after another outside `par::run` keep their order).
        let time = ctx.time();
        tallies.retain(|t| t.time == time);
        tallies.sort_by_key(|t| t.run);
        let mut before = 0u64;
        let mut rows = Vec::new();
        for t in tallies {
            rows.extend(t.malformed.into_iter().map(|b| Malformed {
                text: b.rejected.text,
                error: b.rejected.error,
                stage: self.stage,
                batch_time: time,
                index: before + b.index,
                partition: b.rejected.kafka.map(|k| k.0),
                offset: b.rejected.kafka.map(|k| k.1),
            }));
            before += t.rows;
        }
        let n = rows.len() as u64;
        if n == 0 {
            return Ok(());
        }
        ctx.add_malformed_rows(self.stage, n);
        if let Some(m) = source {
            m.add_malformed_rows(n);
        }
        match (self.mode, stream) {
            (Mode::FailFast, _) => {
                let Some(first) = rows.into_iter().next() else {
                    return Ok(());
                };
                Err(StreamingError::MalformedRow {
                    time,
                    stage: self.stage.to_string(),
                    index: first.index,
                    error: first.error,
                    text: cut(&first.text).into_owned(),
                })
            }
            (Mode::DropMalformed, _) => {
                tracing::debug!(stage = self.stage, rows = n, "malformed rows dropped");
                Ok(())
            }
            (Mode::Permissive, Some(out)) => {
                out.extend(rows);
                Ok(())
            }
            (Mode::Permissive, None) => {
                for r in rows.iter().take(WARNINGS_PER_BATCH) {
                    tracing::warn!(
                        stage = self.stage,
                        batch = %time,
                        row = r.index,
                        partition = r.partition,
                        offset = r.offset,
                        error = %r.error,
                        text = %cut(&r.text),
                        "malformed row (name a stream with `malformed(name)` to keep such rows)"
                    );
                }
                if rows.len() > WARNINGS_PER_BATCH {
                    tracing::warn!(
                        stage = self.stage,
                        batch = %time,
                        more = rows.len() - WARNINGS_PER_BATCH,
                        "more malformed rows in this batch (counted, not logged one by one)"
                    );
                }
                Ok(())
            }
        }
    }
}

/// The iterator of one run through a `parse` stage: the rows that are a `T`. It hands its
/// tally to the stage when dropped.
pub struct Parsed<'s, I, F> {
    it: I,
    format: F,
    stage: &'s Parse,
    tally: Tally,
    stopped: bool,
}

impl<I, F> Iterator for Parsed<'_, I, F>
where
    I: Iterator,
    F: Format<I::Item>,
{
    type Item = F::Out;

    fn next(&mut self) -> Option<F::Out> {
        if self.stopped {
            return None;
        }
        let failfast = self.stage.mode == Mode::FailFast;
        loop {
            if failfast && self.stage.failed.load(Ordering::Relaxed) < self.tally.run {
                self.stopped = true;
                return None;
            }
            let row = self.it.next()?;
            let index = self.tally.rows;
            self.tally.rows += 1;
            match self.format.read(row) {
                Row::Parsed(t) => return Some(t),
                Row::Header => {}
                Row::Malformed(rejected) => {
                    self.tally.malformed.push(Bad { index, rejected });
                    if failfast {
                        // The batch fails: the rest of the run need not be read.
                        self.stage
                            .failed
                            .fetch_min(self.tally.run, Ordering::Relaxed);
                        self.stopped = true;
                        return None;
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.it.size_hint().1)
    }

    /// The fused loop consumes a run with `fold`: rows go from serde straight to the next
    /// stage, without `next`'s per-row checks and the `Option` around each row (together
    /// about a tenth of the stage's cost over serde's own work, by callgrind's count).
    /// `failfast` keeps `next`, which stops early when another run failed.
    fn fold<B, G>(mut self, init: B, mut g: G) -> B
    where
        G: FnMut(B, F::Out) -> B,
    {
        let mut acc = init;
        if self.stopped || self.stage.mode == Mode::FailFast {
            for t in self.by_ref() {
                acc = g(acc, t);
            }
            return acc;
        }
        for row in &mut self.it {
            let index = self.tally.rows;
            self.tally.rows += 1;
            match self.format.read(row) {
                Row::Parsed(t) => acc = g(acc, t),
                Row::Header => {}
                Row::Malformed(rejected) => self.tally.malformed.push(Bad { index, rejected }),
            }
        }
        acc
    }
}

impl<I, F> Drop for Parsed<'_, I, F> {
    fn drop(&mut self) {
        let tally = Tally {
            time: self.tally.time,
            run: self.tally.run,
            rows: self.tally.rows,
            malformed: std::mem::take(&mut self.tally.malformed),
        };
        self.stage
            .tallies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tally);
    }
}

fn parsed<I: IntoIterator, F>(
    it: I,
    format: F,
    stage: &Parse,
    time: BatchTime,
) -> Parsed<'_, I::IntoIter, F> {
    Parsed {
        it: it.into_iter(),
        format,
        stage,
        tally: Tally {
            time,
            run: crate::par::current_run(),
            rows: 0,
            malformed: Vec::new(),
        },
        stopped: false,
    }
}

/// `parse json::<T>` over one run's iterator, in the batch at `time`.
pub fn json<T, I>(it: I, stage: &Parse, time: BatchTime) -> Parsed<'_, I::IntoIter, Json<T>>
where
    I: IntoIterator,
    I::Item: JsonInput<T>,
{
    parsed(it, Json(PhantomData), stage, time)
}

/// `parse csv::<T> [header]` over one run's iterator. `format` is the stage's
/// [`Csv::new`], checked when the pipeline is built.
pub fn csv<'s, T, I>(
    it: I,
    stage: &'s Parse,
    format: &'s CsvFormat<T>,
    time: BatchTime,
) -> Parsed<'s, I::IntoIter, &'s Csv<T>>
where
    T: DeserializeOwned,
    I: IntoIterator,
    I::Item: ParseInput,
{
    parsed(it, &format.0, stage, time)
}

impl<T: DeserializeOwned, X: ParseInput> Format<X> for &Csv<T> {
    type Out = T;
    #[inline]
    fn read(&self, row: X) -> Row<T> {
        (**self).read(row)
    }
}

/// A `parse csv::<T>` stage's format, set up with the pipeline: `T`'s field names, if the
/// stage has a `header`, are read once.
pub struct CsvFormat<T>(Csv<T>, Option<String>);

impl<T: DeserializeOwned> CsvFormat<T> {
    /// With or without `header`. `header` asked of a `T` without field names is a
    /// configuration error, which [`CsvFormat::check`] reports in every batch (the
    /// pipeline's setup cannot fail).
    pub fn new(header: bool) -> Self {
        match Csv::new(header) {
            Ok(csv) => CsvFormat(csv, None),
            Err(e) => CsvFormat(
                Csv {
                    header: None,
                    _t: PhantomData,
                },
                Some(e),
            ),
        }
    }

    /// `Err` if the format could not be set up as written.
    pub fn check(&self) -> Result<(), StreamingError> {
        match &self.1 {
            None => Ok(()),
            Some(e) => Err(StreamingError::Config(e.clone())),
        }
    }
}

/// The `Vec` of a `parse` stage run with `fusion off`.
pub fn collect<I: Iterator>(it: I) -> Vec<I::Item> {
    it.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Event {
        user: String,
        n: i64,
        note: Option<String>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Borrowed<'a> {
        user: &'a str,
        n: i64,
    }

    const T2: BatchTime = BatchTime::from_millis(2000);

    fn ctx_run<R>(f: impl FnOnce(&mut BatchContext<'_>) -> R) -> R {
        let mut out = Vec::new();
        let mut ctx = BatchContext::new(T2, BatchTime::ZERO, 1, &mut out);
        f(&mut ctx)
    }

    #[test]
    fn json_rows_are_parsed_or_malformed_with_their_position() {
        let stage = Parse::new("parse (pipeline statement 1)", Mode::Permissive);
        let lines = vec![
            r#"{"user":"a","n":1}"#.to_string(),
            r#"{"user":"b","n":"x"}"#.to_string(),
            r#"{"user":"c","n":3,"extra":true}"#.to_string(),
            r#"{"user":"d"}"#.to_string(),
            r#"{"user":"e","#.to_string(),
        ];
        let got: Vec<Event> = json(&lines, &stage, T2).collect();
        assert_eq!(
            got.iter().map(|e| e.user.as_str()).collect::<Vec<_>>(),
            ["a", "c"]
        );
        let mut bad = Vec::new();
        let metrics = SourceMetrics::new("s");
        ctx_run(|ctx| {
            stage.finish(ctx, Some(&metrics), Some(&mut bad)).unwrap();
            assert_eq!(ctx.malformed_rows(), [("parse (pipeline statement 1)", 3)]);
        });
        assert_eq!(metrics.snapshot().malformed_rows, 3);
        assert_eq!(bad.iter().map(|m| m.index).collect::<Vec<_>>(), [1, 3, 4]);
        assert_eq!(bad[0].text, lines[1]);
        assert_eq!(bad[0].batch_time, BatchTime::from_millis(2000));
        assert!(
            bad[1].error.contains("missing field `n`"),
            "{}",
            bad[1].error
        );
        assert!(bad[2].error.contains("EOF"), "{}", bad[2].error);
        let shown = bad[0].to_string();
        assert!(
            shown.starts_with(
                "malformed row 1 of batch 2000 ms at parse (pipeline statement 1): invalid type"
            ),
            "{shown}"
        );
    }

    #[test]
    fn borrowed_fields_borrow_from_the_batch_and_escapes_are_malformed_for_them() {
        let stage = Parse::new("parse", Mode::DropMalformed);
        let lines = [r#"{"user":"plain","n":1}"#, r#"{"user":"es\"caped","n":2}"#];
        let got: Vec<Borrowed<'_>> = json(lines, &stage, T2).collect();
        assert_eq!(
            got,
            [Borrowed {
                user: "plain",
                n: 1
            }]
        );
        let user = got[0].user.as_ptr() as usize;
        let line = lines[0].as_ptr() as usize;
        assert!(
            user > line && user < line + lines[0].len(),
            "borrowed from the line"
        );
        let mut bad = Vec::new();
        ctx_run(|ctx| stage.finish(ctx, None, Some(&mut bad))).unwrap();
        assert!(bad.is_empty(), "dropmalformed keeps nothing");
    }

    #[test]
    fn runs_are_numbered_in_run_order_whatever_order_they_end_in() {
        let stage = Parse::new("parse", Mode::Permissive);
        let batch: Vec<String> = (0..20_000)
            .map(|i| {
                if i % 7000 == 3 {
                    format!("bad {i}")
                } else {
                    format!("{i}")
                }
            })
            .collect();
        let out = crate::par::run(
            4,
            &batch,
            |chunk| json::<i64, _>(chunk, &stage, T2).collect::<Vec<_>>(),
            |a, mut b| a.append(&mut b),
        );
        assert_eq!(out.len(), 20_000 - 3);
        let mut bad = Vec::new();
        ctx_run(|ctx| stage.finish(ctx, None, Some(&mut bad))).unwrap();
        assert_eq!(
            bad.iter().map(|m| m.index).collect::<Vec<_>>(),
            [3, 7003, 14003]
        );
        assert_eq!(bad[2].text, "bad 14003");
    }

    #[test]
    fn failfast_names_the_first_malformed_row_and_stops() {
        let stage = Parse::new("parse (pipeline statement 2)", Mode::FailFast);
        let lines = ["1", "2", "x", "4", "y"];
        let got: Vec<i64> = json(lines, &stage, T2).collect();
        assert_eq!(got, [1, 2]);
        let err = ctx_run(|ctx| stage.finish(ctx, None, None)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("parse (pipeline statement 2)")
                && msg.contains("row 2")
                && msg.contains("the row: x"),
            "{msg}"
        );
        // The next batch starts afresh.
        let got: Vec<i64> = json(["5"], &stage, T2).collect();
        assert_eq!(got, [5]);
        ctx_run(|ctx| stage.finish(ctx, None, None)).unwrap();
    }

    #[test]
    fn failfast_over_parallel_runs_names_the_batchs_first_malformed_row() {
        let stage = Parse::new("parse", Mode::FailFast);
        let batch: Vec<String> = (0..40_000)
            .map(|i| match i {
                30_000 | 39_000 => "late".to_string(),
                9_000 => "first".to_string(),
                _ => i.to_string(),
            })
            .collect();
        crate::par::run(
            4,
            &batch,
            |chunk| json::<i64, _>(chunk, &stage, T2).count(),
            |a, b| *a += b,
        );
        let err = ctx_run(|ctx| stage.finish(ctx, None, None)).unwrap_err();
        assert!(err.to_string().contains("row 9000 "), "{err}");
    }

    #[test]
    fn invalid_utf8_bytes_are_malformed_and_kept_lossily() {
        let stage = Parse::new("parse", Mode::Permissive);
        let rows: Vec<Vec<u8>> = vec![b"7".to_vec(), b"\"\xff\"".to_vec()];
        let got: Vec<String> = json(rows.iter().map(Vec::as_slice), &stage, T2)
            .map(|s: &str| s.to_string())
            .collect();
        assert!(got.is_empty(), "7 is not a string: {got:?}");
        let mut bad = Vec::new();
        ctx_run(|ctx| stage.finish(ctx, None, Some(&mut bad))).unwrap();
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[1].text, "\"\u{FFFD}\"");
        assert!(
            bad[1].error.starts_with("invalid UTF-8"),
            "{}",
            bad[1].error
        );
    }

    #[test]
    fn csv_maps_fields_by_position_and_skips_header_lines() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct Sale {
            item: String,
            #[serde(rename = "qty")]
            quantity: u32,
        }
        assert_eq!(field_names::<Sale>(), Some(&["item", "qty"][..]));
        assert_eq!(field_names::<(String, u32)>(), None);
        let with = CsvFormat::<Sale>::new(true);
        let stage = Parse::new("parse", Mode::Permissive);
        let lines = [
            "item,qty",
            "pen,2",
            "\"ink, blue\",3",
            "item,qty",
            "pen,two",
            "pen",
            "",
        ];
        let got: Vec<Sale> = csv(lines, &stage, &with, T2).collect();
        assert_eq!(
            got,
            [
                Sale {
                    item: "pen".into(),
                    quantity: 2
                },
                Sale {
                    item: "ink, blue".into(),
                    quantity: 3
                }
            ]
        );
        let mut bad = Vec::new();
        ctx_run(|ctx| stage.finish(ctx, None, Some(&mut bad))).unwrap();
        assert_eq!(bad.iter().map(|m| m.index).collect::<Vec<_>>(), [4, 5, 6]);
        assert!(bad[0].error.contains("field 1"), "{}", bad[0].error);
        // Without `header`, the header line is a row like any other: malformed here.
        let without = CsvFormat::<Sale>::new(false);
        let got: Vec<Sale> = csv(["item,qty", "pen,2"], &stage, &without, T2).collect();
        assert_eq!(got.len(), 1);
        let mut bad = Vec::new();
        ctx_run(|ctx| stage.finish(ctx, None, Some(&mut bad))).unwrap();
        assert_eq!(bad.len(), 1);
        assert!(CsvFormat::<(String, u32)>::new(true).check().is_err());
        // Tuples by position.
        let tuples = CsvFormat::<(String, u32)>::new(false);
        let got: Vec<(String, u32)> = csv(["a,1"], &stage, &tuples, T2).collect();
        assert_eq!(got, [("a".to_string(), 1)]);
    }

    #[test]
    fn long_text_is_cut_when_shown() {
        let long = "x".repeat(10_000);
        let shown = cut(&long);
        assert!(
            shown.len() < 400 && shown.ends_with("(10000 bytes in all)"),
            "{shown}"
        );
        assert_eq!(cut("short"), "short");
    }
}
