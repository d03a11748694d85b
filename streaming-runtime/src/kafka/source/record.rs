//! What a Kafka source hands to a batch: the record values as lines of a [`LineBlock`]
//! (`source kafka(..)`), or whole [`KafkaRecord`]s (`source kafka(..).records()`), in both
//! cases decoded into one buffer per batch, so that elements borrow their strings from the
//! batch and receiving a record allocates nothing.

use std::fmt;
use std::sync::Arc;

use crate::block::{Block, LineBlock, split_evenly};
use crate::owned::IntoOwned;
use crate::par::IntoChunks;
use crate::show::SparkDisplay;

/// One Kafka record with its coordinates, Spark's `ConsumerRecord`: what
/// `source kafka(..).records()` gives. Key and value are decoded as UTF-8 (lossily, counted
/// as bad input like lines); elements borrow them from the batch (`KafkaRecord<&str>`), and
/// `collect` stores owned copies (`KafkaRecord<String>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KafkaRecord<S = String> {
    /// The topic the record was read from.
    pub topic: S,
    /// The record's partition of that topic.
    pub partition: i32,
    /// The record's offset in its partition.
    pub offset: i64,
    /// Milliseconds since the Unix epoch (the producer's create time or the broker's log
    /// append time), when the record has one.
    pub timestamp: Option<i64>,
    /// `None` for a record written without a key.
    pub key: Option<S>,
    /// Empty for a record without a value (a tombstone).
    pub value: S,
}

impl IntoOwned for KafkaRecord<&str> {
    type Owned = KafkaRecord<String>;
    fn into_owned(self) -> KafkaRecord<String> {
        KafkaRecord {
            topic: self.topic.to_string(),
            partition: self.partition,
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key.map(str::to_string),
            value: self.value.to_string(),
        }
    }
}

impl IntoOwned for KafkaRecord<String> {
    type Owned = KafkaRecord<String>;
    fn into_owned(self) -> Self {
        self
    }
}

/// Shown as Spark shows a `ConsumerRecord` (without the fields this record does not carry:
/// leader epoch, header and serialized sizes).
impl<S: AsRef<str>> SparkDisplay for KafkaRecord<S> {
    fn fmt_spark(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ConsumerRecord(topic = {}, partition = {}, offset = {}, CreateTime = {}, key = {}, value = {})",
            self.topic.as_ref(),
            self.partition,
            self.offset,
            self.timestamp.unwrap_or(-1),
            self.key.as_ref().map_or("null", AsRef::as_ref),
            self.value.as_ref()
        )
    }
}

/// Where one record's strings lie in a [`KafkaRecords`] buffer.
#[derive(Clone, Copy, Debug)]
struct Meta {
    topic: u32,
    partition: i32,
    offset: i64,
    timestamp: Option<i64>,
    key: Option<(usize, usize)>,
    value: (usize, usize),
}

/// A batch of `.records()`: every record's key and value in one text buffer.
#[derive(Clone, Default, Debug)]
pub struct KafkaRecords {
    topics: Arc<[String]>,
    text: String,
    meta: Vec<Meta>,
}

impl KafkaRecords {
    pub(crate) fn new(topics: Arc<[String]>) -> Self {
        KafkaRecords {
            topics,
            text: String::new(),
            meta: Vec::new(),
        }
    }

    pub(crate) fn push(
        &mut self,
        topic: u32,
        partition: i32,
        offset: i64,
        timestamp: Option<i64>,
        key: Option<&str>,
        value: &str,
    ) {
        let key = key.map(|k| {
            let start = self.text.len();
            self.text.push_str(k);
            (start, self.text.len())
        });
        let start = self.text.len();
        self.text.push_str(value);
        self.meta.push(Meta {
            topic,
            partition,
            offset,
            timestamp,
            key,
            value: (start, self.text.len()),
        });
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// The records, borrowed from the batch.
    pub fn iter(&self) -> Records<'_> {
        Records {
            batch: self,
            meta: self.meta.iter(),
        }
    }
}

impl Block for KafkaRecords {
    fn records(&self) -> usize {
        self.meta.len()
    }
    fn byte_size(&self) -> usize {
        self.text.len() + self.meta.len() * std::mem::size_of::<Meta>()
    }
    fn append(&mut self, other: Self) {
        if self.is_empty() {
            *self = other;
            return;
        }
        let base = self.text.len();
        self.text.push_str(&other.text);
        let shift = |(s, e): (usize, usize)| (s + base, e + base);
        self.meta.extend(other.meta.into_iter().map(|m| Meta {
            key: m.key.map(shift),
            value: shift(m.value),
            ..m
        }));
    }
}

/// Iterator over (a run of) a [`KafkaRecords`] batch.
#[derive(Clone)]
pub struct Records<'a> {
    batch: &'a KafkaRecords,
    meta: std::slice::Iter<'a, Meta>,
}

impl<'a> Iterator for Records<'a> {
    type Item = KafkaRecord<&'a str>;

    #[inline]
    fn next(&mut self) -> Option<KafkaRecord<&'a str>> {
        let m = self.meta.next()?;
        let text = self.batch.text.as_str();
        // Spans are recorded at char boundaries of valid UTF-8 by construction.
        let at = |(s, e): (usize, usize)| text.get(s..e).unwrap_or_default();
        Some(KafkaRecord {
            topic: self
                .batch
                .topics
                .get(m.topic as usize)
                .map_or("", String::as_str),
            partition: m.partition,
            offset: m.offset,
            timestamp: m.timestamp,
            key: m.key.map(at),
            value: at(m.value),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.meta.size_hint()
    }
}

impl ExactSizeIterator for Records<'_> {}

impl<'a> IntoIterator for &'a KafkaRecords {
    type Item = KafkaRecord<&'a str>;
    type IntoIter = Records<'a>;
    fn into_iter(self) -> Records<'a> {
        self.iter()
    }
}

impl<'a> IntoChunks for &'a KafkaRecords {
    type Chunk = Records<'a>;
    fn element_count(&self) -> usize {
        self.meta.len()
    }
    fn into_chunks(self, n: usize) -> Vec<Records<'a>> {
        split_evenly(self.meta.len(), n)
            .map(|(a, b)| Records {
                batch: self,
                meta: self.meta[a..b].iter(),
            })
            .collect()
    }
}

impl<'a> IntoChunks for &'a mut KafkaRecords {
    type Chunk = Records<'a>;
    fn element_count(&self) -> usize {
        self.meta.len()
    }
    fn into_chunks(self, n: usize) -> Vec<Records<'a>> {
        let this: &'a KafkaRecords = self;
        this.into_chunks(n)
    }
}

/// How a Kafka source's batches are built: record values as lines, or whole records.
pub trait KafkaMode: Send + Sync + 'static {
    /// The batch the records are pushed into.
    type Batch: Block;
    /// An empty batch of records from `topics`.
    fn new_batch(topics: &Arc<[String]>) -> Self::Batch;
    /// Appends one record; `topic` is its topic's index in `topics`.
    fn push(batch: &mut Self::Batch, record: KafkaRecord<&str>, topic: u32);
}

/// `source kafka(..)`: elements are the record values (`&str`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Values;

/// `source kafka(..).records()`: elements are [`KafkaRecord`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct WholeRecords;

impl KafkaMode for Values {
    type Batch = LineBlock;
    fn new_batch(_: &Arc<[String]>) -> LineBlock {
        LineBlock::new()
    }
    #[inline]
    fn push(batch: &mut LineBlock, record: KafkaRecord<&str>, _: u32) {
        batch.push(record.value);
    }
}

impl KafkaMode for WholeRecords {
    type Batch = KafkaRecords;
    fn new_batch(topics: &Arc<[String]>) -> KafkaRecords {
        KafkaRecords::new(Arc::clone(topics))
    }
    #[inline]
    fn push(batch: &mut KafkaRecords, r: KafkaRecord<&str>, topic: u32) {
        batch.push(topic, r.partition, r.offset, r.timestamp, r.key, r.value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::Spark;

    #[test]
    fn records_borrow_from_the_batch_and_split_into_runs() {
        let topics: Arc<[String]> = vec!["a".to_string(), "b".to_string()].into();
        let mut batch = KafkaRecords::new(Arc::clone(&topics));
        batch.push(0, 0, 7, Some(1000), Some("k"), "v1");
        batch.push(1, 2, 3, None, None, "v2");
        let mut other = KafkaRecords::new(topics);
        other.push(0, 1, 9, Some(5), Some("kk"), "v3");
        batch.append(other);
        let all: Vec<_> = batch.iter().map(IntoOwned::into_owned).collect();
        assert_eq!(all.len(), 3);
        assert_eq!(
            (
                all[1].topic.as_str(),
                all[1].partition,
                all[1].key.as_deref()
            ),
            ("b", 2, None)
        );
        assert_eq!(
            (all[2].key.as_deref(), all[2].value.as_str(), all[2].offset),
            (Some("kk"), "v3", 9)
        );
        let runs = (&mut batch).into_chunks(2);
        assert_eq!(runs.iter().map(|r| r.len()).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(
            format!("{}", Spark(&batch.iter().next().unwrap())),
            "ConsumerRecord(topic = a, partition = 0, offset = 7, CreateTime = 1000, key = k, value = v1)"
        );
    }
}
