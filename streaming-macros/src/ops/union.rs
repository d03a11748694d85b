//! `union(other)`: this stream's batch followed by the named stream `other`'s batch.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "union",
        role: Role::Barrier,
        flags: Flags {
            keeps_stamps: true,
            ..Flags::NONE
        },
        parse,
    },
];

const USAGE: &str = "`union(other_stream)` with a stream defined by `let other_stream = ...;`";

pub struct Union(Ident);

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let mut e = args::exprs(op, tokens, 1, 1, USAGE)?;
    match e.remove(0) {
        syn::Expr::Path(p) if p.path.get_ident().is_some() => Ok(Box::new(Union(
            p.path
                .get_ident()
                .cloned()
                .ok_or_else(|| syn::Error::new(op.span(), USAGE))?,
        ))),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`union` takes the name of a stream: {USAGE}"),
        )),
    }
}

impl Operator for Union {
    fn streams_read(&self) -> Vec<&Ident> {
        vec![&self.0]
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, other) = (g.rt(), (g.stream)(&self.0));
        quote_spanned!(g.span=> #rt::ops::union::finish(#acc, #other))
    }
}
