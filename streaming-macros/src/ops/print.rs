//! `print` / `print(n)`: the first `n` (default 10) elements of each batch in Spark's layout.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;
use syn::spanned::Spanned;

use super::{FirstN, Flags, OpDef, Operator, Role, StageContext};
use crate::args;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "print",
        role: Role::Sink,
        flags: Flags::NONE,
        parse,
    },
];

pub struct Print(Option<syn::Expr>);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    if tokens.is_empty() {
        return Ok(Box::new(Print(None)));
    }
    let mut e = args::exprs(op, tokens, 1, 1, "`print` or `print(20)`")?;
    Ok(Box::new(Print(Some(e.remove(0)))))
}

impl Operator for Print {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let n = g.var("n");
        match &self.0 {
            Some(e) => quote_spanned!(e.span()=> let #n: ::core::option::Option<usize> = ::core::option::Option::Some(#e);),
            // Spark's default for what the stage reads: 10 elements, 20 rows of records.
            None => quote_spanned!(g.span=> let #n: ::core::option::Option<usize> = ::core::option::Option::None;),
        }
    }
    fn first_n(&self) -> FirstN {
        FirstN {
            reads: true,
            ..FirstN::default()
        }
    }
    fn reads_first(&self, g: &StageContext) -> Option<TokenStream> {
        // One more than it shows, to know whether to print "...".
        let (rt, n) = (g.rt(), g.var("n"));
        Some(quote_spanned!(g.span=> #rt::sink::print::most_rows(#n).saturating_add(1)))
    }
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let (rt, n) = (g.rt(), g.var("n"));
        quote_spanned!(g.span=> #rt::sink::print::fold(#it, #n))
    }
    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, n) = (g.rt(), g.var("n"));
        quote_spanned!(g.span=> #rt::sink::print::merge(#a, #b, #n))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, n, ctx) = (g.rt(), g.var("n"), g.ctx);
        quote_spanned!(g.span=> #rt::sink::print::finish(#ctx, &#acc, #n)?;)
    }
}
