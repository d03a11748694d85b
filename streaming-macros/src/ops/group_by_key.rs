//! `group_by_key`: per batch, each key with all its values as a `CompactBuffer`.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args;

pub struct GroupByKey;

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    args::no_more(op, tokens, "`group_by_key` (it takes no arguments)")?;
    Ok(Box::new(GroupByKey))
}

impl Operator for GroupByKey {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::group_by_key::fold(#it))
    }
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::group_by_key::merge(#a, #b))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::group_by_key::finish(#acc))
    }
}
