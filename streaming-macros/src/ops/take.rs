//! `take(n)`: the first `n` elements of each batch.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;
use syn::spanned::Spanned;

use super::{FirstN, Gen, Operator, Role};
use crate::args;

pub struct Take(syn::Expr);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let mut e = args::exprs(op, tokens, 1, 1, "`take(10)`")?;
    Ok(Box::new(Take(e.remove(0))))
}

impl Operator for Take {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn setup(&self, g: &Gen) -> TokenStream {
        let (n, e) = (g.var("n"), &self.0);
        quote_spanned!(e.span()=> let #n: usize = #e;)
    }
    fn first_n(&self) -> FirstN {
        FirstN {
            reads: true,
            ..FirstN::default()
        }
    }
    fn reads_first(&self, g: &Gen) -> Option<TokenStream> {
        let n = g.var("n");
        Some(quote_spanned!(g.span=> #n))
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let (rt, n) = (g.rt(), g.var("n"));
        quote_spanned!(g.span=> #rt::ops::take::fold(#it, #n))
    }
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, n) = (g.rt(), g.var("n"));
        quote_spanned!(g.span=> #rt::ops::take::merge(#a, #b, #n))
    }
}
