//! Rewrites of adjacent fused stages into one faster stage: what only a pipeline compiler
//! can do, since it sees the whole chain. Each rule matches stages by their DSL name and
//! function form and writes the replacement's setup and iterator code; `fusion off` never
//! rewrites (it runs every operator as written).
//!
//! - `flat_map split |> filter starts_with(LITERAL)` (the card's hashtags) becomes one scan
//!   that jumps to the literal's occurrences and keeps those starting a word
//!   (`rt::words::WordsStartingWith`): the text between them is never split into words.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::Ident;

use crate::ast::Stage;
use crate::ops::StageContext;

/// A rewrite of stages `[i, i + len)` of a segment's adapters.
pub struct Rewrite {
    /// How many adapters it replaces.
    pub len: usize,
    /// Statements run when the pipeline is built.
    pub setup: TokenStream,
    /// The iterator expression wrapping `it`.
    pub adapt: TokenStream,
}

/// The first rule that matches the adapters starting at `stages[0]`, with `g` the first
/// stage's context.
pub fn find(stages: &[&Stage], g: &StageContext, it: &Ident) -> Option<Rewrite> {
    words_starting_with(stages, g, it)
}

/// `flat_map split |> filter starts_with("#")` → `flat_map` over the words starting with
/// the literal, found by `memmem`. Exactly the same words: proptest checks the runtime's
/// scan against `split_whitespace().filter(..)` on arbitrary Unicode.
fn words_starting_with(stages: &[&Stage], g: &StageContext, it: &Ident) -> Option<Rewrite> {
    let [split, filter, ..] = stages else {
        return None;
    };
    let (name, f) = split.op.adapter_fn()?;
    if name != "flat_map" || !f.is_split_whitespace() {
        return None;
    }
    let (name, f) = filter.op.adapter_fn()?;
    let literal = f.starts_with_literal().filter(|_| name == "filter")?;
    let (rt, prefix) = (g.rt(), g.var("prefix"));
    let x = Ident::new("__x", proc_macro2::Span::mixed_site());
    Some(Rewrite {
        len: 2,
        setup: quote_spanned!(g.span=> let #prefix = #rt::words::Prefix::new(#literal);),
        adapt: quote_spanned! {g.span=>
            ::core::iter::Iterator::flat_map(#it, |#x| #rt::shorthand::split_starting_with(#x, &#prefix))
        },
    })
}
