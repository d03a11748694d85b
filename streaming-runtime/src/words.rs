//! Words of a text, exactly as `str::split_whitespace` gives them (separated by runs of
//! Unicode `White_Space`), found faster:
//!
//! - [`Words`] walks bytes: printable ASCII with one range check, other ASCII through a
//!   table, and multi-byte characters by comparing their bytes with the few whitespace
//!   characters beyond ASCII (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
//!   U+202F, U+205F, U+3000), without decoding them.
//! - [`WordsStartingWith`] is `flat_map split |> filter starts_with(LITERAL)` in one scan:
//!   it jumps to occurrences of the literal (`memchr::memmem`) and keeps those that start a
//!   word, so the text between hashtags is never split into words at all.
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
fn word_end(s: &str, mut i: usize) -> usize {
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
    /// The prefix is this one byte (`#`, `@`): found by `memchr` itself, without the
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
            Some(b) => memchr::memchr(b, haystack),
            None => self.finder.find(haystack),
        }
    }
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
