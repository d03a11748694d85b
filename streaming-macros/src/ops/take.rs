//! `take(n)`: the first `n` elements of each batch.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;
use syn::spanned::Spanned;

use super::{FirstN, Flags, OpDef, Operator, Role, StageContext};
use crate::args;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "take",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse,
    },
];

pub struct Take(syn::Expr);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let mut e = args::exprs(op, tokens, 1, 1, "`take(10)`")?;
    Ok(Box::new(Take(e.remove(0))))
}

impl Operator for Take {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (n, e) = (g.var("n"), &self.0);
        quote_spanned!(e.span()=> let #n: usize = #e;)
    }
    fn first_n(&self) -> FirstN {
        FirstN {
            reads: true,
            ..FirstN::default()
        }
    }
    fn reads_first(&self, g: &StageContext) -> Option<TokenStream> {
        let n = g.var("n");
        Some(quote_spanned!(g.span=> #n))
    }
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let (rt, n) = (g.rt(), g.var("n"));
        quote_spanned!(g.span=> #rt::ops::take::fold(#it, #n))
    }
    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, n) = (g.rt(), g.var("n"));
        quote_spanned!(g.span=> #rt::ops::take::merge(#a, #b, #n))
    }
}
