//! Words of a text, exactly as `str::split_whitespace` gives them (separated by runs of
//! Unicode `White_Space`), found faster:
//!
//! - [`Words`] finds a word's end 16 bytes at a time (SSE2, see `simd`): only bytes below
//!   `!` or above `~` can be whitespace, and those are checked one by one, ASCII through a
//!   table and multi-byte characters by comparing their bytes with the few whitespace
//!   characters beyond ASCII (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
//!   U+202F, U+205F, U+3000), without decoding them.
//! - [`WordsStartingWith`] is `flat_map split |> filter starts_with(LITERAL)` in one scan:
//!   it jumps to occurrences of the literal (a one-byte literal such as `#` 16 bytes at a
//!   time, a longer one with `memchr::memmem`) and keeps those that start a word, so the
//!   text between hashtags is never split into words at all.
//!
//! Both are checked against `split_whitespace` on arbitrary Unicode text by proptest
//! (`tests/words.rs`).

/// ASCII whitespace as `char::is_whitespace` has it: `\t \n \x0B \x0C \r` and space.
const fn ascii_whitespace() -> [bool; 128] {
    let mut t = [false; 128];
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[0x0B] = true;
    t[0x0C] = true;
    t[b'\r' as usize] = true;
    t[b' ' as usize] = true;
    t
}

static ASCII_WS: [bool; 128] = ascii_whitespace();

/// The length of the UTF-8 character starting with byte `b` (a lead byte).
#[inline]
fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// If a whitespace character starts at byte `i` of `s` (a char boundary), its length.
#[inline]
fn whitespace_at(s: &str, i: usize) -> Option<usize> {
    let b = *s.as_bytes().get(i)?;
    if b < 0x80 {
        return ASCII_WS[b as usize].then_some(1);
    }
    // The non-ASCII whitespace characters, by their UTF-8 bytes (`char::is_whitespace`):
    // U+0085, U+00A0 (C2 ..); U+1680 (E1 9A 80); U+2000..U+200A, U+2028, U+2029, U+202F
    // (E2 80 ..), U+205F (E2 81 9F); U+3000 (E3 80 80).
    let next = |k: usize| s.as_bytes().get(i + k).copied();
    match b {
        0xC2 => matches!(next(1), Some(0x85 | 0xA0)).then_some(2),
        0xE1 => (next(1) == Some(0x9A) && next(2) == Some(0x80)).then_some(3),
        0xE2 => match (next(1), next(2)) {
            (Some(0x80), Some(0x80..=0x8A | 0xA8 | 0xA9 | 0xAF)) | (Some(0x81), Some(0x9F)) => {
                Some(3)
            }
            _ => None,
        },
        0xE3 => (next(1) == Some(0x80) && next(2) == Some(0x80)).then_some(3),
        _ => None,
    }
}

/// The end of the word that continues at byte `i`: the next whitespace, or the end.
#[inline]
fn word_end(s: &str, i: usize) -> usize {
    let bytes = s.as_bytes();
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if bytes.len() >= simd::WIDTH {
        // Whitespace is among the bytes below `!` or above `~` (as signed bytes: below `!`):
        // check those one by one. A byte above `~` that is not a character's first byte is
        // never taken for whitespace (`whitespace_at` looks for first bytes only).
        let space_or_beyond = simd::splat(0x21);
        let is_whitespace = |j: usize| whitespace_at(s, j).is_some();
        return simd::first(bytes, i, |c| simd::lt(c, space_or_beyond), is_whitespace)
            .unwrap_or(bytes.len());
    }
    word_end_bytewise(s, i)
}

/// [`word_end`] a byte at a time.
#[inline]
fn word_end_bytewise(s: &str, mut i: usize) -> usize {
    let bytes = s.as_bytes();
    while let Some(&b) = bytes.get(i) {
        // Printable ASCII (`!` to `~`), by far the most common: one range check.
        if b.wrapping_sub(0x21) < 0x5E {
            i += 1;
        } else if b < 0x80 {
            if ASCII_WS[b as usize] {
                return i;
            }
            i += 1;
        } else if matches!(b, 0xC2 | 0xE1 | 0xE2 | 0xE3) && whitespace_at(s, i).is_some() {
            return i;
        } else {
            i += utf8_len(b);
        }
    }
    bytes.len()
}

/// Whether byte `i` of `s` (a char boundary) starts a word: it is the text's start or
/// follows a whitespace character.
#[inline]
fn starts_word(s: &str, i: usize) -> bool {
    if i == 0 {
        return true;
    }
    let bytes = s.as_bytes();
    let before = bytes[i - 1];
    if before < 0x80 {
        return ASCII_WS[before as usize];
    }
    // The character before ends at `i`: back up over its continuation bytes.
    let mut start = i - 1;
    while start > 0 && bytes[start] & 0xC0 == 0x80 && i - start < 4 {
        start -= 1;
    }
    whitespace_at(s, start) == Some(i - start)
}

/// Lines are short (tweets: 74 bytes on average) and words shorter: `memchr`'s call and
/// dispatch cost more than its search in a line (about 30 ns a line against 5 for the bytes
/// themselves), and a word's end found byte by byte costs a mispredicted branch per word.
/// So both searches are inlined SSE2 (in every x86_64 CPU), 16 bytes at a time, the last
/// 16 of a text read overlapping the ones before rather than byte by byte; other targets
/// search a byte at a time.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod simd {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };

    pub const WIDTH: usize = 16;

    #[inline(always)]
    pub fn splat(b: u8) -> __m128i {
        // SAFETY: SSE2 is enabled for this build (the module's cfg).
        unsafe { _mm_set1_epi8(b as i8) }
    }

    /// The mask of the bytes of `chunk` equal to `needle`'s.
    #[inline(always)]
    pub fn eq(chunk: __m128i, needle: __m128i) -> u32 {
        // SAFETY: SSE2 is enabled for this build.
        unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(chunk, needle)) as u32 }
    }

    /// The mask of the bytes of `chunk` below `bound`'s, as signed bytes.
    #[inline(always)]
    pub fn lt(chunk: __m128i, bound: __m128i) -> u32 {
        // SAFETY: SSE2 is enabled for this build.
        unsafe { _mm_movemask_epi8(_mm_cmplt_epi8(chunk, bound)) as u32 }
    }

    /// The first position from `from` on that `mask` marks (16 bytes at a time) and `hit`
    /// accepts. `bytes` holds at least [`WIDTH`] bytes.
    #[inline(always)]
    pub fn first(
        bytes: &[u8],
        from: usize,
        mask: impl Fn(__m128i) -> u32,
        mut hit: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let n = bytes.len();
        let load = |at: usize| {
            assert!(at + WIDTH <= n);
            // SAFETY: SSE2 is enabled for this build; the 16 bytes from `at` are inside
            // `bytes` (asserted), and `_mm_loadu_si128` takes any alignment.
            unsafe { _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>()) }
        };
        let mut at = from;
        while at < n {
            let mut marked = if at + WIDTH <= n {
                mask(load(at))
            } else {
                // The last 16 bytes, less the ones before `at`, searched already.
                let last = n - WIDTH;
                mask(load(last)) >> (at - last)
            };
            while marked != 0 {
                let j = at + marked.trailing_zeros() as usize;
                if hit(j) {
                    return Some(j);
                }
                marked &= marked - 1;
            }
            at += WIDTH;
        }
        None
    }
}

/// The words of `s`, as `s.split_whitespace()` gives them.
#[derive(Clone, Debug)]
pub struct Words<'a> {
    s: &'a str,
    pos: usize,
}

/// The words of `s`, as `s.split_whitespace()` gives them.
#[inline]
pub fn words(s: &str) -> Words<'_> {
    Words { s, pos: 0 }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let (s, bytes) = (self.s, self.s.as_bytes());
        // Skip whitespace.
        let start = loop {
            let &b = bytes.get(self.pos)?;
            if b == b' ' {
                self.pos += 1;
            } else if b.wrapping_sub(0x21) < 0x5E {
                break self.pos;
            } else if b < 0x80 {
                if !ASCII_WS[b as usize] {
                    break self.pos;
                }
                self.pos += 1;
            } else {
                match whitespace_at(s, self.pos) {
                    Some(n) => self.pos += n,
                    None => break self.pos,
                }
            }
        };
        let end = word_end(s, start);
        self.pos = end;
        s.get(start..end)
    }
}

impl std::iter::FusedIterator for Words<'_> {}

/// The words of `s` that start with `prefix`, as
/// `s.split_whitespace().filter(|w| w.starts_with(prefix))` gives them.
#[derive(Clone, Debug)]
pub struct WordsStartingWith<'a, 'p> {
    s: &'a str,
    pos: usize,
    prefix: &'p Prefix,
}

/// A compiled prefix for [`words_starting_with`]: build it once, scan many lines.
#[derive(Clone, Debug)]
pub struct Prefix {
    finder: memchr::memmem::Finder<'static>,
    /// The prefix is this one byte (`#`, `@`): found by [`find_byte`], inline, without the
    /// searcher's dispatch, which costs as much as the search in a short line.
    byte: Option<u8>,
    /// The prefix holds whitespace: no word starts with it.
    never: bool,
}

impl Prefix {
    pub fn new(prefix: &str) -> Prefix {
        Prefix {
            finder: memchr::memmem::Finder::new(prefix.as_bytes()).into_owned(),
            byte: match prefix.as_bytes() {
                &[b] => Some(b),
                _ => None,
            },
            never: prefix.chars().any(char::is_whitespace),
        }
    }

    /// The first occurrence of the prefix in `haystack`.
    #[inline]
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        match self.byte {
            Some(b) => find_byte(b, haystack),
            None => self.finder.find(haystack),
        }
    }
}

/// The first `b` in `haystack`; see [`simd`] for why not `memchr`.
#[inline(always)]
fn find_byte(b: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if haystack.len() >= simd::WIDTH {
        let needle = simd::splat(b);
        return simd::first(haystack, 0, |chunk| simd::eq(chunk, needle), |_| true);
    }
    haystack.iter().position(|&x| x == b)
}

/// The words of `s` starting with `prefix`; see [`WordsStartingWith`]. An empty prefix
/// gives every word.
#[inline]
pub fn words_starting_with<'a, 'p>(s: &'a str, prefix: &'p Prefix) -> WordsStartingWith<'a, 'p> {
    WordsStartingWith { s, pos: 0, prefix }
}

impl<'a> Iterator for WordsStartingWith<'a, '_> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let prefix = self.prefix;
        if prefix.never {
            return None;
        }
        let (s, bytes) = (self.s, self.s.as_bytes());
        let needle_len = prefix.finder.needle().len();
        if needle_len == 0 {
            // Every word starts with "": plain words.
            let mut rest = Words { s, pos: self.pos };
            let w = rest.next();
            self.pos = rest.pos;
            return w;
        }
        loop {
            let found = self.pos + prefix.find(bytes.get(self.pos..)?)?;
            // The prefix is valid UTF-8, so `found` is a char boundary.
            let end = word_end(s, found);
            self.pos = end.max(found + 1);
            if starts_word(s, found) && end >= found + needle_len {
                return s.get(found..end);
            }
            // Inside a word (or cut by whitespace within the prefix): go on after the word.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_searches_16_bytes_at_a_time_are_the_bytewise_ones() {
        for len in 0..80 {
            for at in (0..len).chain([usize::MAX]) {
                for also in [None, Some(at.wrapping_add(1)), Some(at.wrapping_add(17))] {
                    let mut hay = vec![b'a'; len];
                    for i in [Some(at), also].into_iter().flatten() {
                        if let Some(x) = hay.get_mut(i) {
                            *x = b'#';
                        }
                    }
                    let want = hay.iter().position(|&x| x == b'#');
                    assert_eq!(
                        find_byte(b'#', &hay),
                        want,
                        "len {len}, at {at}, also {also:?}"
                    );
                    // And the end of a word, with the `#`s as spaces.
                    let text: String = hay
                        .iter()
                        .map(|&x| if x == b'#' { ' ' } else { 'a' })
                        .collect();
                    for from in 0..len {
                        assert_eq!(
                            word_end(&text, from),
                            word_end_bytewise(&text, from),
                            "{text:?} from {from}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn words_are_split_whitespace() {
        for s in [
            "",
            "   ",
            "a",
            " a  b\tc\n",
            "x\u{3000}y\u{00A0}z\u{2028}w\u{0085}v",
            "é ü\u{1680}ß #tag",
            "\u{202F}\u{205F}lead",
        ] {
            assert_eq!(
                words(s).collect::<Vec<_>>(),
                s.split_whitespace().collect::<Vec<_>>(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn words_starting_with_a_prefix_are_the_filtered_words() {
        let text = "#a b#c #d\u{3000}#e ##f x\u{00A0}#g #";
        for p in ["#", "#d", "##", "b", "x", "", " #", "é"] {
            let prefix = Prefix::new(p);
            assert_eq!(
                words_starting_with(text, &prefix).collect::<Vec<_>>(),
                text.split_whitespace()
                    .filter(|w| w.starts_with(p))
                    .collect::<Vec<_>>(),
                "{p:?}"
            );
        }
    }
}
