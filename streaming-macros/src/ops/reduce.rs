//! `reduce(f)`: one element per batch, `f` applied pairwise (nothing for an empty batch).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, Reducer};

const USAGE: &str = "`reduce(+)`, `reduce(min)` or `reduce(|a, b| ...)`";

pub struct Reduce(Reducer);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (mut fs, span, rest) = args::reducers(op, tokens, USAGE)?;
    args::no_more(op, &rest, USAGE)?;
    if fs.len() != 1 {
        return Err(syn::Error::new(
            span,
            format!("`reduce` takes one function: {USAGE} (an inverse applies only to windows)"),
        ));
    }
    Ok(Box::new(Reduce(fs.remove(0))))
}

impl Operator for Reduce {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let (rt, f) = (g.rt(), self.0.closure());
        quote_spanned!(g.span=> #rt::ops::reduce::fold(#it, #f))
    }
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, f) = (g.rt(), self.0.closure());
        quote_spanned!(g.span=> #rt::ops::reduce::merge(#a, #b, #f))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::reduce::finish(#acc))
    }
}
