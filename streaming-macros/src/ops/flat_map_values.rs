//! `flat_map_values f`: `(k, v)` becomes `(k, u)` for each `u` in `f(v)`.

use proc_macro2::TokenTree;
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, FnArg};

pub struct FlatMapValues(FnArg);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(FlatMapValues(args::function(op, tokens, 1)?)))
}

impl Operator for FlatMapValues {
    fn role(&self) -> Role {
        Role::Adapter
    }
    fn adapt(&self, g: &Gen, it: &Ident) -> proc_macro2::TokenStream {
        let (rt, f) = (g.rt(), self.0.closure(1));
        quote_spanned!(g.span=> #rt::ops::flat_map_values::adapt(#it, #f))
    }
}
