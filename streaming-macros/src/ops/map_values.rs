//! `map_values f`: `(k, v)` becomes `(k, f(v))`.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Adapter, Gen, Operator};

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Adapter::parse(op, tokens, fused, unfused)
}

fn fused(g: &Gen, it: &Ident, f: TokenStream) -> TokenStream {
    {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::map_values::adapt(#it, #f))
    }
}

fn unfused(g: &Gen, batch: &Ident, f: TokenStream) -> TokenStream {
    let rt = g.rt();
    quote_spanned!(g.span=> #rt::ops::unfused::map_values(#batch, #f))
}
