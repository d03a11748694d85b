//! `transform(|time, batch| ...)`: any batch-to-batch function (Spark's `transform`).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, FnArg};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "transform",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse,
    },
];

pub struct Transform(FnArg);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(Transform(args::function(op, tokens, 2)?)))
}

impl Operator for Transform {
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, f, time) = (g.rt(), self.0.closure(2), g.time);
        quote_spanned!(g.span=> #rt::ops::transform::finish(#time, #acc, #f))
    }
}
