//! Method shorthands whose meaning depends on the element type: `flat_map split` on a
//! borrowed line yields borrowed words (no allocation). When it is the first stage of a
//! fused loop, the loop reads its batch by reference, so lines that are owned `String`s
//! (a `queue`, a custom receiver) are split as `&String` and their words borrow from the
//! batch too. Only an owned `String` made inside the loop (e.g. after `map to_lowercase`)
//! yields owned words, since they cannot borrow from a temporary.

use crate::words::{Prefix, Words, WordsStartingWith, words, words_starting_with};

/// `flat_map split`: split on whitespace.
pub trait SplitWhitespace {
    type Words: Iterator;
    fn split_ws(self) -> Self::Words;
}

impl<'a> SplitWhitespace for &'a str {
    type Words = Words<'a>;
    #[inline]
    fn split_ws(self) -> Self::Words {
        words(self)
    }
}

impl<'a> SplitWhitespace for &'a String {
    type Words = Words<'a>;
    #[inline]
    fn split_ws(self) -> Self::Words {
        words(self)
    }
}

impl<'a> SplitWhitespace for &&'a str {
    type Words = Words<'a>;
    #[inline]
    fn split_ws(self) -> Self::Words {
        words(self)
    }
}

impl SplitWhitespace for String {
    type Words = std::vec::IntoIter<String>;
    fn split_ws(self) -> Self::Words {
        words(&self)
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .into_iter()
    }
}

#[inline]
pub fn split_whitespace<S: SplitWhitespace>(s: S) -> S::Words {
    s.split_ws()
}

/// `flat_map split |> filter starts_with(LITERAL)`, fused by the macro into one scan that
/// jumps to the literal's occurrences (see [`crate::words::WordsStartingWith`]).
pub trait SplitStartingWith<'p> {
    type Words: Iterator;
    fn split_starting_with(self, prefix: &'p Prefix) -> Self::Words;
}

impl<'a, 'p> SplitStartingWith<'p> for &'a str {
    type Words = WordsStartingWith<'a, 'p>;
    #[inline]
    fn split_starting_with(self, prefix: &'p Prefix) -> Self::Words {
        words_starting_with(self, prefix)
    }
}

impl<'a, 'p> SplitStartingWith<'p> for &'a String {
    type Words = WordsStartingWith<'a, 'p>;
    #[inline]
    fn split_starting_with(self, prefix: &'p Prefix) -> Self::Words {
        words_starting_with(self, prefix)
    }
}

impl<'a, 'p> SplitStartingWith<'p> for &&'a str {
    type Words = WordsStartingWith<'a, 'p>;
    #[inline]
    fn split_starting_with(self, prefix: &'p Prefix) -> Self::Words {
        words_starting_with(self, prefix)
    }
}

impl<'p> SplitStartingWith<'p> for String {
    type Words = std::vec::IntoIter<String>;
    fn split_starting_with(self, prefix: &'p Prefix) -> Self::Words {
        words_starting_with(&self, prefix)
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .into_iter()
    }
}

#[inline]
pub fn split_starting_with<'p, S: SplitStartingWith<'p>>(s: S, prefix: &'p Prefix) -> S::Words {
    s.split_starting_with(prefix)
}

/// A separator for `flat_map split(sep)`: a string or a char.
pub trait Separator: Copy {
    type Iter<'a>: Iterator<Item = &'a str>
    where
        Self: 'a;
    fn split_str<'a>(self, s: &'a str) -> Self::Iter<'a>
    where
        Self: 'a;
}

impl<'p> Separator for &'p str {
    type Iter<'a>
        = std::str::Split<'a, &'p str>
    where
        Self: 'a;
    #[inline]
    fn split_str<'a>(self, s: &'a str) -> Self::Iter<'a>
    where
        Self: 'a,
    {
        s.split(self)
    }
}

impl Separator for char {
    type Iter<'a> = std::str::Split<'a, char>;
    #[inline]
    fn split_str<'a>(self, s: &'a str) -> Self::Iter<'a>
    where
        Self: 'a,
    {
        s.split(self)
    }
}

/// `flat_map split(sep)`.
pub trait SplitOn<P: Separator> {
    type Parts: Iterator;
    fn split_on(self, sep: P) -> Self::Parts;
}

impl<'a, P: Separator + 'a> SplitOn<P> for &'a str {
    type Parts = P::Iter<'a>;
    #[inline]
    fn split_on(self, sep: P) -> Self::Parts {
        sep.split_str(self)
    }
}

impl<'a, P: Separator + 'a> SplitOn<P> for &'a String {
    type Parts = P::Iter<'a>;
    #[inline]
    fn split_on(self, sep: P) -> Self::Parts {
        sep.split_str(self)
    }
}

impl<'a, P: Separator + 'a> SplitOn<P> for &&'a str {
    type Parts = P::Iter<'a>;
    #[inline]
    fn split_on(self, sep: P) -> Self::Parts {
        sep.split_str(self)
    }
}

impl<P: Separator> SplitOn<P> for String {
    type Parts = std::vec::IntoIter<String>;
    fn split_on(self, sep: P) -> Self::Parts {
        sep.split_str(&self)
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .into_iter()
    }
}

#[inline]
pub fn split<S: SplitOn<P>, P: Separator>(s: S, sep: P) -> S::Parts {
    s.split_on(sep)
}
