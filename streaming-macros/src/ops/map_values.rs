//! `map_values f`: `(k, v)` becomes `(k, f(v))`.

use proc_macro2::TokenTree;
use quote::quote_spanned;
use syn::Ident;

use super::{Adapter, Operator};

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Adapter::parse(op, tokens, |g, it, f| {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::map_values::adapt(#it, #f))
    })
}
