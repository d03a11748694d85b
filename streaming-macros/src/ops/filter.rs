//! `filter f`: keeps the elements for which `f(&element)` is true.

use proc_macro2::TokenTree;
use quote::quote_spanned;
use syn::Ident;

use super::{Adapter, Operator};

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Adapter::parse(
        op,
        tokens,
        |g, it, f| quote_spanned!(g.span=> ::core::iter::Iterator::filter(#it, #f)),
    )
}
