//! What a source hands to a batch: a [`LineBlock`] for text sources (one buffer plus line
//! spans, so receiving a line allocates nothing) or a `Vec<T>` for typed ones.

use std::fmt;

/// A buffer a receiver fills and a batch drains. Implemented by [`LineBlock`] and `Vec<T>`.
pub trait Block: Default + Send + 'static {
    /// Records held.
    fn records(&self) -> usize;
    /// Approximate heap bytes held; bounded buffers are sized in these.
    fn byte_size(&self) -> usize;
    /// Moves `other`'s records after `self`'s.
    fn append(&mut self, other: Self);

    /// How the write-ahead log (`checkpoint "dir" wal;`, [`crate::wal`]) records blocks of
    /// this kind. `None`: this kind of block cannot be logged (only lines can).
    fn log_format() -> Option<LogFormat<Self>> {
        None
    }
}

/// A kind of block as the write-ahead log records it: the payload of one data record, and
/// the block read back from one. The log itself knows only records, so that it can sit above
/// the blocks it stores.
pub struct LogFormat<B> {
    /// Encodes a block as the payload of one data record.
    pub encode: fn(&B) -> Vec<u8>,
    /// Decodes a data record's payload into the block `encode` wrote.
    pub decode: fn(&[u8]) -> B,
}

impl<B> Clone for LogFormat<B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for LogFormat<B> {}

impl<T: Send + 'static> Block for Vec<T> {
    fn records(&self) -> usize {
        self.len()
    }
    fn byte_size(&self) -> usize {
        self.len().saturating_mul(std::mem::size_of::<T>().max(1))
    }
    fn append(&mut self, mut other: Self) {
        // Into an empty block (the usual case: one block per batch) move, don't copy.
        if self.is_empty() {
            *self = other;
        } else {
            Vec::append(self, &mut other)
        }
    }
}

/// Lines of text in one contiguous buffer; line `i` is `text[spans[i].0..spans[i].1]`.
/// Bulk appends copy a whole chunk of input at once and only record spans, so separators
/// (`\n`, `\r\n`) stay in the buffer between lines. Iterating borrows `&str`s.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LineBlock {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl LineBlock {
    /// An empty block.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty block with room for `bytes` of text in `lines` lines before it grows.
    pub fn with_capacity(bytes: usize, lines: usize) -> Self {
        LineBlock {
            text: String::with_capacity(bytes),
            spans: Vec::with_capacity(lines),
        }
    }

    /// Appends one line (the caller has removed its terminator).
    pub fn push(&mut self, line: &str) {
        let start = self.text.len();
        self.text.push_str(line);
        self.spans.push((start, self.text.len()));
    }

    /// Appends every line of `text`: lines end at `\n`, a `\r` before it is dropped, and a
    /// last line without a terminator is included. One copy for the whole chunk.
    pub fn push_lines(&mut self, text: &str) {
        let base = self.text.len();
        self.text.push_str(text);
        let bytes = text.as_bytes();
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', bytes) {
            let end = if nl > start && bytes[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            self.spans.push((base + start, base + end));
            start = nl + 1;
        }
        if start < bytes.len() {
            self.spans.push((base + start, base + bytes.len()));
        }
    }

    /// The number of lines.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the block holds no line.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Line `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&str> {
        let &(s, e) = self.spans.get(i)?;
        self.text.get(s..e)
    }

    /// The lines, borrowed from the buffer.
    pub fn iter(&self) -> Lines<'_> {
        Lines {
            text: &self.text,
            spans: self.spans.iter(),
        }
    }

    /// Bytes of text held (including separators kept from bulk appends).
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Removes every line, keeping the buffers' capacity for the next batch.
    pub fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// The lines joined by `\n`: a write-ahead log record's payload.
    fn log_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text_len() + self.len());
        for (n, line) in self.iter().enumerate() {
            if n > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(line.as_bytes());
        }
        out
    }

    /// The lines of a write-ahead log record's payload.
    fn from_log_bytes(bytes: &[u8]) -> LineBlock {
        let mut block = LineBlock::new();
        for line in String::from_utf8_lossy(bytes).split('\n') {
            block.push(line);
        }
        block
    }

    /// Splits the lines into at most `n` runs of (nearly) equal line counts, in order.
    pub fn slices(&self, n: usize) -> Vec<Lines<'_>> {
        split_evenly(self.spans.len(), n)
            .map(|(a, b)| Lines {
                text: &self.text,
                spans: self.spans[a..b].iter(),
            })
            .collect()
    }
}

/// `[0, len)` cut into `min(n, len)` (at least one) consecutive ranges of near-equal size.
pub(crate) fn split_evenly(len: usize, n: usize) -> impl Iterator<Item = (usize, usize)> {
    let n = n.clamp(1, len.max(1));
    let (base, extra) = (len / n, len % n);
    (0..n).scan(0, move |start, i| {
        let size = base + usize::from(i < extra);
        let range = (*start, *start + size);
        *start += size;
        Some(range)
    })
}

impl fmt::Debug for LineBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Block for LineBlock {
    fn log_format() -> Option<LogFormat<Self>> {
        Some(LogFormat {
            encode: LineBlock::log_bytes,
            decode: LineBlock::from_log_bytes,
        })
    }

    fn records(&self) -> usize {
        self.len()
    }
    fn byte_size(&self) -> usize {
        self.text.len() + self.spans.len() * std::mem::size_of::<(usize, usize)>()
    }
    fn append(&mut self, other: Self) {
        if self.is_empty() {
            *self = other;
            return;
        }
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.spans
            .extend(other.spans.iter().map(|&(s, e)| (s + base, e + base)));
    }
}

impl<S: AsRef<str>> FromIterator<S> for LineBlock {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut block = LineBlock::new();
        for line in iter {
            block.push(line.as_ref());
        }
        block
    }
}

impl<'a> IntoIterator for &'a LineBlock {
    type Item = &'a str;
    type IntoIter = Lines<'a>;
    fn into_iter(self) -> Lines<'a> {
        self.iter()
    }
}

/// Iterator over (a run of) a [`LineBlock`]'s lines.
#[derive(Clone)]
pub struct Lines<'a> {
    text: &'a str,
    spans: std::slice::Iter<'a, (usize, usize)>,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let &(s, e) = self.spans.next()?;
        // Spans are recorded at char boundaries of valid UTF-8 by construction.
        Some(self.text.get(s..e).unwrap_or_default())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl ExactSizeIterator for Lines<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_lines_handles_crlf_empty_and_unterminated() {
        let mut b = LineBlock::new();
        b.push_lines("a\r\n\nbc\nlast");
        assert_eq!(b.iter().collect::<Vec<_>>(), ["a", "", "bc", "last"]);
        b.push("x");
        assert_eq!(b.len(), 5);
        assert_eq!(b.get(4), Some("x"));
    }

    #[test]
    fn append_and_slices_keep_order() {
        let mut a: LineBlock = ["1", "2", "3"].into_iter().collect();
        let b: LineBlock = ["4", "5"].into_iter().collect();
        a.append(b);
        let parts: Vec<Vec<&str>> = a.slices(2).into_iter().map(|s| s.collect()).collect();
        assert_eq!(parts, vec![vec!["1", "2", "3"], vec!["4", "5"]]);
        assert_eq!(a.slices(10).len(), 5);
        assert_eq!(LineBlock::new().slices(4).len(), 1);
    }

    #[test]
    fn split_evenly_covers_everything() {
        for len in 0..20 {
            for n in 1..6 {
                let ranges: Vec<_> = split_evenly(len, n).collect();
                assert_eq!(ranges.first().map(|r| r.0), Some(0));
                assert_eq!(ranges.last().map(|r| r.1), Some(len));
                assert!(ranges.windows(2).all(|w| w[0].1 == w[1].0));
            }
        }
    }
}
