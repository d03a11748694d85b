//! The fast word scans equal `str::split_whitespace` (and its filtered form) on arbitrary
//! Unicode text, with every whitespace character Unicode has and look-alikes that are not
//! whitespace (U+200B, U+180E, U+FEFF).

use proptest::prelude::*;
use streaming_runtime::words::{Prefix, words, words_starting_with};

/// Characters that make the interesting cases likely: every Unicode `White_Space`
/// character, near misses, hashtags, multi-byte letters; and any `char` at all.
fn text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        ' ', '\t', '\n', '\u{0B}', '\u{0C}', '\r', '\u{85}', '\u{A0}', '\u{1680}', '\u{2000}',
        '\u{2001}', '\u{2005}', '\u{200A}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}',
        '\u{3000}', '\u{200B}', '\u{180E}', '\u{FEFF}', '#', '#', '@', 'a', 'b', 'é', '漢', '🦀',
        '\u{C2}', '\u{E2}', '\u{2080}',
    ]);
    let ch = prop_oneof![4 => special, 1 => any::<char>()];
    prop::collection::vec(ch, 0..60).prop_map(|cs| cs.into_iter().collect())
}

fn prefix() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "#",
            "##",
            "#a",
            "@",
            "a",
            "é",
            "漢",
            "🦀",
            "",
            " ",
            "#\u{3000}"
        ])
        .prop_map(String::from),
        "[#a-bé]{1,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn words_equal_split_whitespace(s in text()) {
        prop_assert_eq!(words(&s).collect::<Vec<_>>(), s.split_whitespace().collect::<Vec<_>>());
    }

    #[test]
    fn words_starting_with_equal_the_filtered_split(s in text(), p in prefix()) {
        let prefix = Prefix::new(&p);
        prop_assert_eq!(
            words_starting_with(&s, &prefix).collect::<Vec<_>>(),
            s.split_whitespace().filter(|w| w.starts_with(p.as_str())).collect::<Vec<_>>()
        );
    }
}
