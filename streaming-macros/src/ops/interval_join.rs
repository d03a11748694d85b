//! `interval_join(s, lower, upper) [time(f)]`: this stream's stamped pairs `(k, v)` joined
//! with the pairs `(k, w)` of `s` whose time is `lower ..= upper` from theirs (`-10s`,
//! `0s`, `1h`: the other side's time less this side's), whichever batches they arrive in;
//! each side keeps its rows until the watermark passes their last chance (runtime:
//! `ops::interval_join`). A row of `s` has its stamp for a time (an `event_time` on its
//! path) or `f(&w)` (a `Timestamp`, or an `Option` of one: `None` never meets). Elements
//! out: `(k, (v, w))`, unstamped.
//!
//! Flink's interval join, and Spark's stream–stream inner join with a time-range
//! condition; SQL's `JOIN .. ON a.k = b.k AND a.t >= b.t - INTERVAL ..` lowers to it.

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;
use crate::duration::{self, Duration};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[OpDef {
    name: "interval_join",
    role: Role::Barrier,
    flags: Flags {
        needs_watermark: true,
        ..Flags::NONE
    },
    parse,
}];

const USAGE: &str = "`interval_join(other, -10s, 0s)`: `other`'s pairs from 10 s before to the time of this stream's, by their event time, or `interval_join(other, -10s, 0s) time(|w| w.ts)` by a time read from their values";

/// A bound: a duration, negative with a leading `-`.
struct Bound {
    negative: bool,
    duration: Duration,
}

impl Bound {
    /// The bound as an `i64` expression of milliseconds.
    fn millis(&self) -> TokenStream {
        let ms = match &self.duration {
            Duration::Millis { ms, .. } => {
                let ms = i64::try_from(*ms).unwrap_or(i64::MAX);
                quote!(#ms)
            }
            Duration::Const { expr, span } => {
                quote_spanned!(*span=> { const MS: u64 = #expr; MS as i64 })
            }
        };
        if self.negative { quote!((-#ms)) } else { ms }
    }

    /// Known at macro time: signed milliseconds.
    fn known(&self) -> Option<i128> {
        let ms = i128::from(self.duration.millis()?);
        Some(if self.negative { -ms } else { ms })
    }
}

pub struct IntervalJoin {
    other: Ident,
    lower: Bound,
    upper: Bound,
    /// `time(f)`: the other side's time, read from its values.
    time: Option<args::FnArg>,
}

fn bound(op: &Ident, tokens: &[TokenTree], span: proc_macro2::Span) -> syn::Result<Bound> {
    match tokens {
        [TokenTree::Punct(p), d] if p.as_char() == '-' => Ok(Bound {
            negative: true,
            duration: duration::parse(d)?,
        }),
        [d] => Ok(Bound {
            negative: false,
            duration: duration::parse(d)?,
        }),
        _ => Err(syn::Error::new(
            tokens.first().map_or(span, TokenTree::span),
            format!("a bound of `{op}` is a duration such as `-10s` or `5m`: write {USAGE}"),
        )),
    }
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (inner, span, rest) = args::paren_group(op, tokens, USAGE)?;
    let time = match rest {
        [] => None,
        [TokenTree::Ident(kw), TokenTree::Group(g)]
            if kw == "time" && g.delimiter() == proc_macro2::Delimiter::Parenthesis =>
        {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            Some(args::function(kw, &inner, 1)?)
        }
        _ => {
            args::no_more(op, rest, USAGE)?;
            None
        }
    };
    let parts = args::comma_separated(inner);
    let [other, lower, upper] = parts.as_slice() else {
        return Err(syn::Error::new(
            span,
            format!("`{op}` takes a stream and two bounds: write {USAGE}"),
        ));
    };
    let other = match other.as_slice() {
        [TokenTree::Ident(s)] => s.clone(),
        _ => {
            return Err(syn::Error::new(
                other.first().map_or(span, TokenTree::span),
                format!("the first argument of `{op}` is a stream's name: write {USAGE}"),
            ));
        }
    };
    let (lower, upper) = (bound(op, lower, span)?, bound(op, upper, span)?);
    if let (Some(l), Some(u)) = (lower.known(), upper.known())
        && l > u
    {
        return Err(syn::Error::new(
            upper.duration.span(),
            format!(
                "the upper bound is below the lower one, so no rows would ever meet: write the earlier time first, e.g. `{op}({other}, -10s, 0s)`"
            ),
        ));
    }
    Ok(Box::new(IntervalJoin {
        other,
        lower,
        upper,
        time,
    }))
}

impl Operator for IntervalJoin {
    fn streams_read(&self) -> Vec<&Ident> {
        vec![&self.other]
    }

    fn reads_stamps_of(&self) -> Option<&Ident> {
        self.time.is_none().then_some(&self.other)
    }

    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, state) = (g.rt(), g.var("joined"));
        let (lower, upper) = (self.lower.millis(), self.upper.millis());
        let late = g.late_count_setup();
        quote_spanned! {g.span=>
            let mut #state = #rt::ops::interval_join::IntervalJoin::new(#lower, #upper);
            #late
        }
    }

    fn state_var(&self, g: &StageContext) -> Option<Ident> {
        Some(g.var("joined"))
    }

    /// Each run is folded into a chunk of owned rows as the loop reads it (the store keeps
    /// the chunk as it is).
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let (rt, len) = (g.rt(), g.run_len());
        quote_spanned!(g.span=> #rt::ops::interval_join::fold(#it, #len))
    }

    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::interval_join::merge(#a, #b))
    }

    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, state, ctx) = (g.rt(), g.var("joined"), g.ctx);
        let marks = &g.watermarks;
        let late = g.late_count();
        let mut other = (g.stream)(&self.other);
        if let Some(f) = &self.time {
            let f = f.closure(1);
            other = if g.other_timed {
                quote_spanned!(g.span=> #rt::ops::interval_join::restamp_by(#other, #f))
            } else {
                quote_spanned!(g.span=> #rt::ops::interval_join::stamp_by(#other, #f))
            };
        }
        quote_spanned!(g.span=>
            #rt::ops::interval_join::run(&mut #state, #ctx, #late, #acc, #other, &[#(&#marks),*]))
    }
}
