//! `flat_map f`: each element becomes every item of `f(element)`.

use proc_macro2::TokenTree;
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, FnArg};

pub struct FlatMap(FnArg);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(FlatMap(args::function(op, tokens, 1)?)))
}

impl Operator for FlatMap {
    fn role(&self) -> Role {
        Role::Adapter
    }
    fn adapt(&self, g: &Gen, it: &Ident) -> proc_macro2::TokenStream {
        let f = self.0.closure(1);
        quote_spanned!(g.span=> ::core::iter::Iterator::flat_map(#it, #f))
    }
}
