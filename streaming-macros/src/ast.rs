//! The parsed pipeline text: config lines and statements, with spans for error messages.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use syn::Ident;

use crate::duration::Duration;
use crate::ops::{OpDef, Operator};
use crate::sources::SourceDef;
use crate::stream::StreamProps;

pub struct Program {
    pub config: Config,
    pub statements: Vec<Statement>,
    /// Each `let` stream, as the stages reading it see it (filled by [`crate::props`]).
    pub streams: HashMap<String, StreamProps>,
}

#[derive(Default)]
pub struct Config {
    /// `batch D;` (required).
    pub batch: Option<Duration>,
    /// `parallelism N;` or `parallelism { expr };`.
    pub parallelism: Option<(TokenStream, Span)>,
    /// `fusion off;` compiles operator at a time; default on.
    pub fusion: Option<(bool, Span)>,
    /// A `batch` line was written (even if invalid), so "missing batch" is not reported.
    pub batch_line: bool,
    /// `checkpoint "dir" [every D];`
    pub checkpoint: Option<Checkpoint>,
    /// `backpressure on [initial_rate N];` or `backpressure off;`
    pub backpressure: Option<Backpressure>,
    /// A fingerprint of the pipeline's text: checkpoints of another pipeline are refused.
    pub fingerprint: u64,
    /// `ui "addr";`: the streaming page and `/metrics` (any expression of one token: a
    /// string literal or a variable holding the address).
    pub ui: Option<TokenStream>,
    /// The pipeline's text, one statement a line, for the streaming page.
    pub text: String,
    /// `let m = kmeans(..)..;` (or `linear_regression()`, `logistic_regression()`,
    /// `model(handle)`): the models the `train_on` / `predict_on` stages name.
    pub models: Vec<ModelDef>,
}

/// A named model: pipeline state that its stages share (see `streaming-runtime/src/mllib`).
pub struct ModelDef {
    pub name: Ident,
    /// The handle's expression (a `StreamingModel`).
    pub expr: TokenStream,
}

pub struct Backpressure {
    pub on: bool,
    /// Records per second until the first estimate (an integer literal).
    pub initial_rate: Option<TokenStream>,
}

pub struct Checkpoint {
    pub dir: TokenStream,
    pub every: Option<Duration>,
    /// `wal`: receivers keep a write-ahead log.
    pub wal: bool,
}

impl Config {
    /// Fused unless `fusion off;` (or, with the crate feature `unfused`, unless `fusion on;`:
    /// lets the test suites run every pipeline operator-at-a-time).
    pub fn fused(&self) -> bool {
        self.fusion
            .as_ref()
            .map_or(!cfg!(feature = "unfused"), |(on, _)| *on)
    }
}

/// `[let NAME =] HEAD |> stage |> stage ...`
pub struct Statement {
    pub binding: Option<Ident>,
    pub head: Head,
    pub stages: Vec<Stage>,
    /// False when a stage failed to parse: whole-statement checks are skipped, so one
    /// mistake gives one error.
    pub complete: bool,
    /// The statement's first token.
    pub span: Span,
    /// Items its code needs declared (a `sql(..)` query's row struct).
    pub items: TokenStream,
    /// Streams a `sql(..)` query reads that none of its stages do: a query it joins and
    /// computes again itself (a join back onto a windowed MAX). Not unused, though nothing
    /// may read them.
    pub reads: Vec<Ident>,
}

pub enum Head {
    /// `source socket(..)`
    Source(SourceDef),
    /// A named stream: `logs |> ...`
    Stream(Ident),
}

pub struct Stage {
    pub name: Ident,
    /// The operator's definition: its role and flags.
    pub def: &'static OpDef,
    pub op: Box<dyn Operator>,
    /// The stream this stage reads (filled by [`crate::props`], once the whole program
    /// parsed).
    pub input: StreamProps,
}

/// A pipeline's named static tables: `let name = table(expr);`. A name stands for its
/// expression wherever a stage or a query joins it (`join(name)`, `JOIN name`), so the
/// expression is evaluated once for each of those, when the pipeline is built, as the
/// `join(table(expr))` written there would be.
pub type Tables = HashMap<String, TokenStream>;

/// A pipeline's streams that are a query and nothing more, `let name = sql("..");`, by
/// name: the text a query joining one may read, to plan the join from what the other
/// side computes (a join back onto a windowed MAX, `sql::lower`).
pub type Queries = HashMap<String, String>;

/// What a query may read besides its FROM stream: the pipeline's tables, and the queries
/// it may join.
pub struct Catalog {
    pub tables: Tables,
    pub queries: Queries,
}
