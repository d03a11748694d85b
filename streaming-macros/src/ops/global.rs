//! `sort desc |> take(n) |> global`: the first `n` over every partition of a cluster job,
//! merged in the task of partition 0, whose stages after it are the only ones to run
//! (runtime: `kafka::global`, feature `kafka`). `check` makes sure a `sort` and a `take`
//! come right before it; codegen hands it their order and count ([`StageContext::selected`]).

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;
use crate::sources::KAFKA_FEATURE;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "global",
        role: Role::Barrier,
        flags: Flags {
            output_optional: true,
            ..Flags::NONE
        },
        parse,
    },
];

pub struct Global;

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    if !cfg!(feature = "kafka") {
        return Err(syn::Error::new(
            op.span(),
            KAFKA_FEATURE.replace("{}", "`global`"),
        ));
    }
    args::no_more(op, tokens, "`global` (it takes no arguments)")?;
    Ok(Box::new(Global))
}

impl Operator for Global {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, var, id) = (g.rt(), g.var("global"), g.id);
        let init = match &g.input_source {
            Some(src) => quote_spanned!(g.span=> #rt::kafka::global::Global::new(&#src, #id)),
            None => quote_spanned!(g.span=> #rt::kafka::global::Global::local()),
        };
        quote!(let mut #var = #init;)
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, var, time) = (g.rt(), g.var("global"), g.time);
        match &g.selected {
            Some(select) => {
                quote_spanned!(g.span=> #rt::kafka::global::finish(&mut #var, #time, #acc, #select)?)
            }
            None => {
                quote_spanned!(g.span=> ::core::compile_error!("`global` follows `sort |> take(n)`"))
            }
        }
    }
}
