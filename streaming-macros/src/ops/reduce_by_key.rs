//! `reduce_by_key(f)`: per batch, one `(key, value)` per key; bare elements count as `(x, 1)`.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, Reducer};

const USAGE: &str = "`reduce_by_key(+)` or `reduce_by_key(|a, b| ...)`";

pub struct ReduceByKey(Reducer);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (mut fs, span, rest) = args::reducers(op, tokens, USAGE)?;
    args::no_more(op, &rest, USAGE)?;
    if fs.len() != 1 {
        return Err(syn::Error::new(
            span,
            format!(
                "`reduce_by_key` takes one function: {USAGE} (an inverse applies only to windows)"
            ),
        ));
    }
    Ok(Box::new(ReduceByKey(fs.remove(0))))
}

impl Operator for ReduceByKey {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let (rt, f) = (g.rt(), self.0.closure());
        quote_spanned!(g.span=> #rt::ops::reduce_by_key::fold(#it, #f))
    }
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, f) = (g.rt(), self.0.closure());
        quote_spanned!(g.span=> #rt::ops::reduce_by_key::merge(#a, #b, #f))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::reduce_by_key::finish(#acc))
    }
}
