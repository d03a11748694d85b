//! The operators, one file each: how the stage's arguments parse, what is checked, and the
//! code it contributes. [`OPERATORS`] is the table the parser looks names up in, so adding
//! an operator is one new file plus one line here (and its runtime half in
//! `streaming-runtime/src/ops/` or `sink/`).
//!
//! An operator plays one of three roles in the fused code ([`Role`]):
//! - an *adapter* (map, filter, ...) wraps the element iterator and fuses with its
//!   neighbours into one loop;
//! - a *barrier* (count, reduce_by_key, sort, ...) needs the whole batch: it folds each run
//!   of the batch into a partial, merges the partials and finishes into the next batch;
//! - a *sink* (print, save_as_text_files, ...) is a barrier that ends the pipeline.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use crate::args;
use crate::ctxt::Ctxt;
use crate::stream::Slide;
use crate::suggest;

mod collect;
mod count;
mod count_by_value;
mod drop_duplicates;
mod event_time;
mod event_window;
mod filter;
mod flat_map;
mod flat_map_values;
mod foreach_batch;
mod global;
mod group_by_key;
mod join;
mod map;
mod map_values;
mod map_with_state;
mod print;
mod reduce;
mod reduce_by_key;
mod repartition;
mod save_as_text_files;
mod save_to_kafka;
mod sort;
mod take;
mod transform;
mod union;
mod update_state_by_key;
mod window;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Adapter,
    Barrier,
    Sink,
}

/// What a stage can do in a `sort |> take(n)` chain, for the plan to decide what each
/// barrier finishes ([`crate::plan::Finish`]); the hooks `reads_first`, `select_first`,
/// `finish_first` and `finish_selected` then write what it decided.
#[derive(Clone, Copy, Default)]
pub struct FirstN {
    /// It reads only the first elements of its input (`take(n)`, `print(n)`).
    pub reads: bool,
    /// It orders its batch in a way the stage before can apply itself, picking only the
    /// first elements (`sort`, `sort_by_key`; not the stable `sort_by`).
    pub selects: bool,
    /// It can produce only the first elements of its result.
    pub finishes_first: bool,
    /// It can hand over only what an order's selection picks.
    pub finishes_selected: bool,
}

/// Names and places the code writers use.
pub struct Gen<'a> {
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
    /// How messages and metrics name the stage: "`event_window` (pipeline statement 2)".
    pub label: String,
}

impl<'a> Gen<'a> {
    /// The generator of stage `id`, knowing nothing of its flow (no input source, stamps
    /// or label): for calling a stage's hooks from outside its own segment.
    pub fn bare(
        span: Span,
        id: usize,
        ctx: &'a Ident,
        time: &'a Ident,
        stream: &'a dyn Fn(&Ident) -> TokenStream,
    ) -> Self {
        Gen {
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
            label: String::new(),
        }
    }

    /// [`Gen::bare`] for another stage `id` of this stage's stream (same slide).
    pub fn other_stage(&self, span: Span, id: usize) -> Gen<'a> {
        Gen {
            slide: self.slide.clone(),
            slide_is_literal: self.slide_is_literal,
            ..Gen::bare(span, id, self.ctx, self.time, self.stream)
        }
    }

    /// An event-time stage's `ops::event_window::LateCount`: its label and its source's
    /// metrics (a variable set up by [`Gen::late_count_setup`]).
    pub fn late_count(&self) -> TokenStream {
        let (rt, label, metrics) = (self.rt(), &self.label, self.var("source_metrics"));
        quote_spanned! {self.span=>
            #rt::ops::event_window::LateCount { stage: #label, source: #metrics.as_deref() }
        }
    }

    /// The setup of [`Gen::late_count`]: the metrics of the flow's source, if any.
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

impl Gen<'_> {
    /// The runtime path, spanned at this stage.
    pub fn rt(&self) -> TokenStream {
        crate::names::rt_at(self.span)
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

/// One parsed stage.
pub trait Operator {
    fn role(&self) -> Role;

    /// Named streams this stage reads besides its input (e.g. `union(other)`).
    fn streams_read(&self) -> Vec<&Ident> {
        Vec::new()
    }

    /// Named streams this stage produces besides its output (`late(name)`): each batch's
    /// elements, written by its `finish`.
    fn defines_streams(&self) -> Vec<&Ident> {
        Vec::new()
    }

    /// `repartition(topic)`: the stage writes its flow's pairs to `topic` and the rest of
    /// the statement reads them back, a flow of its own (see `crate::plan`).
    fn repartition_topic(&self) -> Option<&syn::Expr> {
        None
    }

    /// `repartition`: the pairs of the flow reading the topic back, from its source's raw
    /// `batch` (decoded and deduplicated with this stage's state; may use `?`).
    fn receive(&self, _g: &Gen, _batch: &Ident) -> Option<TokenStream> {
        None
    }

    /// Barriers whose output exists only in some batches or processes (`global`: in the
    /// task of partition 0): the stages after them run only when it does.
    fn output_optional(&self) -> bool {
        false
    }

    /// `event_time`: stamps elements with their event time and starts a watermark.
    fn stamps(&self) -> bool {
        false
    }

    /// Barriers whose output keeps the event-time stamps of their input
    /// (`drop_duplicates`).
    fn keeps_stamps(&self) -> bool {
        false
    }

    /// Event-time stages: they need a watermark upstream (`check` says where it is missing).
    fn needs_watermark(&self) -> bool {
        false
    }

    /// Statements run at the end of every batch, before its checkpoint (`event_time`
    /// advances its watermark).
    fn end_of_batch(&self, _g: &Gen) -> TokenStream {
        TokenStream::new()
    }

    /// Windows: the slide of this stage's output, which then exists only at those times.
    fn output_slide(&self) -> Option<Slide> {
        None
    }

    /// Stateful stages: the variable holding their store (set up by `setup`), saved in
    /// checkpoints (it must be serde-serialisable then).
    fn state_var(&self, _g: &Gen) -> Option<Ident> {
        None
    }

    /// Windows: how far back the stage reaches (drained when the sources end).
    fn window_length(&self) -> Option<&crate::duration::Duration> {
        None
    }

    /// Checks the stage against the slide of its incoming stream.
    fn check_slide(&self, _incoming: &Slide, _cx: &Ctxt) {}

    /// Statements run once when the pipeline is built (evaluating user arguments such as
    /// `collect(handle)`), outside the per-batch job.
    fn setup(&self, _g: &Gen) -> TokenStream {
        TokenStream::new()
    }

    /// Adapters first in their segment: the stage's function works on elements borrowed
    /// from the segment's input as well as on owned ones (`flat_map split`: words of a
    /// `&String` borrow from it), so the segment reads its input by reference. The input
    /// then outlives the fused loop, and what the stage yields may borrow from it: words
    /// split from a batch of owned strings allocate nothing.
    fn borrows_input(&self) -> bool {
        false
    }

    /// Adapters: their DSL name and function, for the plan's rewrites of adjacent stages
    /// (see `crate::rewrite`).
    fn adapter_fn(&self) -> Option<(&str, &args::FnArg)> {
        None
    }

    /// Adapters: an iterator expression wrapping the iterator `it`.
    fn adapt(&self, _g: &Gen, it: &Ident) -> TokenStream {
        quote!(#it)
    }

    /// Adapters with `fusion off`: the stage's output `Vec` from the materialised `batch`.
    fn adapt_unfused(&self, _g: &Gen, _batch: &Ident) -> Option<TokenStream> {
        None
    }

    /// What the stage can do in a `sort |> take(n)` chain.
    fn first_n(&self) -> FirstN {
        FirstN::default()
    }

    /// Barriers and sinks that read only the first elements of their input (`take(n)`,
    /// `print(n)`): how many, as a `usize` expression. Lets a `sort` before them keep just
    /// those instead of sorting everything.
    fn reads_first(&self, _g: &Gen) -> Option<TokenStream> {
        None
    }
    /// Barriers: `finish`, when the next stage reads only the `first` elements of the
    /// result (`None`: this stage cannot use that; plain `finish` is used).
    fn finish_first(&self, _g: &Gen, _acc: &Ident, _first: &TokenStream) -> Option<TokenStream> {
        None
    }
    /// Barriers that order their batch (`sort`), when the next stage reads only their
    /// `first` elements: a runtime `ops::sort::Select` expression that the stage before
    /// may apply itself, handing over only those elements (`None`: it cannot be done
    /// exactly, as for the stable `sort_by`).
    fn select_first(&self, _g: &Gen, _first: &TokenStream) -> Option<TokenStream> {
        None
    }
    /// Barriers: `finish`, when the next stage keeps only what `select` (from its
    /// [`Operator::select_first`]) picks. A window picks from references into its store and
    /// copies only those (`None`: plain `finish` is used).
    fn finish_selected(
        &self,
        _g: &Gen,
        _acc: &Ident,
        _select: &TokenStream,
    ) -> Option<TokenStream> {
        None
    }
    /// Barriers and sinks: fold one run's iterator `it` into a partial result.
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::collect_vec(#it))
    }

    /// Barriers and sinks: merge partial `b` into `a: &mut Partial`, keeping run order.
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::concat(#a, #b))
    }

    /// Barriers: the next batch (a `Vec`) from the merged partial `acc`. Sinks: a statement
    /// writing it out (it may use `?`).
    fn finish(&self, _g: &Gen, acc: &Ident) -> TokenStream {
        quote!(#acc)
    }
}

/// A barrier whose runtime half is a module of `streaming-runtime/src/ops/` with
/// `fold(it)`, `merge(a, b)` and `finish(acc)`; the operator takes no arguments.
pub struct RuntimeBarrier {
    module: &'static str,
}

impl RuntimeBarrier {
    /// `name` takes no arguments and is implemented by `rt::ops::<name>`.
    pub fn parse(
        op: &Ident,
        tokens: &[TokenTree],
        module: &'static str,
    ) -> syn::Result<Box<dyn Operator>> {
        args::no_more(op, tokens, &format!("`{op}` (it takes no arguments)"))?;
        Ok(Box::new(RuntimeBarrier { module }))
    }

    fn module(&self, g: &Gen) -> TokenStream {
        let (rt, m) = (g.rt(), Ident::new(self.module, g.span));
        quote_spanned!(g.span=> #rt::ops::#m)
    }
}

impl Operator for RuntimeBarrier {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let m = self.module(g);
        quote_spanned!(g.span=> #m::fold(#it))
    }
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let m = self.module(g);
        quote_spanned!(g.span=> #m::merge(#a, #b))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let m = self.module(g);
        quote_spanned!(g.span=> #m::finish(#acc))
    }
}

/// A reduction by one function (`reduce`): like [`RuntimeBarrier`], with the reducer passed
/// to the module's `fold` and `merge`.
pub struct ReducerBarrier {
    module: &'static str,
    f: args::Reducer,
}

impl ReducerBarrier {
    pub fn parse(
        op: &Ident,
        tokens: &[TokenTree],
        module: &'static str,
    ) -> syn::Result<Box<dyn Operator>> {
        Ok(Box::new(ReducerBarrier {
            module,
            f: args::one_reducer(op, tokens)?,
        }))
    }
}

impl Operator for ReducerBarrier {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let (rt, m, f) = (g.rt(), Ident::new(self.module, g.span), self.f.closure());
        quote_spanned!(g.span=> #rt::ops::#m::fold(#it, #f))
    }
    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let (rt, m, f) = (g.rt(), Ident::new(self.module, g.span), self.f.closure());
        quote_spanned!(g.span=> #rt::ops::#m::merge(#a, #b, #f))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let (rt, m) = (g.rt(), Ident::new(self.module, g.span));
        quote_spanned!(g.span=> #rt::ops::#m::finish(#acc))
    }
}

/// Writes a stage's code from the generator, its input and its closure.
type Writer = fn(&Gen, &Ident, TokenStream) -> TokenStream;

/// A stateless stage whose code wraps the iterator with its function, e.g. `map`; with
/// `fusion off` it is a stage of its own over a materialised batch (`unfused`).
pub struct Adapter {
    /// The DSL name (`map`, `filter`, ...), for plan rewrites.
    name: String,
    f: args::FnArg,
    write: Writer,
    unfused: Writer,
    /// See [`Operator::borrows_input`].
    borrows_input: bool,
}

impl Adapter {
    /// `op f` where `f` is a function of one element. `write(g, it, closure)` wraps the
    /// iterator `it`; `unfused(g, batch, closure)` maps the materialised `batch` to a `Vec`.
    pub fn parse(
        op: &Ident,
        tokens: &[TokenTree],
        write: Writer,
        unfused: Writer,
    ) -> syn::Result<Box<dyn Operator>> {
        Ok(Box::new(Adapter {
            name: op.to_string(),
            f: args::function(op, tokens, 1)?,
            write,
            unfused,
            borrows_input: false,
        }))
    }

    /// Like [`Adapter::parse`], for an operator whose function may take the element by
    /// reference when `borrows(f)` says so (see [`Operator::borrows_input`]).
    pub fn parse_borrowing(
        op: &Ident,
        tokens: &[TokenTree],
        write: Writer,
        unfused: Writer,
        borrows: fn(&args::FnArg) -> bool,
    ) -> syn::Result<Box<dyn Operator>> {
        let f = args::function(op, tokens, 1)?;
        Ok(Box::new(Adapter {
            name: op.to_string(),
            borrows_input: borrows(&f),
            f,
            write,
            unfused,
        }))
    }
}

impl Operator for Adapter {
    fn role(&self) -> Role {
        Role::Adapter
    }
    fn borrows_input(&self) -> bool {
        self.borrows_input
    }
    fn adapter_fn(&self) -> Option<(&str, &args::FnArg)> {
        Some((&self.name, &self.f))
    }
    fn adapt(&self, g: &Gen, it: &Ident) -> TokenStream {
        if g.timed {
            if let Some(code) = self.timed(g, it) {
                return code;
            }
        }
        (self.write)(g, it, self.f.closure(1))
    }
    fn adapt_unfused(&self, g: &Gen, batch: &Ident) -> Option<TokenStream> {
        if g.timed {
            let it = Ident::new("__it", Span::mixed_site());
            let rt = g.rt();
            let code = self.timed(g, &it)?;
            return Some(quote_spanned! {g.span=> {
                let #it = ::core::iter::IntoIterator::into_iter(#batch);
                #rt::ops::collect_vec(#code)
            }});
        }
        Some((self.unfused)(g, batch, self.f.closure(1)))
    }
}

impl Adapter {
    /// Over stamped elements `(Timestamp, x)`: the function sees `x`, the stamp stays.
    fn timed(&self, g: &Gen, it: &Ident) -> Option<TokenStream> {
        let (rt, f) = (g.rt(), self.f.closure(1));
        let op = Ident::new(&self.name, g.span);
        match self.name.as_str() {
            "map" | "filter" | "flat_map" | "map_values" | "flat_map_values" => {
                Some(quote_spanned!(g.span=> #rt::event_time::timed::#op(#it, #f)))
            }
            _ => None,
        }
    }
}

type ParseFn = fn(&Ident, &[TokenTree]) -> syn::Result<Box<dyn Operator>>;

pub struct OpDef {
    pub name: &'static str,
    pub parse: ParseFn,
}

/// Every operator, by its DSL name (Spark's name in snake case).
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "map",
        parse: map::parse,
    },
    OpDef {
        name: "flat_map",
        parse: flat_map::parse,
    },
    OpDef {
        name: "filter",
        parse: filter::parse,
    },
    OpDef {
        name: "map_values",
        parse: map_values::parse,
    },
    OpDef {
        name: "flat_map_values",
        parse: flat_map_values::parse,
    },
    OpDef {
        name: "event_time",
        parse: event_time::parse,
    },
    OpDef {
        name: "event_window",
        parse: event_window::parse,
    },
    OpDef {
        name: "drop_duplicates",
        parse: drop_duplicates::parse,
    },
    OpDef {
        name: "session_window",
        parse: event_window::parse_session,
    },
    OpDef {
        name: "count",
        parse: count::parse,
    },
    OpDef {
        name: "reduce",
        parse: reduce::parse,
    },
    OpDef {
        name: "count_by_value",
        parse: count_by_value::parse,
    },
    OpDef {
        name: "reduce_by_key",
        parse: reduce_by_key::parse,
    },
    OpDef {
        name: "group_by_key",
        parse: group_by_key::parse,
    },
    OpDef {
        name: "transform",
        parse: transform::parse,
    },
    OpDef {
        name: "union",
        parse: union::parse,
    },
    OpDef {
        name: "repartition",
        parse: repartition::parse,
    },
    OpDef {
        name: "sort",
        parse: sort::parse_sort,
    },
    OpDef {
        name: "sort_by_key",
        parse: sort::parse_sort_by_key,
    },
    OpDef {
        name: "sort_by",
        parse: sort::parse_sort_by,
    },
    OpDef {
        name: "take",
        parse: take::parse,
    },
    OpDef {
        name: "global",
        parse: global::parse,
    },
    OpDef {
        name: "join",
        parse: join::parse_join,
    },
    OpDef {
        name: "left_outer_join",
        parse: join::parse_left_outer_join,
    },
    OpDef {
        name: "right_outer_join",
        parse: join::parse_right_outer_join,
    },
    OpDef {
        name: "full_outer_join",
        parse: join::parse_full_outer_join,
    },
    OpDef {
        name: "cogroup",
        parse: join::parse_cogroup,
    },
    OpDef {
        name: "map_with_state",
        parse: map_with_state::parse,
    },
    OpDef {
        name: "update_state_by_key",
        parse: update_state_by_key::parse,
    },
    OpDef {
        name: "window",
        parse: window::parse,
    },
    OpDef {
        name: "count_by_window",
        parse: window::parse_count_by_window,
    },
    OpDef {
        name: "reduce_by_window",
        parse: window::parse_reduce_by_window,
    },
    OpDef {
        name: "count_by_value_and_window",
        parse: window::parse_count_by_value_and_window,
    },
    OpDef {
        name: "group_by_key_and_window",
        parse: window::parse_group_by_key_and_window,
    },
    OpDef {
        name: "print",
        parse: print::parse,
    },
    OpDef {
        name: "save_as_text_files",
        parse: save_as_text_files::parse,
    },
    OpDef {
        name: "save_to_kafka",
        parse: save_to_kafka::parse,
    },
    OpDef {
        name: "foreach_batch",
        parse: foreach_batch::parse,
    },
    OpDef {
        name: "collect",
        parse: collect::parse,
    },
];

/// Spark's camelCase names, so `reduceByKey` gets a precise suggestion.
fn spark_alias(name: &str) -> Option<&'static str> {
    let snake: String = name
        .chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['_', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect();
    let snake = match snake.as_str() {
        "foreach_r_d_d" => "foreach_batch".to_string(),
        "save_as_text_file" => "save_as_text_files".to_string(),
        "pprint" => "print".to_string(),
        _ => snake,
    };
    OPERATORS.iter().map(|o| o.name).find(|&n| n == snake)
}

/// Parses one stage `name args...`; reports errors to `cx`.
pub fn parse_stage(name: &Ident, args: &[TokenTree], cx: &Ctxt) -> Option<Box<dyn Operator>> {
    let key = name.to_string();
    let Some(def) = OPERATORS.iter().find(|o| o.name == key) else {
        let hint = match spark_alias(&key) {
            Some(n) if n != key => format!("; did you mean `{n}`?"),
            _ => suggest::hint(&key, OPERATORS.iter().map(|o| o.name)),
        };
        cx.error(name.span(), format!("unknown operator `{key}`{hint}"));
        return None;
    };
    match (def.parse)(name, args) {
        Ok(op) => Some(op),
        Err(e) => {
            cx.syn(e);
            None
        }
    }
}
