//! `map_values f`: `(k, v)` becomes `(k, f(v))`.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Adapter, Flags, OpDef, Operator, Role, StageContext};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "map_values",
        role: Role::Adapter,
        flags: Flags::NONE,
        parse,
    },
];

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Adapter::parse(op, tokens, fused, unfused)
}

fn fused(g: &StageContext, it: &Ident, f: TokenStream) -> TokenStream {
    {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::map_values::adapt(#it, #f))
    }
}

fn unfused(g: &StageContext, batch: &Ident, f: TokenStream) -> TokenStream {
    let rt = g.rt();
    quote_spanned!(g.span=> #rt::ops::unfused::map_values(#batch, #f))
}
