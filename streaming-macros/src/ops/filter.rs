//! `filter f`: keeps the elements for which `f(&element)` is true.

use proc_macro2::TokenTree;
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, FnArg};

pub struct Filter(FnArg);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(Filter(args::function(op, tokens, 1)?)))
}

impl Operator for Filter {
    fn role(&self) -> Role {
        Role::Adapter
    }
    fn adapt(&self, g: &Gen, it: &Ident) -> proc_macro2::TokenStream {
        let f = self.0.closure(1);
        quote_spanned!(g.span=> ::core::iter::Iterator::filter(#it, #f))
    }
}
