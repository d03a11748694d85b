//! `drop_duplicates [by |x| key] [within_watermark]`: Structured Streaming's
//! `dropDuplicates` / `dropDuplicatesWithinWatermark` after an `event_time` stage
//! (runtime: `ops::drop_duplicates`, `event_time::Dedup`). Records keep their stamp.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, FnArg};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "drop_duplicates",
        role: Role::Barrier,
        flags: Flags {
            needs_watermark: true,
            keeps_stamps: true,
            ..Flags::NONE
        },
        parse,
    },
];

const USAGE: &str =
    "`drop_duplicates`, `drop_duplicates by |x| x.id`, optionally followed by `within_watermark`";

pub struct DropDuplicates {
    by: Option<FnArg>,
    within_watermark: bool,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (tokens, within_watermark) = match tokens.split_last() {
        Some((TokenTree::Ident(w), rest)) if w == "within_watermark" => (rest, true),
        _ => (tokens, false),
    };
    let by = match tokens {
        [] => None,
        [TokenTree::Ident(kw), f @ ..] if kw == "by" => Some(args::function(kw, f, 1)?),
        [first, ..] => {
            return Err(syn::Error::new(
                first.span(),
                format!("unexpected tokens after `{op}`: write {USAGE}"),
            ));
        }
    };
    Ok(Box::new(DropDuplicates {
        by,
        within_watermark,
    }))
}

impl Operator for DropDuplicates {
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, state, within) = (g.rt(), g.var("seen"), self.within_watermark);
        let late = g.late_count_setup();
        quote_spanned!(g.span=> let mut #state = #rt::event_time::Dedup::new(#within); #late)
    }
    fn state_var(&self, g: &StageContext) -> Option<Ident> {
        Some(g.var("seen"))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (rt, state, ctx) = (g.rt(), g.var("seen"), g.ctx);
        let key = match &self.by {
            Some(f) => f.closure(1),
            None => quote_spanned!(g.span=> #rt::ops::drop_duplicates::whole),
        };
        let (marks, late) = (&g.watermarks, g.late_count());
        quote_spanned! {g.span=>
            #rt::ops::drop_duplicates::finish(&mut #state, #ctx, #late, #acc, #key, &[#(&#marks),*])
        }
    }
}
