//! `count_by_value`: each distinct element with its number of occurrences in the batch.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args;
use crate::codegen::rt;

pub struct CountByValue;

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    args::no_more(op, tokens, "`count_by_value` (it takes no arguments)")?;
    Ok(Box::new(CountByValue))
}

impl Operator for CountByValue {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn fold(&self, _: &Gen, it: &Ident) -> TokenStream {
        let rt = rt();
        quote!(#rt::ops::count_by_value::fold(#it))
    }
    fn merge(&self, _: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let rt = rt();
        quote!(#rt::ops::count_by_value::merge(#a, #b))
    }
    fn finish(&self, _: &Gen, acc: &Ident) -> TokenStream {
        let rt = rt();
        quote!(#rt::ops::count_by_value::finish(#acc))
    }
}
