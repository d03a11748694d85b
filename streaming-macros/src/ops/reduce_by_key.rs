//! `reduce_by_key(f)`: per batch, one `(key, value)` per key; bare elements count as `(x, 1)`.
//!
//! Each run of a parallel batch folds into one map per thread, split by key hash, so the
//! runs' partials merge shard by shard on all threads at once (`rt::ops::reduce_by_key::
//! Sharded`); the maps start at the size of the last batch's result.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, Reducer};

pub struct ReduceByKey {
    f: Reducer,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(ReduceByKey {
        f: args::one_reducer(op, tokens)?,
    }))
}

impl Operator for ReduceByKey {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn setup(&self, g: &Gen) -> TokenStream {
        let (rt, hint) = (g.rt(), g.var("hint"));
        quote_spanned!(g.span=> let #hint = #rt::ops::reduce_by_key::SizeHint::new();)
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let (rt, f, hint, threads) = (g.rt(), self.f.closure(), g.var("hint"), g.parallelism());
        quote_spanned!(g.span=> #rt::ops::reduce_by_key::fold_sharded(#it, #f, #threads, &#hint))
    }
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, f) = (g.rt(), self.f.closure());
        quote_spanned!(g.span=> #rt::ops::reduce_by_key::merge_sharded(#a, #b, #f))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let (rt, hint) = (g.rt(), g.var("hint"));
        quote_spanned!(g.span=> #rt::ops::reduce_by_key::finish_sharded(#acc, &#hint))
    }
}
