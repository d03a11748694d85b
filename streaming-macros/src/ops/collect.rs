//! `collect(handle)`: pushes `(time, Vec<T>)` into a `Collector<T>` (tests, demos). Borrowed
//! elements (`&str`) are stored owned (`String`).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;
use syn::spanned::Spanned;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "collect",
        role: Role::Sink,
        flags: Flags::NONE,
        parse,
    },
];

pub struct Collect(syn::Expr);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let mut e = args::exprs(
        op,
        tokens,
        1,
        1,
        "`collect(handle)` with `let handle = Collector::new();`",
    )?;
    Ok(Box::new(Collect(e.remove(0))))
}

impl Operator for Collect {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, h, e) = (g.rt(), g.var("handle"), &self.0);
        // The pipeline keeps its own handle, so the caller's stays usable.
        quote_spanned!(e.span()=> let #h = #rt::Collector::clone(&#e);)
    }
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let (rt, len) = (g.rt(), g.run_len());
        quote_spanned!(g.span=> #rt::owned::collect_owned(#it, #len))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, h, time) = (g.rt(), g.var("handle"), g.time);
        quote_spanned!(g.span=> #rt::sink::collect::finish(&#h, #time, #acc);)
    }
}
