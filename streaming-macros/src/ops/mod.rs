//! The operators, one file each (a family, such as the joins, shares one). A file declares
//! its operators as data, [`OpDef`]s in its `OPERATORS` (name, [`Role`], [`Flags`],
//! parser), and holds what its parser builds: an [`Operator`], which checks the stage and
//! writes its code with a [`StageContext`]. [`OPERATORS`], the table the parser looks
//! names up in, is built from the files' definitions, so adding an operator is one new file
//! plus one line in `operators!` below (and its runtime half in
//! `streaming-runtime/src/ops/` or `sink/`).
//!
//! An operator plays one of three roles in the fused code ([`Role`]):
//! - an *adapter* (map, filter, ...) wraps the element iterator and fuses with its
//!   neighbours into one loop;
//! - a *barrier* (count, reduce_by_key, sort, ...) needs the whole batch: it folds each run
//!   of the batch into a partial, merges the partials and finishes into the next batch;
//! - a *sink* (print, save_as_text_files, ...) is a barrier that ends the pipeline.

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::Ident;

use crate::args;
use crate::ctxt::Ctxt;
use crate::stream::Slide;
use crate::suggest;

mod context;
mod shapes;

pub use context::StageContext;
use shapes::{Adapter, ReducerBarrier, RuntimeBarrier};

/// Declares each operator file and builds [`OPERATORS`] from the definitions it exports:
/// adding an operator is one file plus one line here.
macro_rules! operators {
    ($($file:ident),* $(,)?) => {
        $(mod $file;)*

        /// Every operator, by its DSL name (Spark's name in snake case), file by file.
        pub const OPERATORS: &[&[OpDef]] = &[$($file::OPERATORS),*];
    };
}

operators! {
    map,
    flat_map,
    filter,
    map_values,
    flat_map_values,
    event_time,
    event_window,
    drop_duplicates,
    count,
    reduce,
    count_by_value,
    reduce_by_key,
    group_by_key,
    transform,
    union,
    repartition,
    sort,
    take,
    global,
    join,
    interval_join,
    map_with_state,
    parse,
    update_state_by_key,
    window,
    print,
    save_as_text_files,
    save_to_postgres,
    save_to_kafka,
    foreach_batch,
    collect,
    mllib,
}

/// Every operator definition.
pub fn all() -> impl Iterator<Item = &'static OpDef> {
    OPERATORS.iter().flat_map(|defs| defs.iter())
}

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

/// One parsed stage.
pub trait Operator {
    /// Named streams this stage reads besides its input (e.g. `union(other)`).
    fn streams_read(&self) -> Vec<&Ident> {
        Vec::new()
    }

    /// A stream this stage reads by its elements' event-time stamps, which it must then
    /// have (`interval_join` without `time(f)`): `check` says so where it has none.
    fn reads_stamps_of(&self) -> Option<&Ident> {
        None
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
    fn receive(&self, _g: &StageContext, _batch: &Ident) -> Option<TokenStream> {
        None
    }

    /// Statements run at the end of every batch, before its checkpoint (`event_time`
    /// advances its watermark).
    fn end_of_batch(&self, _g: &StageContext) -> TokenStream {
        TokenStream::new()
    }

    /// Windows: the slide of this stage's output, which then exists only at those times.
    fn output_slide(&self) -> Option<Slide> {
        None
    }

    /// Stateful stages: the variable holding their store (set up by `setup`), saved in
    /// checkpoints (it must be serde-serialisable then).
    fn state_var(&self, _g: &StageContext) -> Option<Ident> {
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
    fn setup(&self, _g: &StageContext) -> TokenStream {
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
    fn adapt(&self, _g: &StageContext, it: &Ident) -> TokenStream {
        quote!(#it)
    }

    /// Adapters: statements run after the segment's runs, before its `finish` (so before a
    /// sink in the segment writes anything; they may use `?`). `parse` hands its malformed
    /// rows to their stream, counts them, or fails the batch there.
    fn after_runs(&self, _g: &StageContext) -> TokenStream {
        TokenStream::new()
    }

    /// Adapters with `fusion off`: the stage's output `Vec` from the materialised `batch`.
    fn adapt_unfused(&self, _g: &StageContext, _batch: &Ident) -> Option<TokenStream> {
        None
    }

    /// What the stage can do in a `sort |> take(n)` chain.
    fn first_n(&self) -> FirstN {
        FirstN::default()
    }

    /// Barriers and sinks that read only the first elements of their input (`take(n)`,
    /// `print(n)`): how many, as a `usize` expression. Lets a `sort` before them keep just
    /// those instead of sorting everything.
    fn reads_first(&self, _g: &StageContext) -> Option<TokenStream> {
        None
    }
    /// Barriers: `finish`, when the next stage reads only the `first` elements of the
    /// result (`None`: this stage cannot use that; plain `finish` is used).
    fn finish_first(
        &self,
        _g: &StageContext,
        _acc: &Ident,
        _first: &TokenStream,
    ) -> Option<TokenStream> {
        None
    }
    /// Barriers that order their batch (`sort`), when the next stage reads only their
    /// `first` elements: a runtime `ops::sort::Select` expression that the stage before
    /// may apply itself, handing over only those elements (`None`: it cannot be done
    /// exactly, as for the stable `sort_by`).
    fn select_first(&self, _g: &StageContext, _first: &TokenStream) -> Option<TokenStream> {
        None
    }
    /// Barriers: `finish`, when the next stage keeps only what `select` (from its
    /// [`Operator::select_first`]) picks. A window picks from references into its store and
    /// copies only those (`None`: plain `finish` is used).
    fn finish_selected(
        &self,
        _g: &StageContext,
        _acc: &Ident,
        _select: &TokenStream,
    ) -> Option<TokenStream> {
        None
    }
    /// Barriers and sinks: fold one run's iterator `it` into a partial result (by default
    /// the run's elements, collected: [`collect_run`]).
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        collect_run(g, it)
    }

    /// Barriers and sinks: merge partial `b` into `a: &mut Partial`, keeping run order (by
    /// default the collected runs one after the other: [`concat_runs`]).
    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        concat_runs(g, a, b)
    }

    /// Barriers: the next batch (a `Vec`) from the merged partial `acc`. Sinks: a statement
    /// writing it out (it may use `?`).
    fn finish(&self, _g: &StageContext, acc: &Ident) -> TokenStream {
        quote!(#acc)
    }
}

/// [`Operator::fold`]'s default: the run's elements in a `Vec` sized by its input.
pub fn collect_run(g: &StageContext, it: &Ident) -> TokenStream {
    let (rt, len) = (g.rt(), g.run_len());
    quote_spanned!(g.span=> #rt::run_vec::collect_run(#it, #len))
}

/// [`Operator::merge`]'s default: run `b`'s elements after run `a`'s.
pub fn concat_runs(g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
    let rt = g.rt();
    quote_spanned!(g.span=> #rt::ops::concat(#a, #b))
}

type ParseFn = fn(&Ident, &[TokenTree]) -> syn::Result<Box<dyn Operator>>;

/// An operator as data: its DSL name, its role and what it does to the stream's event
/// time, known before any stage is parsed, and the parser of its arguments, which gives the
/// stage's code writer ([`Operator`]).
pub struct OpDef {
    pub name: &'static str,
    pub role: Role,
    pub flags: Flags,
    pub parse: ParseFn,
}

/// What an operator does besides transforming elements.
#[derive(Clone, Copy)]
pub struct Flags {
    /// `event_time`: stamps elements with their event time and starts a watermark.
    pub stamps: bool,
    /// Barriers whose output keeps the event-time stamps of their input (`drop_duplicates`;
    /// `union`, whose two stamped inputs stay stamped and whose later stages go by the
    /// lower of both paths' watermarks, as Spark's global watermark).
    pub keeps_stamps: bool,
    /// Event-time stages: they need a watermark upstream (`check` says where it is missing).
    pub needs_watermark: bool,
    /// Barriers whose output exists only in some batches or processes (`global`: in the
    /// task of partition 0): the stages after them run only when it does.
    pub output_optional: bool,
}

impl Flags {
    pub const NONE: Flags = Flags {
        stamps: false,
        keeps_stamps: false,
        needs_watermark: false,
        output_optional: false,
    };
}

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
        "save_as_object_file" => "save_as_object_files".to_string(),
        "pprint" => "print".to_string(),
        _ => snake,
    };
    all().map(|o| o.name).find(|&n| n == snake)
}

/// Parses one stage `name args...`; reports errors to `cx`.
pub fn parse_stage(
    name: &Ident,
    args: &[TokenTree],
    cx: &Ctxt,
) -> Option<(&'static OpDef, Box<dyn Operator>)> {
    let key = name.to_string();
    let Some(def) = all().find(|o| o.name == key) else {
        let hint = match spark_alias(&key) {
            Some(n) if n != key => format!("; did you mean `{n}`?"),
            _ => suggest::hint(&key, all().map(|o| o.name)),
        };
        cx.error(name.span(), format!("unknown operator `{key}`{hint}"));
        return None;
    };
    match (def.parse)(name, args) {
        Ok(op) => Some((def, op)),
        Err(e) => {
            cx.syn(e);
            None
        }
    }
}
