//! `event_window(W, S [, offset O]) count | count_by_value | reduce_by_key(f)
//! [emit append | update | complete]`: aggregation over event-time windows with the
//! watermark of the path's `event_time` stage (runtime: `ops::event_window` and
//! `event_time::EventWindows`). Output elements are `((Window, K), V)`, `(Window, n)` for
//! `count`.
//!
//! Its family shares the aggregation, the emit modes and the code: `session_window(gap)
//! count_by_value | reduce_by_key(f) [emit append | complete]`, per-key sessions
//! (`event_time::Sessions`).

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, Reducer};
use crate::duration::{self, Duration};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "event_window",
        role: Role::Barrier,
        flags: Flags {
            needs_watermark: true,
            ..Flags::NONE
        },
        parse,
    },
    OpDef {
        name: "session_window",
        role: Role::Barrier,
        flags: Flags {
            needs_watermark: true,
            ..Flags::NONE
        },
        parse: parse_session,
    },
];

const USAGE: &str = "`event_window(10m, 5m) count_by_value`, with `count`, `count_by_value` or `reduce_by_key(f)` after the window, optionally `offset O` as a third argument and `emit append|update|complete` at the end";

enum Agg {
    Count,
    CountByValue,
    ReduceByKey(Reducer),
}

enum Kind {
    Fixed {
        length: Duration,
        slide: Duration,
        offset: Option<Duration>,
    },
    Session {
        gap: Duration,
    },
}

pub struct EventWindow {
    kind: Kind,
    agg: Agg,
    emit: &'static str,
    /// `late(name)`: the stream of the rows dropped as late.
    late: Option<Ident>,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (inner, span, rest) = args::paren_group(op, tokens, USAGE)?;
    let parts = args::comma_separated(inner);
    let one = |p: &[TokenTree]| match p {
        [d] => duration::parse(d),
        _ => Err(syn::Error::new(span, format!("`{op}` takes {USAGE}"))),
    };
    let (length, slide, offset) = match parts.as_slice() {
        [w, s] => (one(w)?, one(s)?, None),
        [w, s, o] => match o.as_slice() {
            [TokenTree::Ident(kw), d] if kw == "offset" => {
                (one(w)?, one(s)?, Some(duration::parse(d)?))
            }
            _ => {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "the third argument of `{op}` is an offset: `{op}(1h, 1h, offset 15m)`"
                    ),
                ));
            }
        },
        _ => return Err(syn::Error::new(span, format!("`{op}` takes {USAGE}"))),
    };
    let (agg, emit, late) = aggregation(op, rest)?;
    let w = EventWindow {
        kind: Kind::Fixed {
            length,
            slide,
            offset,
        },
        agg,
        emit,
        late,
    };
    w.check()?;
    Ok(Box::new(w))
}

const SESSION_USAGE: &str = "`session_window(5m) count_by_value` or `session_window(5m) reduce_by_key(+)` (sessions per key), optionally `emit append` or `emit complete`";

/// `session_window(gap) count_by_value | reduce_by_key(f) [emit append | complete]`.
pub fn parse_session(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (inner, span, rest) = args::paren_group(op, tokens, SESSION_USAGE)?;
    let inner: Vec<TokenTree> = inner.into_iter().collect();
    let gap = match inner.as_slice() {
        [d] => duration::parse(d)?,
        _ => {
            return Err(syn::Error::new(
                span,
                format!("`{op}` takes a gap: {SESSION_USAGE}"),
            ));
        }
    };
    if gap.millis() == Some(0) {
        return Err(syn::Error::new(
            gap.span(),
            "the session gap must be positive, e.g. `session_window(5m)`",
        ));
    }
    let (agg, emit, late) = aggregation(op, rest)?;
    if matches!(agg, Agg::Count) {
        return Err(syn::Error::new(
            rest.first().map_or(op.span(), TokenTree::span),
            format!(
                "sessions are per key: use `count_by_value` (or `reduce_by_key(f)` over pairs) after `{op}(..)`, or `event_window` for a plain count"
            ),
        ));
    }
    if emit == "Update" {
        let at = rest.last().map_or(op.span(), TokenTree::span);
        return Err(syn::Error::new(
            at,
            "a session can still grow and merge until the watermark passes it, so `session_window` emits `append` (each session once, when it closes) or `complete`: remove `emit update`",
        ));
    }
    Ok(Box::new(EventWindow {
        kind: Kind::Session { gap },
        agg,
        emit,
        late,
    }))
}

/// `late(name)` at the end of `tokens`: the name, and the tokens before it.
fn late_suffix(tokens: &[TokenTree]) -> syn::Result<(&[TokenTree], Option<Ident>)> {
    match tokens {
        [rest @ .., TokenTree::Ident(kw), TokenTree::Group(g)]
            if kw == "late" && g.delimiter() == Delimiter::Parenthesis =>
        {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            match inner.as_slice() {
                [TokenTree::Ident(name)] => Ok((rest, Some(name.clone()))),
                _ => Err(syn::Error::new(
                    g.span(),
                    "`late` takes the name of the stream of late rows: `late(too_late)`, then `too_late |> print;`",
                )),
            }
        }
        _ => Ok((tokens, None)),
    }
}

/// The aggregation after the window, then an optional emit mode and `late(name)`.
fn aggregation(op: &Ident, rest: &[TokenTree]) -> syn::Result<(Agg, &'static str, Option<Ident>)> {
    let (rest, late) = late_suffix(rest)?;
    let (agg, rest) = match rest {
        [TokenTree::Ident(a), rest @ ..] if a == "count" => (Agg::Count, rest),
        [TokenTree::Ident(a), rest @ ..] if a == "count_by_value" => (Agg::CountByValue, rest),
        [TokenTree::Ident(a), g @ TokenTree::Group(grp), rest @ ..]
            if a == "reduce_by_key" && grp.delimiter() == Delimiter::Parenthesis =>
        {
            let f = args::one_reducer(a, std::slice::from_ref(g))?;
            (Agg::ReduceByKey(f), rest)
        }
        [first, ..] => {
            return Err(syn::Error::new(
                first.span(),
                format!(
                    "after `{op}(..)` comes the aggregation: `count`, `count_by_value` or `reduce_by_key(+)`"
                ),
            ));
        }
        [] => {
            return Err(syn::Error::new(
                op.span(),
                format!(
                    "`{op}(..)` needs an aggregation after it: `count`, `count_by_value` or `reduce_by_key(+)`"
                ),
            ));
        }
    };
    let emit = match rest {
        [] => "Append",
        [TokenTree::Ident(e), TokenTree::Ident(m)] if e == "emit" => match m.to_string().as_str() {
            "append" => "Append",
            "update" => "Update",
            "complete" => "Complete",
            other => {
                return Err(syn::Error::new(
                    m.span(),
                    format!(
                        "unknown emit mode `{other}`: write `emit append`, `emit update` or `emit complete`"
                    ),
                ));
            }
        },
        [first, ..] => {
            return Err(syn::Error::new(
                first.span(),
                "expected `emit append`, `emit update` or `emit complete` after the aggregation",
            ));
        }
    };
    Ok((agg, emit, late))
}

impl EventWindow {
    /// Fixed windows without a `late(name)` stream fold each run's rows into panes in the
    /// fused loop (runtime `ops::event_window`, `fold_*`): the rows are never materialised.
    /// A late stream needs every late row, and a session depends on the other rows.
    fn folds_in_loop(&self) -> bool {
        matches!(self.kind, Kind::Fixed { .. }) && self.late.is_none()
    }

    /// The runtime `WindowSpec` of a fixed window.
    fn spec(&self, g: &StageContext) -> TokenStream {
        let rt = g.rt();
        let Kind::Fixed {
            length,
            slide,
            offset,
        } = &self.kind
        else {
            return quote_spanned!(g.span=> ::core::unreachable!());
        };
        let w = length.to_millis_expr("an event-time window's length");
        let s = slide.to_millis_expr("an event-time window's slide");
        let o = offset.as_ref().map_or_else(
            || quote::quote!(0u64),
            |o| o.to_millis_expr("a window offset"),
        );
        quote_spanned!(g.span=> #rt::event_time::WindowSpec::new(#w, #s, #o))
    }

    /// Spark's rules on literal durations: 0 < S ≤ W, offset < S.
    fn check(&self) -> syn::Result<()> {
        let Kind::Fixed {
            length,
            slide,
            offset,
        } = &self.kind
        else {
            return Ok(());
        };
        let (w, s) = (length.millis(), slide.millis());
        for (d, what) in [(length, "window length"), (slide, "slide")] {
            if d.millis() == Some(0) {
                return Err(syn::Error::new(
                    d.span(),
                    format!("the {what} must be positive"),
                ));
            }
        }
        if let (Some(w), Some(s)) = (w, s) {
            if s > w {
                return Err(syn::Error::new(
                    slide.span(),
                    format!(
                        "the slide ({}) is longer than the window ({}): rows between windows would be lost; make the slide at most the window, e.g. `event_window({}, {})`",
                        duration::show(s),
                        duration::show(w),
                        duration::show(w),
                        duration::show(w)
                    ),
                ));
            }
        }
        if let (Some(o), Some(s)) = (offset.as_ref().and_then(Duration::millis), s) {
            if o >= s {
                return Err(syn::Error::new(
                    offset.as_ref().map_or(Span::call_site(), Duration::span),
                    format!(
                        "the offset ({}) must be smaller than the slide ({}): windows repeat every slide, so take the offset modulo the slide",
                        duration::show(o),
                        duration::show(s)
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Operator for EventWindow {
    fn defines_streams(&self) -> Vec<&Ident> {
        self.late.iter().collect()
    }
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, state) = (g.rt(), g.var("windows"));
        let emit = Ident::new(self.emit, g.span);
        let emit = quote_spanned!(g.span=> #rt::event_time::Emit::#emit);
        match &self.kind {
            Kind::Fixed { .. } => {
                let spec = self.spec(g);
                let late = g.late_count_setup();
                quote_spanned! {g.span=>
                    let mut #state = #rt::event_time::EventWindows::new(#spec, #emit);
                    #late
                }
            }
            Kind::Session { gap } => {
                let gap = gap.to_millis_expr("a session gap");
                let late = g.late_count_setup();
                quote_spanned! {g.span=>
                    let mut #state = #rt::event_time::Sessions::new(#gap, #emit);
                    #late
                }
            }
        }
    }
    fn state_var(&self, g: &StageContext) -> Option<Ident> {
        Some(g.var("windows"))
    }
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        if !self.folds_in_loop() {
            return super::collect_run(g, it);
        }
        let (rt, spec) = (g.rt(), self.spec(g));
        match &self.agg {
            Agg::Count => quote_spanned!(g.span=> #rt::ops::event_window::fold_count(#it, #spec)),
            Agg::CountByValue => {
                quote_spanned!(g.span=> #rt::ops::event_window::fold_count_by_value(#it, #spec))
            }
            Agg::ReduceByKey(f) => {
                let f = f.closure();
                quote_spanned!(g.span=> #rt::ops::event_window::fold_reduce_by_key(#it, #spec, #f))
            }
        }
    }
    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        if !self.folds_in_loop() {
            return super::concat_runs(g, a, b);
        }
        let rt = g.rt();
        let f = match &self.agg {
            Agg::ReduceByKey(f) => f.closure(),
            Agg::Count | Agg::CountByValue => quote_spanned!(g.span=> |x: i64, y: i64| x + y),
        };
        quote_spanned!(g.span=> #rt::ops::event_window::merge_folded(#a, #b, #f))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, state, ctx) = (g.rt(), g.var("windows"), g.ctx);
        let marks = &g.watermarks;
        let marks = quote_spanned!(g.span=> &[#(&#marks),*]);
        let late = g.late_count();
        if self.folds_in_loop() {
            return match &self.agg {
                Agg::Count => quote_spanned!(g.span=>
                    #rt::ops::event_window::count_folded(&mut #state, #ctx, #late, #acc, #marks)),
                Agg::CountByValue => quote_spanned!(g.span=>
                    #rt::ops::event_window::reduce_by_key_folded(&mut #state, #ctx, #late, #acc, #marks, |x: i64, y: i64| x + y)),
                Agg::ReduceByKey(f) => {
                    let f = f.closure();
                    quote_spanned!(g.span=>
                        #rt::ops::event_window::reduce_by_key_folded(&mut #state, #ctx, #late, #acc, #marks, #f))
                }
            };
        }
        let rows = match &self.late {
            Some(name) => {
                let var = crate::names::stream_var(name);
                quote_spanned!(g.span=> ::core::option::Option::Some(&mut #var))
            }
            None => quote_spanned!(g.span=> ::core::option::Option::None),
        };
        match &self.agg {
            Agg::Count => {
                quote_spanned!(g.span=> #rt::ops::event_window::count(&mut #state, #ctx, #late, #acc, #marks, #rows))
            }
            Agg::CountByValue => {
                quote_spanned!(g.span=> #rt::ops::event_window::count_by_value(&mut #state, #ctx, #late, #acc, #marks, #rows))
            }
            Agg::ReduceByKey(f) => {
                let f = f.closure();
                quote_spanned!(g.span=> #rt::ops::event_window::reduce_by_key(&mut #state, #ctx, #late, #acc, #marks, #f, #rows))
            }
        }
    }
}
