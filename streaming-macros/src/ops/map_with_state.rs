//! `map_with_state(|key, value, state| ...) [timeout D]`: Spark's `mapWithState`. The
//! function runs once per record (`value` is `Some`) with the key's state handle
//! (`get`, `update`, `remove`, `exists`, `is_timing_out`); its results are the output. With a
//! timeout, a key idle for `D` gets one last call with `None`, then is removed.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, FnArg};
use crate::duration::{self, Duration};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "map_with_state",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse,
    },
];

const USAGE: &str =
    "`map_with_state(|key, value, state| ...)`, optionally followed by `timeout 30m`";

pub struct MapWithState {
    f: FnArg,
    timeout: Option<Duration>,
    span: Span,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (_, _, rest) = args::paren_group(op, tokens, USAGE)?;
    let f = args::function(op, &tokens[..1], 3)?;
    let timeout = match rest {
        [] => None,
        [TokenTree::Ident(kw), d] if kw == "timeout" => Some(duration::parse(d)?),
        [TokenTree::Ident(kw)] if kw == "timeout" => {
            return Err(syn::Error::new(
                kw.span(),
                "`timeout` needs a duration, e.g. `timeout 30m`",
            ));
        }
        [other, ..] => {
            return Err(syn::Error::new(
                other.span(),
                format!("unexpected tokens after `{op}(..)`: write {USAGE}"),
            ));
        }
    };
    if let Some(d) = &timeout {
        if d.millis() == Some(0) {
            return Err(syn::Error::new(
                d.span(),
                "a timeout must be positive, e.g. `timeout 30m`",
            ));
        }
    }
    Ok(Box::new(MapWithState {
        f,
        timeout,
        span: op.span(),
    }))
}

impl Operator for MapWithState {

    fn state_var(&self, g: &StageContext) -> Option<Ident> {
        Some(g.var("state"))
    }
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, state) = (g.rt(), g.var("state"));
        let timeout = match &self.timeout {
            Some(d) => {
                let ms = d.to_millis_expr("a timeout");
                quote_spanned!(d.span()=> ::core::option::Option::Some(#ms))
            }
            None => quote_spanned!(self.span=> ::core::option::Option::None),
        };
        quote_spanned!(self.span=> let mut #state = #rt::ops::map_with_state::MapWithState::new(#timeout);)
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (state, f, time) = (g.var("state"), self.f.closure(3), g.time);
        quote_spanned!(g.span=> #state.process(#time, #acc, #f))
    }
}
