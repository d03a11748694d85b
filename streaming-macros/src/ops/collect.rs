//! `collect(handle)`: pushes `(time, Vec<T>)` into a `Collector<T>` (tests, demos). Borrowed
//! elements (`&str`) are stored owned (`String`).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;
use syn::spanned::Spanned;

use super::{Gen, Operator, Role};
use crate::args;

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
    fn role(&self) -> Role {
        Role::Sink
    }
    fn setup(&self, g: &Gen) -> TokenStream {
        let (rt, h, e) = (g.rt(), g.var("handle"), &self.0);
        // The pipeline keeps its own handle, so the caller's stays usable.
        quote_spanned!(e.span()=> let #h = #rt::Collector::clone(&#e);)
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::owned::collect_owned(#it))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let (rt, h, time) = (g.rt(), g.var("handle"), g.time);
        quote_spanned!(g.span=> #rt::sink::collect::finish(&#h, #time, #acc);)
    }
}
