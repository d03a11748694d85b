//! `map_values f`: `(k, v)` becomes `(k, f(v))`.

use proc_macro2::TokenTree;
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, FnArg};

pub struct MapValues(FnArg);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(MapValues(args::function(op, tokens, 1)?)))
}

impl Operator for MapValues {
    fn role(&self) -> Role {
        Role::Adapter
    }
    fn adapt(&self, g: &Gen, it: &Ident) -> proc_macro2::TokenStream {
        let (rt, f) = (g.rt(), self.0.closure(1));
        quote_spanned!(g.span=> #rt::ops::map_values::adapt(#it, #f))
    }
}
