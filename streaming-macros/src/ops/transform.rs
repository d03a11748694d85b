//! `transform(|time, batch| ...)`: any batch-to-batch function (Spark's `transform`).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, FnArg};
use crate::codegen::rt;

pub struct Transform(FnArg);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(Transform(args::function(op, tokens, 2)?)))
}

impl Operator for Transform {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let (rt, f, time) = (rt(), self.0.closure(2), g.time);
        quote!(#rt::ops::transform::finish(#time, #acc, #f))
    }
}
