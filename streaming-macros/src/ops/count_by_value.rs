//! `count_by_value`: each distinct element with its number of occurrences in the batch.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args;

pub struct CountByValue;

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    args::no_more(op, tokens, "`count_by_value` (it takes no arguments)")?;
    Ok(Box::new(CountByValue))
}

impl Operator for CountByValue {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::count_by_value::fold(#it))
    }
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::count_by_value::merge(#a, #b))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::count_by_value::finish(#acc))
    }
}
