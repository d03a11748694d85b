//! `window(W, S)`: later stages see, at every slide, the elements of the last `W`;
//! `window(W, S) reduce(f)`: per-key results over the window, from per-pane partials;
//! `window(W, S) reduce(f, inv)`: the same, incrementally (old panes subtracted with `inv`);
//! `... keep |k, v| ..`: keeps only the results for which the function is true.
//!
//! `W` and `S` must be positive multiples of the incoming stream's slide (the batch
//! interval, or an earlier window's slide); `W` need not be a multiple of `S`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, FnArg, Reducer};
use crate::ctxt::Ctxt;
use crate::duration::{self, Duration};
use crate::plan::Slide;

const USAGE: &str = "`window(30s, 10s)`, optionally followed by `reduce(+)`, `reduce(+, -)` or `reduce(+, -) keep |k, v| *v > 0`";

pub struct Window {
    length: Duration,
    slide: Duration,
    reduce: Option<(Reducer, Option<Reducer>)>,
    keep: Option<FnArg>,
    span: Span,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (inner, span, rest) = args::paren_group(op, tokens, USAGE)?;
    let mut rest: Vec<TokenTree> = rest.to_vec();
    let parts: Vec<TokenTree> = inner.into_iter().collect();
    let durations: Vec<&[TokenTree]> = parts
        .split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
        .filter(|p| !p.is_empty())
        .collect();
    let [[length], [slide]] = durations.as_slice() else {
        return Err(syn::Error::new(
            span,
            format!("`window` takes a length and a slide: {USAGE}"),
        ));
    };
    let (length, slide) = (duration::parse(length)?, duration::parse(slide)?);
    let mut reduce = None;
    if let Some(TokenTree::Ident(kw)) = rest.first() {
        if kw == "reduce" {
            let (mut fs, fspan, after) = args::reducers(kw, &rest[1..], USAGE)?;
            let f = fs.remove(0);
            let inv = if fs.is_empty() {
                None
            } else {
                Some(fs.remove(0))
            };
            if !fs.is_empty() {
                return Err(syn::Error::new(
                    fspan,
                    "`reduce` takes a function and at most one inverse: `reduce(+, -)`",
                ));
            }
            if let (Some(name), Some(_)) = (f.shorthand(), &inv) {
                if name == "min" || name == "max" {
                    return Err(syn::Error::new(
                        fspan,
                        format!(
                            "`{name}` has no inverse: write `reduce({name})`; its windows are combined from per-slide partials"
                        ),
                    ));
                }
            }
            reduce = Some((f, inv));
            rest = after;
        }
    }
    let mut keep = None;
    if let Some(TokenTree::Ident(kw)) = rest.first() {
        if kw == "keep" {
            if reduce.is_none() {
                return Err(syn::Error::new(
                    kw.span(),
                    "`keep` filters a window's reduced results: write `window(W, S) reduce(f) keep |k, v| ...`",
                ));
            }
            keep = Some(args::function(kw, &rest[1..], 2)?);
            rest.clear();
        }
    }
    args::no_more(op, &rest, USAGE)?;
    Ok(Box::new(Window {
        length,
        slide,
        reduce,
        keep,
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
    fn role(&self) -> Role {
        Role::Barrier
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

    fn setup(&self, g: &Gen) -> TokenStream {
        let w = g.var("window");
        quote_spanned!(self.span=> let mut #w = ::core::option::Option::None;)
    }

    fn fold(&self, g: &Gen, it: &Ident) -> TokenStream {
        let rt = g.rt();
        match &self.reduce {
            None => quote_spanned!(g.span=> #rt::ops::window::fold(#it)),
            Some((f, _)) => {
                let f = f.closure();
                quote_spanned!(g.span=> #rt::ops::reduce_by_key::fold(#it, #f))
            }
        }
    }

    fn merge(&self, g: &Gen, a: &Ident, b: &Ident) -> TokenStream {
        let rt = g.rt();
        match &self.reduce {
            None => quote_spanned!(g.span=> #rt::ops::concat(#a, #b)),
            Some((f, _)) => {
                let f = f.closure();
                quote_spanned!(g.span=> #rt::ops::reduce_by_key::merge(#a, #b, #f))
            }
        }
    }

    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let (rt, w, ctx, time, parent) = (g.rt(), g.var("window"), g.ctx, g.time, &g.slide);
        let length = self.length.to_millis_expr("a window's length");
        let slide = self.slide.to_millis_expr("a window's slide");
        match &self.reduce {
            None => quote_spanned! {g.span=>
                #rt::ops::window::buffer(&mut #w, #ctx, #length, #slide, #parent)?.push(#time, #acc)
            },
            Some((f, inv)) => {
                let f = f.closure();
                let (incremental, inv) = match inv {
                    Some(i) => {
                        let i = i.closure();
                        (
                            true,
                            quote_spanned!(g.span=> ::core::option::Option::Some(#i)),
                        )
                    }
                    None => (
                        false,
                        quote_spanned!(g.span=> #rt::ops::window::no_inverse()),
                    ),
                };
                let out = quote_spanned! {g.span=>
                    #rt::ops::window::keyed(&mut #w, #ctx, #length, #slide, #parent, #incremental)?
                        .push(#time, #rt::ops::window::owned_keys(#acc), #f, #inv)
                };
                match &self.keep {
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
