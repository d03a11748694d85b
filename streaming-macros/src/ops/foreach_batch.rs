//! `foreach_batch(|time, batch| ...)`: Spark's `foreachRDD`; the function may return `()` or
//! a `Result`, whose error stops the pipeline.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, FnArg};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "foreach_batch",
        role: Role::Sink,
        flags: Flags::NONE,
        parse,
    },
];

pub struct ForeachBatch(FnArg);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(ForeachBatch(args::function(op, tokens, 2)?)))
}

impl Operator for ForeachBatch {
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, f, time) = (g.rt(), self.0.closure(2), g.time);
        quote_spanned!(g.span=> #rt::sink::foreach_batch::finish(#time, #acc, #f)?;)
    }
}
