//! `reduce_by_key(f)`: per batch, one `(key, value)` per key; bare elements count as `(x, 1)`.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, Reducer};
use crate::codegen::rt;

const USAGE: &str = "`reduce_by_key(+)` or `reduce_by_key(|a, b| ...)`";

pub struct ReduceByKey(Reducer);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (mut fs, span, rest) = args::reducers(op, tokens, USAGE)?;
    args::no_more(op, &rest, USAGE)?;
    if fs.len() != 1 {
        return Err(syn::Error::new(
            span,
            format!("`reduce_by_key` takes one function: {USAGE} (an inverse applies only to windows)"),
        ));
    }
    Ok(Box::new(ReduceByKey(fs.remove(0))))
}

impl Operator for ReduceByKey {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn fold(&self, _: &Gen, it: &Ident) -> TokenStream {
        let (rt, f) = (rt(), self.0.closure());
        quote!(#rt::ops::reduce_by_key::fold(#it, #f))
    }
    fn merge(&self, _: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, f) = (rt(), self.0.closure());
        quote!(#rt::ops::reduce_by_key::merge(#a, #b, #f))
    }
    fn finish(&self, _: &Gen, acc: &Ident) -> TokenStream {
        let rt = rt();
        quote!(#rt::ops::reduce_by_key::finish(#acc))
    }
}
