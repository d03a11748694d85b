//! The context a stage's code is written in: its number and variables, the job's
//! variables, and what the plan knows of the stream it reads.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

/// What one stage's code is written with: the names and places the code writers use.
pub struct StageContext<'a> {
    /// The stage's operator name: generated calls carry it, so that type errors (say, a
    /// keyed operator given non-pairs) point at the stage rather than the whole macro.
    pub span: Span,
    /// This stage's number, unique in the pipeline (for its setup variables).
    pub id: usize,
    /// The `BatchContext` variable.
    pub ctx: &'a Ident,
    /// The batch time variable.
    pub time: &'a Ident,
    /// The value of a named stream for this use (a copy unless it is the last use).
    pub stream: &'a dyn Fn(&Ident) -> TokenStream,
    /// The slide of the stage's incoming stream, in milliseconds (a `u64` expression).
    pub slide: TokenStream,
    /// The incoming slide is a literal (already checked by the macro).
    pub slide_is_literal: bool,
    /// The variable of the source at the root of the flow's input (read directly, or
    /// through the named streams the flow reads first).
    pub input_source: Option<Ident>,
    /// `repartition`: the source variable of the topic this stage writes, read back.
    pub feeds: Option<Ident>,
    /// The order and count of a `sort |> take(n)` right before this stage (a runtime
    /// `ops::sort::Select` expression), for `global`.
    pub selected: Option<TokenStream>,
    /// Elements arrive stamped, `(Timestamp, x)` (an `event_time` stage upstream).
    pub timed: bool,
    /// The watermark variables of the `event_time` stages upstream.
    pub watermarks: Vec<Ident>,
    /// The first stream the stage reads besides its input (`streams_read`) is stamped.
    pub other_timed: bool,
    /// How messages and metrics name the stage: "`event_window` (pipeline statement 2)".
    pub label: String,
}

impl<'a> StageContext<'a> {
    /// The context of stage `id`, knowing nothing of its flow (no input source, stamps
    /// or label): for calling a stage's hooks from outside its own segment.
    pub fn bare(
        span: Span,
        id: usize,
        ctx: &'a Ident,
        time: &'a Ident,
        stream: &'a dyn Fn(&Ident) -> TokenStream,
    ) -> Self {
        StageContext {
            span,
            id,
            ctx,
            time,
            stream,
            slide: quote!(0u64),
            slide_is_literal: false,
            input_source: None,
            feeds: None,
            selected: None,
            timed: false,
            watermarks: Vec::new(),
            other_timed: false,
            label: String::new(),
        }
    }

    /// [`StageContext::bare`] for another stage `id` of this stage's stream (same slide).
    pub fn other_stage(&self, span: Span, id: usize) -> StageContext<'a> {
        StageContext {
            slide: self.slide.clone(),
            slide_is_literal: self.slide_is_literal,
            ..StageContext::bare(span, id, self.ctx, self.time, self.stream)
        }
    }

    /// An event-time stage's `ops::event_window::LateCount`: its label and its source's
    /// metrics (a variable set up by [`StageContext::late_count_setup`]).
    pub fn late_count(&self) -> TokenStream {
        let (rt, label, metrics) = (self.rt(), &self.label, self.var("source_metrics"));
        quote_spanned! {self.span=>
            #rt::ops::event_window::LateCount { stage: #label, source: #metrics.as_deref() }
        }
    }

    /// The setup of [`StageContext::late_count`]: the metrics of the flow's source, if any.
    pub fn late_count_setup(&self) -> TokenStream {
        let (rt, metrics) = (self.rt(), self.var("source_metrics"));
        match &self.input_source {
            Some(src) => quote_spanned! {self.span=>
                let #metrics = ::core::option::Option::Some(#rt::SourceControl::metrics(&*#rt::Source::control(&#src)));
            },
            None => quote_spanned! {self.span=>
                let #metrics: ::core::option::Option<::std::sync::Arc<#rt::SourceMetrics>> = ::core::option::Option::None;
            },
        }
    }
}

impl StageContext<'_> {
    /// The runtime path, spanned at this stage.
    pub fn rt(&self) -> TokenStream {
        crate::names::rt_at(self.span)
    }

    /// The number of elements a fused run reads (a `usize` in scope in every fold):
    /// what a fold that materialises the run sizes its vec by.
    pub fn run_len(&self) -> Ident {
        Ident::new("__run_len", Span::mixed_site())
    }

    /// A variable of this stage, set up before the batch loop.
    pub fn var(&self, what: &str) -> Ident {
        format_ident!("__stage{}_{}", self.id, what, span = Span::mixed_site())
    }

    /// The batch's parallelism, a `usize` variable usable in a stage's fold.
    pub fn parallelism(&self) -> Ident {
        crate::names::parallelism_var()
    }
}
