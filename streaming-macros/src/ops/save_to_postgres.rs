//! `save_to_postgres(url, "table")`: a query's rows upserted into a PostgreSQL table, keyed by
//! the query's group key and window, so a replayed batch rewrites the same rows (runtime:
//! `sink::postgres`).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;
use syn::spanned::Spanned;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "save_to_postgres",
        role: Role::Sink,
        flags: Flags::NONE,
        parse,
    },
];

pub struct SaveToPostgres {
    url: syn::Expr,
    table: syn::Expr,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let mut e = args::exprs(
        op,
        tokens,
        2,
        2,
        "`save_to_postgres(\"host=127.0.0.1 user=postgres\", \"action_counts\")`",
    )?;
    let table = e.remove(1);
    Ok(Box::new(SaveToPostgres {
        url: e.remove(0),
        table,
    }))
}

impl Operator for SaveToPostgres {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, sink, url, table) = (g.rt(), g.var("sink"), &self.url, &self.table);
        quote_spanned! {url.span()=>
            let mut #sink = #rt::sink::postgres::PostgresSink::new(#url, #table);
        }
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (sink, ctx) = (g.var("sink"), g.ctx);
        quote_spanned!(g.span=> #sink.write(#ctx, &#acc)?;)
    }
}
