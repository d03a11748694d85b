//! `flat_map_values f`: `(k, v)` becomes `(k, u)` for each `u` in `f(v)`.

use proc_macro2::TokenTree;
use quote::quote;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, FnArg};
use crate::codegen::rt;

pub struct FlatMapValues(FnArg);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(FlatMapValues(args::function(op, tokens, 1)?)))
}

impl Operator for FlatMapValues {
    fn role(&self) -> Role {
        Role::Adapter
    }
    fn adapt(&self, _: &Gen, it: &Ident) -> proc_macro2::TokenStream {
        let (rt, f) = (rt(), self.0.closure(1));
        quote!(#rt::ops::flat_map_values::adapt(#it, #f))
    }
}
