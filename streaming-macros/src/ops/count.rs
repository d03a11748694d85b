//! `count`: one element per batch, the number of elements (`0` for an empty batch).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args;

pub struct Count;

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    args::no_more(op, tokens, "`count` (it takes no arguments)")?;
    Ok(Box::new(Count))
}

impl Operator for Count {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::count::fold(#it))
    }
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::count::merge(#a, #b))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::count::finish(#acc))
    }
}
