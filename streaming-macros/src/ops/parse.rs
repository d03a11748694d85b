//! `parse json::<T> [mode] [malformed(name)]` and `parse csv::<T> [header] [mode]
//! [malformed(name)]`: typed input, each row deserialized into `T` with serde, with Spark's
//! modes for malformed rows (`permissive`, the default; `dropmalformed`; `failfast`).
//! `malformed(name)` names the stream of a permissive stage's malformed rows, as
//! `late(name)` does for late rows. Runtime: `ops::parse`, whose module doc says how runs
//! are tallied and how the modes apply.
//!
//! An adapter that reads the batch by reference ([`Operator::borrows_input`]), so that a
//! `T` with `&str` fields borrows them from the batch; after the segment's runs its
//! [`Operator::after_runs`] hands the malformed rows on, counts them, or fails the batch.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote_spanned};
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::suggest;

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[OpDef {
    name: "parse",
    role: Role::Adapter,
    flags: Flags::NONE,
    parse,
}];

const USAGE: &str = "`parse json::<Event>` or `parse csv::<Event> header`, optionally followed by a mode (`permissive`, `dropmalformed`, `failfast`) and, when permissive, `malformed(name)`";

const FORMATS: [&str; 2] = ["json", "csv"];
const MODES: [(&str, &str); 3] = [
    ("permissive", "Permissive"),
    ("dropmalformed", "DropMalformed"),
    ("failfast", "FailFast"),
];

pub struct Parse {
    csv: bool,
    header: bool,
    /// `T`, as written between `::<` and `>`.
    ty: syn::Type,
    /// The runtime `Mode` variant, and where the mode was written.
    mode: (&'static str, Option<Ident>),
    /// `malformed(name)`: the stream of the malformed rows.
    malformed: Option<Ident>,
}

fn err<T>(span: Span, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new(span, msg.to_string()))
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (format, rest) = match tokens {
        [TokenTree::Ident(f), rest @ ..] => (f, rest),
        [first, ..] => return err(first.span(), format!("expected a format: {USAGE}")),
        [] => return err(op.span(), format!("`parse` needs a format and a type: {USAGE}")),
    };
    let name = format.to_string();
    if !FORMATS.contains(&name.as_str()) {
        let hint = suggest::closest(&name, FORMATS)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        return err(
            format.span(),
            format!(
                "unknown format `{name}`{hint}: `parse` reads `json::<T>` (JSON Lines) or `csv::<T>`"
            ),
        );
    }
    let csv = name == "csv";
    let (ty, rest) = turbofish(format, rest)?;
    let mut p = Parse {
        csv,
        header: false,
        ty,
        mode: ("Permissive", None),
        malformed: None,
    };
    let mut rest = rest;
    while let Some((first, more)) = rest.split_first() {
        rest = more;
        let TokenTree::Ident(word) = first else {
            return err(first.span(), format!("unexpected tokens: write {USAGE}"));
        };
        let w = word.to_string();
        if w == "header" {
            if !csv {
                return err(
                    word.span(),
                    "`header` is for CSV: JSON rows name their fields; remove `header` or write `parse csv::<T> header`",
                );
            }
            p.header = true;
        } else if w == "malformed" {
            let Some((TokenTree::Group(g), more)) = rest.split_first() else {
                return err(
                    word.span(),
                    "`malformed` takes the name of the stream of malformed rows: `malformed(bad)`, then `bad |> print;`",
                );
            };
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            match (g.delimiter(), inner.as_slice()) {
                (Delimiter::Parenthesis, [TokenTree::Ident(name)]) => {
                    p.malformed = Some(name.clone());
                }
                _ => {
                    return err(
                        g.span(),
                        "`malformed` takes the name of the stream of malformed rows: `malformed(bad)`, then `bad |> print;`",
                    );
                }
            }
            rest = more;
        } else if let Some(&(_, variant)) = MODES.iter().find(|(m, _)| *m == w) {
            if let Some(before) = &p.mode.1 {
                return err(
                    word.span(),
                    format!("the mode is given twice (`{before}` and `{w}`): keep one"),
                );
            }
            p.mode = (variant, Some(word.clone()));
        } else {
            let lower = w.to_lowercase();
            let known = MODES
                .iter()
                .map(|(m, _)| *m)
                .chain(["header", "malformed"]);
            let hint = match MODES.iter().find(|(m, _)| *m == lower) {
                Some((m, _)) => format!(" (did you mean `{m}`? modes are lower case)"),
                None => suggest::closest(&lower, known)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default(),
            };
            return err(
                word.span(),
                format!(
                    "unknown mode `{w}`{hint}: `parse` takes `permissive` (the default), `dropmalformed` or `failfast`"
                ),
            );
        }
    }
    if let (Some(name), Some(mode)) = (&p.malformed, &p.mode.1) {
        if p.mode.0 != "Permissive" {
            return err(
                name.span(),
                format!(
                    "`malformed({name})` keeps the malformed rows of `permissive` mode, and `{mode}` {}: remove `{mode}` to keep them in `{name}`, or remove `malformed({name})`",
                    if mode == "failfast" {
                        "fails the batch at the first one"
                    } else {
                        "drops them"
                    }
                ),
            );
        }
    }
    Ok(Box::new(p))
}

/// `::<T>` after the format: `T`, and the tokens after it.
fn turbofish<'t>(
    format: &Ident,
    tokens: &'t [TokenTree],
) -> syn::Result<(syn::Type, &'t [TokenTree])> {
    let example = format!("`parse {format}::<Event>` (`Event`: a type deriving `serde::Deserialize`)");
    let starts = matches!(
        tokens,
        [TokenTree::Punct(a), TokenTree::Punct(b), TokenTree::Punct(lt), ..]
            if a.as_char() == ':' && b.as_char() == ':' && lt.as_char() == '<'
    );
    if !starts {
        let span = tokens.first().map_or(format.span(), TokenTree::span);
        return err(span, format!("`parse {format}` needs the type of the rows: write {example}"));
    }
    // The matching `>`: angle brackets counted (a `->` inside, as in `fn() -> T`, is no
    // bracket).
    let mut depth = 0usize;
    let mut end = None;
    let mut prev_dash = false;
    for (i, t) in tokens.iter().enumerate().skip(2) {
        if let TokenTree::Punct(p) = t {
            match p.as_char() {
                '<' => depth += 1,
                '>' if !prev_dash => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
            prev_dash = p.as_char() == '-';
        } else {
            prev_dash = false;
        }
    }
    let Some(end) = end else {
        return err(tokens[2].span(), format!("unclosed `<`: write {example}"));
    };
    let inner: TokenStream = tokens[3..end].iter().cloned().collect();
    let ty: syn::Type = syn::parse2(inner).map_err(|e| {
        syn::Error::new(e.span(), format!("expected one type between `<` and `>`: write {example}"))
    })?;
    Ok((ty, &tokens[end + 1..]))
}

impl Parse {
    fn rt_mode(&self, g: &StageContext) -> TokenStream {
        let (rt, variant) = (g.rt(), Ident::new(self.mode.0, g.span));
        quote_spanned!(g.span=> #rt::ops::parse::Mode::#variant)
    }

    /// The iterator expression over `it` (an iterator or a batch).
    fn iter(&self, g: &StageContext, it: &TokenStream) -> TokenStream {
        let (rt, stage, time, ty) = (g.rt(), g.var("parse"), g.time, &self.ty);
        if g.timed {
            return quote_spanned! {g.span=>
                ::core::compile_error!("`parse` reads lines or Kafka records, and this stage comes after `event_time`: put `parse` first, then `event_time(|e| ..)` over the parsed rows")
            };
        }
        let ty = ty.to_token_stream();
        if self.csv {
            let format = g.var("csv");
            quote_spanned!(g.span=> #rt::ops::parse::csv::<#ty, _>(#it, &#stage, &#format, #time))
        } else {
            quote_spanned!(g.span=> #rt::ops::parse::json::<#ty, _>(#it, &#stage, #time))
        }
    }
}

impl Operator for Parse {
    fn defines_streams(&self) -> Vec<&Ident> {
        self.malformed.iter().collect()
    }
    fn borrows_input(&self) -> bool {
        // Borrowed rows let a `T` with `&str` fields borrow from the batch; an owned `T`
        // parses from a borrowed row as well as from an owned one.
        true
    }
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, stage, label) = (g.rt(), g.var("parse"), &g.label);
        let mode = self.rt_mode(g);
        let metrics = g.late_count_setup();
        let format = if self.csv {
            let (format, ty, header) = (g.var("csv"), &self.ty, self.header);
            quote_spanned! {g.span=>
                let #format = #rt::ops::parse::CsvFormat::<#ty>::new(#header);
            }
        } else {
            TokenStream::new()
        };
        quote_spanned! {g.span=>
            let #stage = #rt::ops::parse::Parse::new(#label, #mode);
            #format
            #metrics
        }
    }
    fn adapt(&self, g: &StageContext, it: &Ident) -> TokenStream {
        self.iter(g, &it.to_token_stream())
    }
    fn adapt_unfused(&self, g: &StageContext, batch: &Ident) -> Option<TokenStream> {
        let rt = g.rt();
        let parsed = self.iter(g, &batch.to_token_stream());
        Some(quote_spanned!(g.span=> #rt::ops::parse::collect(#parsed)))
    }
    fn after_runs(&self, g: &StageContext) -> TokenStream {
        let (stage, ctx, metrics) = (g.var("parse"), g.ctx, g.var("source_metrics"));
        let stream = match &self.malformed {
            Some(name) => {
                let var = crate::names::stream_var(name);
                quote_spanned!(g.span=> ::core::option::Option::Some(&mut #var))
            }
            None => quote_spanned!(g.span=> ::core::option::Option::None),
        };
        let check = if self.csv {
            let format = g.var("csv");
            quote_spanned!(g.span=> #format.check()?;)
        } else {
            TokenStream::new()
        };
        quote_spanned! {g.span=>
            #check
            #stage.finish(#ctx, #metrics.as_deref(), #stream)?;
        }
    }
}
