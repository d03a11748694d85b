//! `reduce_by_key(f)`: per batch, one `(key, value)` per key; bare elements count as `(x, 1)`.
//!
//! A parallel batch splits its pairs by key hash into one shard per thread, combined on all
//! threads at once (`rt::ops::reduce_by_key::Sharded`); the maps start at the size of the
//! last batch's result. Followed by `sort |> take(n)`, each shard picks its first `n`.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{FirstN, Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, Reducer};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "reduce_by_key",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse,
    },
];

pub struct ReduceByKey {
    f: Reducer,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(ReduceByKey {
        f: args::one_reducer(op, tokens)?,
    }))
}

impl Operator for ReduceByKey {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, hint) = (g.rt(), g.var("hint"));
        quote_spanned!(g.span=> let #hint = #rt::ops::reduce_by_key::SizeHint::new();)
    }
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let (rt, f, hint, threads) = (g.rt(), self.f.closure(), g.var("hint"), g.parallelism());
        quote_spanned!(g.span=> #rt::ops::reduce_by_key::fold_sharded(#it, #f, #threads, &#hint))
    }
    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, f) = (g.rt(), self.f.closure());
        quote_spanned!(g.span=> #rt::ops::reduce_by_key::merge_sharded(#a, #b, #f))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, f, hint) = (g.rt(), self.f.closure(), g.var("hint"));
        quote_spanned!(g.span=> #rt::ops::reduce_by_key::finish_sharded(#acc, #f, &#hint))
    }
    fn first_n(&self) -> FirstN {
        FirstN {
            finishes_selected: true,
            ..FirstN::default()
        }
    }
    fn finish_selected(&self, g: &StageContext, acc: &Ident, select: &TokenStream) -> Option<TokenStream> {
        let (rt, f, hint) = (g.rt(), self.f.closure(), g.var("hint"));
        Some(quote_spanned! {g.span=>
            #rt::ops::reduce_by_key::finish_selected(#acc, #f, &#hint, &#select)
        })
    }
}
