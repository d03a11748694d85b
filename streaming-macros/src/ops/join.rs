//! The join family, per batch (Spark's pair-DStream joins): `join(s)`,
//! `left_outer_join(s)`, `right_outer_join(s)`, `full_outer_join(s)`, `cogroup(s)`, where
//! `s` is a named stream (its batch for the same time; both sides must slide alike, so two
//! windowed streams join window by window) or `table(expr)`: a static map (any iterable of
//! `(key, value)`) indexed once when the pipeline is built and joined every batch.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;
use syn::spanned::Spanned;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "join",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_join,
    },
    OpDef {
        name: "left_outer_join",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_left_outer_join,
    },
    OpDef {
        name: "right_outer_join",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_right_outer_join,
    },
    OpDef {
        name: "full_outer_join",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_full_outer_join,
    },
    OpDef {
        name: "cogroup",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_cogroup,
    },
];

#[derive(Clone, Copy)]
enum Kind {
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    Cogroup,
}

enum Other {
    Stream(Ident),
    Table(syn::Expr),
}

pub struct Join {
    kind: Kind,
    other: Other,
    span: Span,
}

fn parse(op: &Ident, tokens: &[TokenTree], kind: Kind) -> syn::Result<Box<dyn Operator>> {
    let usage = format!("`{op}(other_stream)` or `{op}(table(map))`");
    let mut e = args::exprs(op, tokens, 1, 1, &usage)?;
    let other = match e.remove(0) {
        syn::Expr::Path(p) if p.path.get_ident().is_some() => Other::Stream(
            p.path
                .get_ident()
                .cloned()
                .ok_or_else(|| syn::Error::new(op.span(), &usage))?,
        ),
        syn::Expr::Call(c)
            if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("table"))
                && c.args.len() == 1 =>
        {
            Other::Table(
                c.args
                    .into_iter()
                    .next()
                    .ok_or_else(|| syn::Error::new(op.span(), &usage))?,
            )
        }
        other => {
            return Err(syn::Error::new(
                other.span(),
                format!("`{op}` takes a stream name or `table(expr)`: {usage}"),
            ));
        }
    };
    Ok(Box::new(Join {
        kind,
        other,
        span: op.span(),
    }))
}

pub fn parse_join(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    parse(op, tokens, Kind::Inner)
}
pub fn parse_left_outer_join(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    parse(op, tokens, Kind::LeftOuter)
}
pub fn parse_right_outer_join(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    parse(op, tokens, Kind::RightOuter)
}
pub fn parse_full_outer_join(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    parse(op, tokens, Kind::FullOuter)
}
pub fn parse_cogroup(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    parse(op, tokens, Kind::Cogroup)
}

impl Operator for Join {

    fn streams_read(&self) -> Vec<&Ident> {
        match &self.other {
            Other::Stream(s) => vec![s],
            Other::Table(_) => Vec::new(),
        }
    }

    fn setup(&self, g: &StageContext) -> TokenStream {
        match &self.other {
            Other::Table(e) => {
                let (rt, t) = (g.rt(), g.var("table"));
                quote_spanned!(e.span()=> let #t = #rt::ops::join::index(#e);)
            }
            Other::Stream(_) => TokenStream::new(),
        }
    }

    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let rt = g.rt();
        // Inner and left joins only look keys up (a table is borrowed); the others also
        // walk the other side, so they take an index of their own.
        let (borrowed, owned) = match &self.other {
            Other::Stream(s) => {
                let value = (g.stream)(s);
                let idx = quote_spanned!(self.span=> #rt::ops::join::index(#value));
                (quote_spanned!(self.span=> &#idx), idx)
            }
            Other::Table(_) => {
                let t = g.var("table");
                (
                    quote_spanned!(self.span=> &#t),
                    quote_spanned!(self.span=> ::core::clone::Clone::clone(&#t)),
                )
            }
        };
        match self.kind {
            Kind::Inner => quote_spanned!(g.span=> #rt::ops::join::inner(#acc, #borrowed)),
            Kind::LeftOuter => quote_spanned!(g.span=> #rt::ops::join::left_outer(#acc, #borrowed)),
            Kind::RightOuter => quote_spanned!(g.span=> #rt::ops::join::right_outer(#acc, #owned)),
            Kind::FullOuter => quote_spanned!(g.span=> #rt::ops::join::full_outer(#acc, #owned)),
            Kind::Cogroup => quote_spanned!(g.span=> #rt::ops::join::cogroup(#acc, #owned)),
        }
    }
}
