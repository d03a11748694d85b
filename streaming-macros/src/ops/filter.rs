//! `filter f`: keeps the elements for which `f(&element)` is true.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Adapter, Gen, Operator};

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Adapter::parse(op, tokens, fused, unfused)
}

fn fused(g: &Gen, it: &Ident, f: TokenStream) -> TokenStream {
    quote_spanned!(g.span=> ::core::iter::Iterator::filter(#it, #f))
}

fn unfused(g: &Gen, batch: &Ident, f: TokenStream) -> TokenStream {
    let rt = g.rt();
    quote_spanned!(g.span=> #rt::ops::unfused::filter(#batch, #f))
}
