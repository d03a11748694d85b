//! `event_time(f) watermark D`: each element is stamped with its event time `f(&x)` (a
//! `Timestamp`), which travels with it through later stateless stages, and the path gets a
//! watermark trailing the latest event time by `D` (runtime: `event_time::Watermark`,
//! checkpointed, advanced at the end of every batch). `check` allows one per path.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, FnArg};
use crate::duration::{self, Duration};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "event_time",
        role: Role::Adapter,
        flags: Flags {
            stamps: true,
            ..Flags::NONE
        },
        parse,
    },
];

const USAGE: &str = "`event_time(|x| x.ts) watermark 10m` (`f` gets the element by reference and returns a `Timestamp`)";

pub struct EventTime {
    f: FnArg,
    delay: Duration,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let at = tokens
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i == "watermark"));
    let Some(at) = at else {
        let span = tokens.last().map_or(op.span(), TokenTree::span);
        return Err(syn::Error::new(
            span,
            format!("`event_time` needs a watermark: write {USAGE}"),
        ));
    };
    let f = match &tokens[..at] {
        [TokenTree::Group(g)] if g.delimiter() == proc_macro2::Delimiter::Parenthesis => {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            args::function(op, &inner, 1)?
        }
        other => args::function(op, other, 1)?,
    };
    let delay = match &tokens[at + 1..] {
        [d] => duration::parse(d)?,
        [] => {
            return Err(syn::Error::new(
                tokens[at].span(),
                format!("`watermark` needs a delay: write {USAGE}"),
            ));
        }
        [_, extra, ..] => {
            return Err(syn::Error::new(
                extra.span(),
                format!("unexpected tokens after the watermark: write {USAGE}"),
            ));
        }
    };
    Ok(Box::new(EventTime { f, delay }))
}

impl Operator for EventTime {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, wm) = (g.rt(), g.var("watermark"));
        let delay = self.delay.to_millis_expr("a watermark delay");
        quote_spanned!(g.span=> let mut #wm = #rt::event_time::Watermark::new(#delay);)
    }
    fn state_var(&self, g: &StageContext) -> Option<Ident> {
        Some(g.var("watermark"))
    }
    fn end_of_batch(&self, g: &StageContext) -> TokenStream {
        let (wm, ctx, label) = (g.var("watermark"), g.ctx, &g.label);
        quote! {
            #wm.advance();
            #ctx.report_watermark(#label, #wm.current());
        }
    }
    fn adapt(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let (rt, wm, f) = (g.rt(), g.var("watermark"), self.f.closure(1));
        quote_spanned!(g.span=> #rt::event_time::stamp(#it, &#wm, #f))
    }
    fn adapt_unfused(&self, g: &StageContext, batch: &Ident) -> Option<TokenStream> {
        let it = Ident::new("__it", Span::mixed_site());
        let (rt, stamped) = (g.rt(), self.adapt(g, &it));
        Some(quote_spanned! {g.span=> {
            let #it = ::core::iter::IntoIterator::into_iter(#batch);
            #rt::ops::collect_vec(#stamped)
        }})
    }
}
