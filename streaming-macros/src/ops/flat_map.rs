//! `flat_map f`: each element becomes every item of `f(element)`.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Adapter, Flags, OpDef, Operator, Role, StageContext};
use crate::args::FnArg;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "flat_map",
        role: Role::Adapter,
        flags: Flags::NONE,
        parse,
    },
];

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    // `flat_map split` splits elements by reference: words borrow from the batch.
    Adapter::parse_borrowing(op, tokens, fused, unfused, FnArg::is_split)
}

fn fused(g: &StageContext, it: &Ident, f: TokenStream) -> TokenStream {
    quote_spanned!(g.span=> ::core::iter::Iterator::flat_map(#it, #f))
}

fn unfused(g: &StageContext, batch: &Ident, f: TokenStream) -> TokenStream {
    let rt = g.rt();
    quote_spanned!(g.span=> #rt::ops::unfused::flat_map(#batch, #f))
}
