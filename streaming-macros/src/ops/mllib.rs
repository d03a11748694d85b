//! MLlib on streams, Spark's `trainOn` / `predictOn` / `predictOnValues` on a named model
//! (`let m = kmeans(3).random_centers(2, 0.0, 42);`, see `crate::parse`):
//!
//! - `train_on(m)`: an output operation (Spark's `trainOn` is a `foreachRDD`): the batch's
//!   elements (vectors for k-means, labeled points for regression) update the model;
//! - `predict_on(m)`: each vector becomes its prediction (a cluster's index, a value);
//! - `predict_on_values(m)`: `(k, vector)` becomes `(k, prediction)`.
//!
//! Predictions use the model as of the batch's start; the trained model becomes current at
//! the batch's end (`streaming-runtime/src/mllib`), and the model is checkpointed with the
//! pipeline's state (`crate::codegen`).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;
use crate::names::model_var;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "train_on",
        role: Role::Sink,
        flags: Flags::NONE,
        parse: parse_train,
    },
    OpDef {
        name: "predict_on",
        role: Role::Adapter,
        flags: Flags::NONE,
        parse: parse_predict,
    },
    OpDef {
        name: "predict_on_values",
        role: Role::Adapter,
        flags: Flags::NONE,
        parse: parse_predict,
    },
];

/// The model's name, `(m)`.
fn model_name(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Ident> {
    let usage = format!("`{op}(model)`, naming a model defined with `let model = kmeans(..)..;`");
    let (inner, span, rest) = args::paren_group(op, tokens, &usage)?;
    args::no_more(op, rest, &usage)?;
    let inner: Vec<TokenTree> = inner.into_iter().collect();
    match &inner[..] {
        [TokenTree::Ident(m)] => Ok(m.clone()),
        _ => Err(syn::Error::new(span, format!("expected {usage}"))),
    }
}

pub struct TrainOn(Ident);

fn parse_train(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(TrainOn(model_name(op, tokens)?)))
}

impl Operator for TrainOn {
    // The batch is collected in order (the default fold and merge) and trained on the
    // batch thread, so the result does not depend on `parallelism`.
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, model) = (g.rt(), model_var(&self.0));
        // `identity` spanned at the stage: a type error about the elements points there.
        quote_spanned!(g.span=> #rt::mllib::train_on(::core::convert::identity(&#model), ::core::convert::identity(#acc))?;)
    }
}

pub struct PredictOn {
    model: Ident,
    /// `predict_on_values`: the elements are `(k, vector)` pairs.
    values: bool,
}

fn parse_predict(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    Ok(Box::new(PredictOn {
        model: model_name(op, tokens)?,
        values: op == "predict_on_values",
    }))
}

impl PredictOn {
    fn iter(&self, g: &StageContext, it: &TokenStream) -> TokenStream {
        let (rt, model, tally) = (g.rt(), model_var(&self.model), g.var("predictions"));
        let f = if self.values {
            quote_spanned!(g.span=> predict_on_values)
        } else {
            quote_spanned!(g.span=> predict_on)
        };
        quote_spanned!(g.span=> #rt::mllib::#f(#it, &#model, &#tally))
    }
}

impl Operator for PredictOn {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, tally, label) = (g.rt(), g.var("predictions"), &g.label);
        quote_spanned!(g.span=> let #tally = #rt::mllib::Predictions::new(#label);)
    }
    fn adapt(&self, g: &StageContext, it: &Ident) -> TokenStream {
        self.iter(g, &quote_spanned!(g.span=> #it))
    }
    fn adapt_unfused(&self, g: &StageContext, batch: &Ident) -> Option<TokenStream> {
        let it = self.iter(
            g,
            &quote_spanned!(g.span=> ::core::iter::IntoIterator::into_iter(#batch)),
        );
        Some(quote_spanned!(g.span=> ::core::iter::Iterator::collect::<::std::vec::Vec<_>>(#it)))
    }
    // A point of another dimension than the model's fails the batch, as in Spark.
    fn after_runs(&self, g: &StageContext) -> TokenStream {
        let tally = g.var("predictions");
        quote_spanned!(g.span=> #tally.finish()?;)
    }
}
