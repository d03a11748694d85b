//! `window(W, S)`: later stages see, at every slide, the elements of the last `W`;
//! `window(W, S) reduce(f)`: per-key results over the window, from per-pane partials;
//! `window(W, S) reduce(f, inv)`: the same, incrementally (old panes subtracted with `inv`);
//! `... keep |k, v| ..`: keeps only the results for which the function is true.
//!
//! The rest of the window family shares the durations, checks and stores, so it lives
//! here too: `count_by_window(W, S)`, `reduce_by_window(f [, inv], W, S)`,
//! `count_by_value_and_window(W, S)`, `group_by_key_and_window(W, S)`.
//!
//! `W` and `S` must be positive multiples of the incoming stream's slide (the batch
//! interval, or an earlier window's slide); `W` need not be a multiple of `S`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{FirstN, Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, FnArg, Reducer};
use crate::ctxt::Ctxt;
use crate::duration::{self, Duration};
use crate::stream::Slide;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "window",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse,
    },
    OpDef {
        name: "count_by_window",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_count_by_window,
    },
    OpDef {
        name: "reduce_by_window",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_reduce_by_window,
    },
    OpDef {
        name: "count_by_value_and_window",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_count_by_value_and_window,
    },
    OpDef {
        name: "group_by_key_and_window",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_group_by_key_and_window,
    },
];

const USAGE: &str = "`window(30s, 10s)`, optionally followed by `reduce(+)`, `reduce(+, -)` or `reduce(+, -) keep |k, v| *v > 0`";

pub struct Window {
    length: Duration,
    slide: Duration,
    kind: Kind,
    span: Span,
}

enum Kind {
    /// `window(W, S)`
    Elements,
    /// `window(W, S) reduce(f [, inv]) [keep ..]`
    ReduceByKey {
        f: Reducer,
        inv: Option<Reducer>,
        keep: Option<FnArg>,
    },
    /// `count_by_window(W, S)`
    Count,
    /// `reduce_by_window(f [, inv], W, S)`
    Reduce { f: Reducer, inv: Option<Reducer> },
    /// `count_by_value_and_window(W, S)`
    CountByValue,
    /// `group_by_key_and_window(W, S)`
    GroupByKey,
}

/// `(W, S)` at the end of `tokens` (a group's contents); returns them and what precedes.
fn durations(
    op: &Ident,
    span: Span,
    tokens: &[TokenTree],
    usage: &str,
) -> syn::Result<(Duration, Duration, Vec<TokenTree>)> {
    let comma = |t: &TokenTree| matches!(t, TokenTree::Punct(p) if p.as_char() == ',');
    match tokens {
        [before @ .., l, c, s] if comma(c) => {
            let before = match before {
                [rest @ .., c] if comma(c) => rest.to_vec(),
                [] => Vec::new(),
                _ => return Err(syn::Error::new(span, format!("`{op}` takes {usage}"))),
            };
            Ok((duration::parse(l)?, duration::parse(s)?, before))
        }
        _ => Err(syn::Error::new(span, format!("`{op}` takes {usage}"))),
    }
}

/// A window operator taking exactly `(W, S)`.
fn just_durations(op: &Ident, tokens: &[TokenTree], kind: Kind) -> syn::Result<Box<dyn Operator>> {
    let usage = format!("a window length and slide: `{op}(30s, 10s)`");
    let (inner, span, rest) = args::paren_group(op, tokens, &usage)?;
    args::no_more(op, rest, &usage)?;
    let parts: Vec<TokenTree> = inner.into_iter().collect();
    let (length, slide, before) = durations(op, span, &parts, &usage)?;
    if !before.is_empty() {
        return Err(syn::Error::new(span, format!("`{op}` takes {usage}")));
    }
    Ok(Box::new(Window {
        length,
        slide,
        kind,
        span: op.span(),
    }))
}

pub fn parse_count_by_window(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    just_durations(op, tokens, Kind::Count)
}

pub fn parse_count_by_value_and_window(
    op: &Ident,
    tokens: &[TokenTree],
) -> syn::Result<Box<dyn Operator>> {
    just_durations(op, tokens, Kind::CountByValue)
}

pub fn parse_group_by_key_and_window(
    op: &Ident,
    tokens: &[TokenTree],
) -> syn::Result<Box<dyn Operator>> {
    just_durations(op, tokens, Kind::GroupByKey)
}

pub fn parse_reduce_by_window(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let usage = "a function, an optional inverse, a window length and slide: `reduce_by_window(+, -, 30s, 10s)`";
    let (inner, span, rest) = args::paren_group(op, tokens, usage)?;
    args::no_more(op, rest, usage)?;
    let parts: Vec<TokenTree> = inner.into_iter().collect();
    let (length, slide, before) = durations(op, span, &parts, usage)?;
    let group = TokenTree::Group(proc_macro2::Group::new(
        proc_macro2::Delimiter::Parenthesis,
        before.into_iter().collect(),
    ));
    let (f, inv) = reducer_and_inverse(op, &[group], usage)?;
    Ok(Box::new(Window {
        length,
        slide,
        kind: Kind::Reduce { f, inv },
        span: op.span(),
    }))
}

/// `(f)` or `(f, inv)`; an inverse of `min`/`max` is refused.
fn reducer_and_inverse(
    op: &Ident,
    tokens: &[TokenTree],
    usage: &str,
) -> syn::Result<(Reducer, Option<Reducer>)> {
    let (mut fs, fspan, after) = args::reducers(op, tokens, usage)?;
    args::no_more(op, &after, usage)?;
    let f = fs.remove(0);
    let inv = if fs.is_empty() {
        None
    } else {
        Some(fs.remove(0))
    };
    if !fs.is_empty() {
        return Err(syn::Error::new(
            fspan,
            "a window reduction takes a function and at most one inverse: `reduce(+, -)`",
        ));
    }
    if let (Some(name), Some(_)) = (f.shorthand(), &inv) {
        if name == "min" || name == "max" {
            return Err(syn::Error::new(
                fspan,
                format!(
                    "`{name}` has no inverse: write `{op}({name})`; its windows are combined from per-slide partials"
                ),
            ));
        }
    }
    Ok((f, inv))
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (inner, span, rest) = args::paren_group(op, tokens, USAGE)?;
    let parts: Vec<TokenTree> = inner.into_iter().collect();
    let usage = format!("a length and a slide: {USAGE}");
    let (length, slide, before) = durations(op, span, &parts, &usage)?;
    if !before.is_empty() {
        return Err(syn::Error::new(span, format!("`window` takes {usage}")));
    }
    let mut rest: Vec<TokenTree> = rest.to_vec();
    let mut kind = Kind::Elements;
    if let Some(TokenTree::Ident(kw)) = rest.first().cloned() {
        if kw == "reduce" {
            let end = rest
                .iter()
                .position(|t| matches!(t, TokenTree::Ident(i) if i == "keep"))
                .unwrap_or(rest.len());
            let (f, inv) = reducer_and_inverse(&kw, &rest[1..end], USAGE)?;
            kind = Kind::ReduceByKey { f, inv, keep: None };
            rest.drain(..end);
        }
    }
    if let Some(TokenTree::Ident(kw)) = rest.first().cloned() {
        if kw == "keep" {
            let Kind::ReduceByKey { keep, .. } = &mut kind else {
                return Err(syn::Error::new(
                    kw.span(),
                    "`keep` filters a window's reduced results: write `window(W, S) reduce(f) keep |k, v| ...`",
                ));
            };
            *keep = Some(args::function(&kw, &rest[1..], 2)?);
            rest.clear();
        }
    }
    args::no_more(op, &rest, USAGE)?;
    Ok(Box::new(Window {
        length,
        slide,
        kind,
        span: op.span(),
    }))
}

/// Spark's rule: a window's durations are positive multiples of the incoming slide.
fn check_multiple(what: &str, d: &Duration, incoming: &Slide, cx: &Ctxt) {
    let (Some(ms), Some(base)) = (d.millis(), incoming.duration.millis()) else {
        return;
    };
    if ms == 0 {
        cx.error(
            d.span(),
            format!(
                "window {what} must be positive; use {}",
                duration::show(base)
            ),
        );
    } else if base > 0 && ms % base != 0 {
        let lower = ms / base * base;
        let upper = lower + base;
        let fix = if lower == 0 {
            duration::show(upper)
        } else {
            format!("{} or {}", duration::show(lower), duration::show(upper))
        };
        cx.error(
            d.span(),
            format!(
                "window {what} {} is not a multiple of {} {}; use {fix}",
                duration::show(ms),
                incoming.what,
                duration::show(base)
            ),
        );
    }
}

impl Operator for Window {

    fn state_var(&self, g: &StageContext) -> Option<Ident> {
        Some(g.var("window"))
    }

    fn output_slide(&self) -> Option<Slide> {
        Some(Slide {
            duration: self.slide.clone(),
            what: "the previous window's slide".into(),
        })
    }

    fn window_length(&self) -> Option<&Duration> {
        Some(&self.length)
    }

    fn check_slide(&self, incoming: &Slide, cx: &Ctxt) {
        check_multiple("length", &self.length, incoming, cx);
        check_multiple("slide", &self.slide, incoming, cx);
    }

    fn setup(&self, g: &StageContext) -> TokenStream {
        let w = g.var("window");
        let store = quote_spanned!(self.span=> let mut #w = ::core::option::Option::None;);
        // Literal durations were checked by the macro; anything given as `{ const_expr }`
        // (here or upstream) is checked by rustc's const evaluation instead.
        let literal =
            self.length.millis().is_some() && self.slide.millis().is_some() && g.slide_is_literal;
        if literal {
            return store;
        }
        let (length, slide, parent) = (
            self.length.to_millis_expr("a window's length"),
            self.slide.to_millis_expr("a window's slide"),
            &g.slide,
        );
        quote_spanned! {self.span=>
            const _: () = {
                let (length, slide, parent): (u64, u64, u64) = (#length, #slide, #parent);
                ::core::assert!(parent > 0 && length > 0 && length % parent == 0,
                    "the window length must be a positive multiple of the incoming stream's slide (the batch interval or the previous window's slide)");
                ::core::assert!(slide > 0 && slide % parent == 0,
                    "the window slide must be a positive multiple of the incoming stream's slide (the batch interval or the previous window's slide)");
            };
            #store
        }
    }

    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let (rt, len) = (g.rt(), g.run_len());
        match &self.kind {
            Kind::Elements | Kind::GroupByKey => {
                quote_spanned!(g.span=> #rt::owned::collect_owned(#it, #len))
            }
            Kind::ReduceByKey { f, .. } => {
                let f = f.closure();
                quote_spanned!(g.span=> #rt::ops::reduce_by_key::fold(#it, #f))
            }
            Kind::Count => quote_spanned!(g.span=> #rt::ops::count::fold(#it)),
            Kind::Reduce { f, .. } => {
                let f = f.closure();
                quote_spanned!(g.span=> #rt::ops::reduce::fold(#it, #f))
            }
            Kind::CountByValue => quote_spanned!(g.span=> #rt::ops::count_by_value::fold(#it)),
        }
    }

    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        let rt = g.rt();
        match &self.kind {
            Kind::Elements | Kind::GroupByKey => quote_spanned!(g.span=> #rt::ops::concat(#a, #b)),
            Kind::ReduceByKey { f, .. } => {
                let f = f.closure();
                quote_spanned!(g.span=> #rt::ops::reduce_by_key::merge(#a, #b, #f))
            }
            Kind::Count => quote_spanned!(g.span=> #rt::ops::count::merge(#a, #b)),
            Kind::Reduce { f, .. } => {
                let f = f.closure();
                quote_spanned!(g.span=> #rt::ops::reduce::merge(#a, #b, #f))
            }
            Kind::CountByValue => quote_spanned!(g.span=> #rt::ops::count_by_value::merge(#a, #b)),
        }
    }

    fn first_n(&self) -> FirstN {
        // Keyed windows pick from references into their store; `keep` filters before any
        // pick, so it finishes everything.
        let keyed = matches!(
            self.kind,
            Kind::ReduceByKey { keep: None, .. } | Kind::CountByValue
        );
        FirstN {
            finishes_first: keyed,
            finishes_selected: keyed,
            ..FirstN::default()
        }
    }

    fn finish_first(&self, g: &StageContext, acc: &Ident, first: &TokenStream) -> Option<TokenStream> {
        self.keyed_finish(g, acc, &quote_spanned!(g.span=> push_first), first)
    }

    fn finish_selected(&self, g: &StageContext, acc: &Ident, select: &TokenStream) -> Option<TokenStream> {
        self.keyed_finish(
            g,
            acc,
            &quote_spanned!(g.span=> push_select),
            &quote_spanned!(g.span=> &#select),
        )
    }

    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, w, ctx, time, parent) = (g.rt(), g.var("window"), g.ctx, g.time, &g.slide);
        let length = self.length.to_millis_expr("a window's length");
        let slide = self.slide.to_millis_expr("a window's slide");
        let spec = quote_spanned!(g.span=> (#length, #slide, #parent));
        let inverse = |inv: &Option<Reducer>| match inv {
            Some(i) => {
                let i = i.closure();
                quote_spanned!(g.span=> ::core::option::Option::Some(#i))
            }
            None => quote_spanned!(g.span=> #rt::ops::window::no_inverse()),
        };
        let buffer = quote_spanned! {g.span=>
            #rt::ops::window::buffer(&mut #w, #ctx, #length, #slide, #parent)?.push(#time, #acc)
        };
        match &self.kind {
            Kind::Elements => buffer,
            Kind::GroupByKey => quote_spanned!(g.span=> #rt::ops::window::group(#buffer)),
            Kind::Count => {
                quote_spanned!(g.span=> #rt::ops::window::count(&mut #w, #ctx, #spec, #acc)?)
            }
            Kind::Reduce { f, inv } => {
                let (f, inv) = (f.closure(), inverse(inv));
                quote_spanned!(g.span=> #rt::ops::window::reduce(&mut #w, #ctx, #spec, #acc, #f, #inv)?)
            }
            Kind::CountByValue => quote_spanned! {g.span=>
                #rt::ops::window::keyed(&mut #w, #ctx, #length, #slide, #parent, true)?
                    .push(#time, #rt::ops::window::owned_keys(#acc), |a: i64, b: i64| a + b, ::core::option::Option::Some(|a: i64, b: i64| a - b))
            },
            Kind::ReduceByKey { f, inv, keep } => {
                let incremental = inv.is_some();
                let (f, inv) = (f.closure(), inverse(inv));
                let out = quote_spanned! {g.span=>
                    #rt::ops::window::keyed(&mut #w, #ctx, #length, #slide, #parent, #incremental)?
                        .push(#time, #rt::ops::window::owned_keys(#acc), #f, #inv)
                };
                match keep {
                    Some(k) => {
                        let k = k.closure(2);
                        quote_spanned!(g.span=> #rt::ops::window::keep(#out, #k))
                    }
                    None => out,
                }
            }
        }
    }
}

impl Window {
    /// A keyed window's `finish` through `KeyedWindow::<push>(.., extra)` (`push_first` or
    /// `push_select`): for `reduce` without `keep` (which filters before any pick) and for
    /// `count_by_value_and_window`; `None` for the others, which use plain `finish`.
    fn keyed_finish(
        &self,
        g: &StageContext,
        acc: &Ident,
        push: &TokenStream,
        extra: &TokenStream,
    ) -> Option<TokenStream> {
        let (rt, w, ctx, time, parent) = (g.rt(), g.var("window"), g.ctx, g.time, &g.slide);
        let length = self.length.to_millis_expr("a window's length");
        let slide = self.slide.to_millis_expr("a window's slide");
        let (incremental, f, inv) = match &self.kind {
            // `keep` filters before any selection: left to plain `finish`.
            Kind::ReduceByKey { f, inv, keep: None } => (
                inv.is_some(),
                f.closure(),
                match inv {
                    Some(i) => {
                        let i = i.closure();
                        quote_spanned!(g.span=> ::core::option::Option::Some(#i))
                    }
                    None => quote_spanned!(g.span=> #rt::ops::window::no_inverse()),
                },
            ),
            Kind::CountByValue => (
                true,
                quote_spanned!(g.span=> |a: i64, b: i64| a + b),
                quote_spanned!(g.span=> ::core::option::Option::Some(|a: i64, b: i64| a - b)),
            ),
            _ => return None,
        };
        Some(quote_spanned! {g.span=>
            #rt::ops::window::keyed(&mut #w, #ctx, #length, #slide, #parent, #incremental)?
                .#push(#time, #rt::ops::window::owned_keys(#acc), #f, #inv, #extra)
        })
    }
}
