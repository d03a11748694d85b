//! Bytes to lines for every text source (socket, stdin, files).
//!
//! Bad input never stops a source: invalid UTF-8 is decoded lossily, over-long lines are cut,
//! and each event is counted in [`SourceMetrics`] and logged (without the line's content).
//! The common case — a chunk of valid, reasonably short lines — costs one UTF-8 check, one
//! `memchr` pass and one copy into the [`LineBlock`], with no allocation per line.

use std::sync::Arc;

use memchr::{memchr, memchr_iter, memrchr};
use tracing::warn;

use crate::block::LineBlock;
use crate::metrics::SourceMetrics;

/// Default maximum line length: 1 MiB. Longer lines are cut to it.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Keeps a long line's buffer from pinning memory after the line is gone.
const TAIL_KEEP_CAPACITY: usize = 64 << 10;

/// Splits a byte stream into lines: `\n` ends a line and a `\r` before it is dropped; empty
/// lines are kept. Feed it chunks as they arrive; an unfinished line is carried over to the
/// next chunk (at most `max_line_bytes + 1` bytes of it are ever held).
#[derive(Debug)]
pub struct LineDecoder {
    max_line_bytes: usize,
    /// The unfinished line (without its terminator), at most `max_line_bytes + 1` bytes: one
    /// more than the maximum so that a line of exactly the maximum followed by a `\r` that
    /// may turn out to be part of `\r\n` is not cut.
    tail: Vec<u8>,
    /// Skipping the rest of an over-long line that was already emitted.
    discarding: bool,
    metrics: Arc<SourceMetrics>,
    // Per-decoder event counts, only to throttle logging on garbage input.
    invalid_events: u64,
    truncated_events: u64,
    partial_events: u64,
}

impl LineDecoder {
    /// A decoder counting bad-input events in `metrics` (whose name also labels the logs).
    pub fn new(metrics: Arc<SourceMetrics>) -> Self {
        LineDecoder {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            tail: Vec::new(),
            discarding: false,
            metrics,
            invalid_events: 0,
            truncated_events: 0,
            partial_events: 0,
        }
    }

    /// Lines longer than `max` bytes (without terminator) keep their first `max` bytes, cut
    /// back to a char boundary; the rest of the line is dropped unread.
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max;
        self
    }

    /// The longest line kept whole, in bytes (without terminator).
    pub fn max_line_bytes(&self) -> usize {
        self.max_line_bytes
    }

    /// Bytes of an unfinished line currently held.
    pub fn buffered(&self) -> usize {
        self.tail.len()
    }

    /// Appends the lines completed by `bytes` to `out`, keeping an unfinished last line.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut LineBlock) {
        if self.discarding {
            match memchr(b'\n', bytes) {
                None => return,
                Some(nl) => {
                    self.discarding = false;
                    bytes = &bytes[nl + 1..];
                }
            }
        }
        if !self.tail.is_empty() {
            match memchr(b'\n', bytes) {
                None => {
                    self.extend_tail(bytes, out);
                    return;
                }
                Some(nl) => {
                    self.extend_tail(&bytes[..nl], out);
                    if self.discarding {
                        // The over-long line was emitted by `extend_tail` and ends here.
                        self.discarding = false;
                    } else {
                        self.emit_tail(out);
                    }
                    bytes = &bytes[nl + 1..];
                }
            }
        }
        // `bytes` now starts at the beginning of a line.
        match memrchr(b'\n', bytes) {
            None => self.extend_tail(bytes, out),
            Some(last) => {
                self.feed_complete(&bytes[..=last], out);
                self.extend_tail(&bytes[last + 1..], out);
            }
        }
    }

    /// The connection was lost: a non-empty unfinished line is emitted (as Java's
    /// `BufferedReader.readLine`, behind Spark's `socketTextStream`, does) and counted as
    /// partial. An over-long line already emitted cut is not emitted again.
    pub fn finish(&mut self, out: &mut LineBlock) {
        if !self.discarding && !self.tail.is_empty() {
            self.partial_events += 1;
            self.metrics.add_partial_lines(1);
            if loud(self.partial_events) {
                warn!(
                    source = %self.metrics.name(),
                    line_bytes = self.tail.len(),
                    count = self.partial_events,
                    "input ended in the middle of a line; keeping the partial line"
                );
            }
        }
        self.end_of_input(out);
    }

    /// The input ended normally (end of a file, stdin at EOF): a last line without a newline
    /// is an ordinary line, not counted as partial.
    pub fn end_of_input(&mut self, out: &mut LineBlock) {
        if self.discarding {
            self.discarding = false;
            self.clear_tail();
        } else if !self.tail.is_empty() {
            self.emit_tail(out);
        }
    }

    /// Drops any unfinished line without emitting it (e.g. after a failed file read).
    pub fn reset(&mut self) {
        self.discarding = false;
        self.clear_tail();
    }

    /// Adds bytes without a newline to the unfinished line; cuts the line as soon as it is
    /// known to be over-long, so that a huge line is never buffered whole.
    fn extend_tail(&mut self, data: &[u8], out: &mut LineBlock) {
        if data.is_empty() {
            return;
        }
        let cap = self.max_line_bytes.saturating_add(1);
        let room = cap.saturating_sub(self.tail.len());
        if data.len() < room {
            self.tail.extend_from_slice(data);
            return;
        }
        self.tail.extend_from_slice(&data[..room]);
        if data.len() == room && self.tail.last() == Some(&b'\r') {
            // Exactly the maximum plus a `\r`: fine if a `\n` comes next.
            return;
        }
        let tail = std::mem::take(&mut self.tail);
        self.emit(&tail, out);
        self.tail = tail;
        self.clear_tail();
        self.discarding = true;
    }

    /// Emits the unfinished line as a complete one (its `\n` was seen or the input ended).
    fn emit_tail(&mut self, out: &mut LineBlock) {
        let tail = std::mem::take(&mut self.tail);
        self.emit(strip_cr(&tail), out);
        self.tail = tail;
        self.clear_tail();
    }

    fn clear_tail(&mut self) {
        self.tail.clear();
        if self.tail.capacity() > TAIL_KEEP_CAPACITY {
            self.tail.shrink_to(TAIL_KEEP_CAPACITY);
        }
    }

    /// `bytes` starts at a line start and ends with `\n`. Runs of valid lines are copied in
    /// bulk; only lines that are invalid UTF-8 or over-long take the per-line path.
    fn feed_complete(&mut self, mut bytes: &[u8], out: &mut LineBlock) {
        while !bytes.is_empty() {
            let valid = match std::str::from_utf8(bytes) {
                Ok(text) => {
                    self.push_valid(text, out);
                    return;
                }
                Err(e) => e.valid_up_to(),
            };
            // Whole lines before the bad one are fine.
            let good_end = memrchr(b'\n', &bytes[..valid]).map_or(0, |i| i + 1);
            if let Ok(text) = std::str::from_utf8(&bytes[..good_end]) {
                self.push_valid(text, out);
            }
            let rest = &bytes[good_end..];
            // `bytes` ends with `\n`, so the bad line has one.
            let nl = memchr(b'\n', rest).unwrap_or(rest.len());
            self.emit(strip_cr(&rest[..nl]), out);
            bytes = rest.get(nl + 1..).unwrap_or_default();
        }
    }

    /// Valid UTF-8 lines, each ending with `\n`.
    fn push_valid(&mut self, text: &str, out: &mut LineBlock) {
        let max = self.max_line_bytes;
        if text.len() <= max.saturating_add(1) {
            // No line in here can be longer than the maximum.
            out.push_lines(text);
            return;
        }
        let bytes = text.as_bytes();
        let (mut run, mut start) = (0, 0);
        for nl in memchr_iter(b'\n', bytes) {
            let line = strip_cr(&bytes[start..nl]);
            if line.len() > max {
                if let Some(valid_run) = text.get(run..start) {
                    out.push_lines(valid_run);
                }
                self.emit(line, out);
                run = nl + 1;
            }
            start = nl + 1;
        }
        if let Some(valid_run) = text.get(run..) {
            out.push_lines(valid_run);
        }
    }

    /// The slow path for one line (terminator removed): cut, decode lossily, count, log.
    fn emit(&mut self, line: &[u8], out: &mut LineBlock) {
        let max = self.max_line_bytes;
        let line = if line.len() > max {
            self.truncated_events += 1;
            self.metrics.add_truncated_lines(1);
            if loud(self.truncated_events) {
                warn!(
                    source = %self.metrics.name(),
                    max_line_bytes = max,
                    count = self.truncated_events,
                    "line longer than the maximum; keeping its first max_line_bytes bytes"
                );
            }
            &line[..char_cut(line, max)]
        } else {
            line
        };
        match std::str::from_utf8(line) {
            Ok(text) => out.push(text),
            Err(_) => {
                self.invalid_events += 1;
                self.metrics.add_invalid_utf8(1);
                if loud(self.invalid_events) {
                    warn!(
                        source = %self.metrics.name(),
                        line_bytes = line.len(),
                        count = self.invalid_events,
                        "line is not valid UTF-8; decoded lossily"
                    );
                }
                out.push(&String::from_utf8_lossy(line));
            }
        }
    }
}

/// Logs the first few events of a kind, then only at powers of two, so garbage input cannot
/// flood the log; the metrics still count every event.
pub(crate) fn loud(count: u64) -> bool {
    count <= 10 || count.is_power_of_two()
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Where to cut `line` (longer than `max`) so that no character is split: back up over at
/// most three UTF-8 continuation bytes. Invalid input just gets cut at `max`.
pub(crate) fn char_cut(line: &[u8], max: usize) -> usize {
    let is_continuation = |i: usize| line.get(i).is_some_and(|b| b & 0xC0 == 0x80);
    let mut cut = max;
    while cut > 0 && max - cut < 3 && is_continuation(cut) {
        cut -= 1;
    }
    if is_continuation(cut) { max } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsSnapshot;

    fn decoder(max: usize) -> LineDecoder {
        LineDecoder::new(Arc::new(SourceMetrics::new("test"))).with_max_line_bytes(max)
    }

    fn lines(block: &LineBlock) -> Vec<String> {
        block.iter().map(String::from).collect()
    }

    /// Feeds `chunks`, then finishes (connection lost); returns lines and counters.
    fn run(max: usize, chunks: &[&[u8]]) -> (Vec<String>, MetricsSnapshot) {
        let mut d = decoder(max);
        let mut out = LineBlock::new();
        for c in chunks {
            d.feed(c, &mut out);
            assert!(d.buffered() <= max + 1, "held more than max + 1 bytes");
        }
        d.finish(&mut out);
        (lines(&out), d.metrics.snapshot())
    }

    /// The specification, written the obvious way over the whole input.
    fn reference(max: usize, input: &[u8]) -> (Vec<String>, u64, u64, u64) {
        let (mut out, mut invalid, mut truncated, mut partial) = (Vec::new(), 0, 0, 0);
        let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
        let last = parts.pop().unwrap_or_default();
        if !last.is_empty() {
            parts.push(last);
            // An over-long partial line was already emitted cut; it is not counted twice.
            partial = u64::from(strip_cr(last).len() <= max);
        }
        for line in parts {
            let line = strip_cr(line);
            let line = if line.len() > max {
                truncated += 1;
                &line[..char_cut(line, max)]
            } else {
                line
            };
            if std::str::from_utf8(line).is_err() {
                invalid += 1;
            }
            out.push(String::from_utf8_lossy(line).into_owned());
        }
        (out, invalid, truncated, partial)
    }

    fn check_against_reference(max: usize, input: &[u8], chunks: &[&[u8]]) {
        let (got, m) = run(max, chunks);
        let (want, invalid, truncated, partial) = reference(max, input);
        assert_eq!(got, want, "max {max}, chunks {chunks:?}");
        assert_eq!(
            (m.invalid_utf8, m.truncated_lines, m.partial_lines),
            (invalid, truncated, partial),
            "counters, max {max}, chunks {chunks:?}"
        );
    }

    #[test]
    fn splits_lines_keeps_empty_ones_and_drops_cr() {
        let (got, m) = run(100, &[b"a\r\n\nbc\n\r\n\n"]);
        assert_eq!(got, ["a", "", "bc", "", ""]);
        assert_eq!(
            m,
            MetricsSnapshot {
                name: "test".into(),
                ..Default::default()
            }
        );
    }

    #[test]
    fn unfinished_line_waits_for_the_next_chunk() {
        let mut d = decoder(100);
        let mut out = LineBlock::new();
        d.feed(b"one\ntw", &mut out);
        assert_eq!(lines(&out), ["one"]);
        assert_eq!(d.buffered(), 2);
        d.feed(b"o\nthr", &mut out);
        assert_eq!(lines(&out), ["one", "two"]);
        d.finish(&mut out);
        assert_eq!(lines(&out), ["one", "two", "thr"]);
        assert_eq!(d.metrics.snapshot().partial_lines, 1);
        // Finishing again (nothing held) adds nothing.
        d.finish(&mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(d.metrics.snapshot().partial_lines, 1);
    }

    #[test]
    fn end_of_input_keeps_the_last_line_without_counting_it() {
        let mut d = decoder(100);
        let mut out = LineBlock::new();
        d.feed(b"a\nlast\r", &mut out);
        d.end_of_input(&mut out);
        assert_eq!(lines(&out), ["a", "last"]);
        assert_eq!(d.metrics.snapshot().partial_lines, 0);
    }

    #[test]
    fn every_split_position_gives_the_same_lines() {
        let input = "zero\r\n\nhéllo wörld €uro 😀\nplain\r\n\r\nlast €".as_bytes();
        let (whole, _) = run(1000, &[input]);
        assert_eq!(
            whole,
            ["zero", "", "héllo wörld €uro 😀", "plain", "", "last €"]
        );
        for i in 0..=input.len() {
            let (got, m) = run(1000, &[&input[..i], &input[i..]]);
            assert_eq!(got, whole, "split at {i}");
            assert_eq!(m.invalid_utf8, 0, "split at {i}");
            for j in i..=input.len() {
                let (got, _) = run(1000, &[&input[..i], &input[i..j], &input[j..]]);
                assert_eq!(got, whole, "split at {i} and {j}");
            }
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(run(1000, &bytes).0, whole);
    }

    #[test]
    fn multibyte_char_split_across_chunks_is_not_invalid() {
        let input = "€\n".as_bytes(); // e2 82 ac 0a
        for i in 1..3 {
            let (got, m) = run(100, &[&input[..i], &input[i..]]);
            assert_eq!(got, ["€"]);
            assert_eq!(m.invalid_utf8, 0);
        }
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_and_counted() {
        let (got, m) = run(100, &[b"ok\nbad\xff\xfeline\nok2\n\xc3\nend\n"]);
        assert_eq!(
            got,
            ["ok", "bad\u{FFFD}\u{FFFD}line", "ok2", "\u{FFFD}", "end"]
        );
        assert_eq!(m.invalid_utf8, 2);
        // In the unfinished tail too.
        let (got, m) = run(100, &[b"a\nb\xff", b"c\n"]);
        assert_eq!(got, ["a", "b\u{FFFD}c"]);
        assert_eq!(m.invalid_utf8, 1);
    }

    #[test]
    fn over_long_lines_are_cut_and_the_next_line_is_intact() {
        let (got, m) = run(8, &[b"0123456789\nshort\n12345678\n123456789\n"]);
        assert_eq!(got, ["01234567", "short", "12345678", "12345678"]);
        assert_eq!(m.truncated_lines, 2);
        // Exactly the maximum followed by \r\n split across chunks is not over-long.
        let (got, m) = run(8, &[b"12345678\r", b"\nx\n"]);
        assert_eq!(got, ["12345678", "x"]);
        assert_eq!(m.truncated_lines, 0);
        // A \r that is not followed by \n is content.
        let (got, m) = run(8, &[b"12345678\r", b"z\nx\n"]);
        assert_eq!(got, ["12345678", "x"]);
        assert_eq!(m.truncated_lines, 1);
    }

    #[test]
    fn cut_never_splits_a_char() {
        // 'é' is 2 bytes at 4..6; cutting at 5 would split it.
        let (got, m) = run(5, &["abcdé\nabcdéf\n".as_bytes()]);
        assert_eq!(got, ["abcd", "abcd"]);
        assert_eq!((m.truncated_lines, m.invalid_utf8), (2, 0));
        // '😀' is 4 bytes.
        let (got, _) = run(6, &["ab😀cd\n".as_bytes()]);
        assert_eq!(got, ["ab😀"]);
        let (got, _) = run(5, &["ab😀cd\n".as_bytes()]);
        assert_eq!(got, ["ab"]);
    }

    #[test]
    fn a_ten_megabyte_line_is_never_buffered_whole() {
        let max = DEFAULT_MAX_LINE_BYTES;
        let mut d = decoder(max);
        let mut out = LineBlock::new();
        d.feed(b"before\n", &mut out);
        let chunk = vec![b'x'; 64 << 10];
        for _ in 0..160 {
            d.feed(&chunk, &mut out);
            assert!(d.buffered() <= max + 1);
        }
        d.feed(b"x\nafter\n", &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out.get(0), Some("before"));
        assert_eq!(out.get(1).map(str::len), Some(max));
        assert_eq!(out.get(2), Some("after"));
        assert_eq!(d.metrics.snapshot().truncated_lines, 1);
        assert!(d.tail.capacity() <= TAIL_KEEP_CAPACITY);
        // Also when the whole line arrives in one chunk.
        let mut big = vec![b'y'; 10 << 20];
        big.extend_from_slice(b"\nnext\n");
        let (got, m) = run(max, &[&big]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), max);
        assert_eq!(got[1], "next");
        assert_eq!(m.truncated_lines, 1);
    }

    #[test]
    fn over_long_partial_line_is_not_emitted_twice() {
        let (got, m) = run(4, &[b"ok\n123456789"]);
        assert_eq!(got, ["ok", "1234"]);
        assert_eq!((m.truncated_lines, m.partial_lines), (1, 0));
    }

    #[test]
    fn matches_the_reference_on_generated_inputs() {
        // A small deterministic generator over the interesting bytes.
        let alphabet: [&[u8]; 8] = [
            b"a",
            b"b",
            "é".as_bytes(),
            "€".as_bytes(),
            b"\r",
            b"\n",
            b"\xff",
            b"\n",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..400 {
            let len = (next() % 40) as usize;
            let mut input = Vec::new();
            for _ in 0..len {
                input.extend_from_slice(alphabet[(next() % 8) as usize]);
            }
            let max = (next() % 8) as usize;
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut rest = &input[..];
            while !rest.is_empty() {
                let n = ((next() % 6) as usize).min(rest.len());
                chunks.push(&rest[..n]);
                rest = &rest[n..];
            }
            check_against_reference(max, &input, &chunks);
            check_against_reference(max, &input, &[&input]);
        }
    }
}
