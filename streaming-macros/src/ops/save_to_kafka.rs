//! `save_to_kafka(brokers, topic)[.option(k, v)][.json()]`: each batch written to a Kafka
//! topic, pairs as key and value (runtime: `kafka::sink`, feature `kafka`).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Ident, Token};

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;
use crate::sources::{KAFKA_FEATURE, check_options};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "save_to_kafka",
        role: Role::Sink,
        flags: Flags::NONE,
        parse,
    },
];

const USAGE: &str = "`save_to_kafka(\"127.0.0.1:9092\", \"topic\")`, optionally followed by `.option(\"key\", \"value\")` or `.json()`";

pub struct SaveToKafka {
    brokers: syn::Expr,
    topic: syn::Expr,
    /// `.name(args)` calls on the runtime's `KafkaSink` builder.
    options: TokenStream,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    if !cfg!(feature = "kafka") {
        return Err(syn::Error::new(
            op.span(),
            KAFKA_FEATURE.replace("{}", "`save_to_kafka`"),
        ));
    }
    let (inner, span, options) = args::paren_group(op, tokens, USAGE)?;
    let mut e: Vec<syn::Expr> = Punctuated::<syn::Expr, Token![,]>::parse_terminated
        .parse2(inner)?
        .into_iter()
        .collect();
    if e.len() != 2 {
        return Err(syn::Error::new(
            span,
            format!("`save_to_kafka` takes 2 arguments: write {USAGE}"),
        ));
    }
    check_options(
        options,
        &format!("`|>` or an option after `save_to_kafka(..)`: {USAGE}"),
    )?;
    let topic = e.remove(1);
    Ok(Box::new(SaveToKafka {
        brokers: e.remove(0),
        topic,
        options: options.iter().cloned().collect(),
    }))
}

impl Operator for SaveToKafka {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, sink) = (g.rt(), g.var("sink"));
        let (brokers, topic, options) = (&self.brokers, &self.topic, &self.options);
        quote_spanned! {g.span=>
            let mut #sink = #rt::kafka::sink::KafkaSink::new(#brokers, #topic) #options;
        }
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, sink, ctx) = (g.rt(), g.var("sink"), g.ctx);
        quote_spanned!(g.span=> #rt::kafka::sink::finish(#ctx, &mut #sink, &#acc)?;)
    }
}
