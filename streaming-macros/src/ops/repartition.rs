//! `repartition("topic")`: a shuffle through Kafka (runtime: `kafka::repartition`, feature
//! `kafka`). The plan cuts the statement here: the stage ends the first flow, writing its
//! pairs to the topic, and the rest of the statement is a flow of its own reading the
//! topic back (a source the plan adds, [`crate::plan::PlanSource::Repartitioned`]), whose
//! input this stage's [`Operator::receive`] decodes and deduplicates.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;
use crate::sources::KAFKA_FEATURE;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "repartition",
        role: Role::Sink,
        flags: Flags::NONE,
        parse,
    },
];

const USAGE: &str = "`repartition(\"topic\")` after `(key, value)` pairs";

pub struct Repartition {
    topic: syn::Expr,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    if !cfg!(feature = "kafka") {
        return Err(syn::Error::new(
            op.span(),
            KAFKA_FEATURE.replace("{}", "`repartition`"),
        ));
    }
    let mut e = args::exprs(op, tokens, 1, 1, USAGE)?;
    Ok(Box::new(Repartition { topic: e.remove(0) }))
}

impl Operator for Repartition {
    fn repartition_topic(&self) -> Option<&syn::Expr> {
        Some(&self.topic)
    }
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, writer, received) = (g.rt(), g.var("writer"), g.var("received"));
        let (Some(input), Some(reader)) = (&g.input_source, &g.feeds) else {
            // The plan gives a repartition both (or reports an error).
            return TokenStream::new();
        };
        quote_spanned! {g.span=>
            let mut #writer = #rt::kafka::repartition::Repartition::new(&#input, &#reader);
            let mut #received = #rt::kafka::repartition::ReceivedUnits::default();
        }
    }
    fn state_var(&self, g: &StageContext) -> Option<Ident> {
        Some(g.var("received"))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (writer, received, ctx) = (g.var("writer"), g.var("received"), g.ctx);
        quote_spanned!(g.span=> #writer.write(#ctx, &mut #received, &#acc)?;)
    }
    fn receive(&self, g: &StageContext, batch: &Ident) -> Option<TokenStream> {
        let (rt, writer, received) = (g.rt(), g.var("writer"), g.var("received"));
        Some(quote_spanned! {g.span=>
            #rt::kafka::repartition::receive(&#writer, &mut #received, &#batch)?
        })
    }
}
