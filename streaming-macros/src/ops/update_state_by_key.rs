//! `update_state_by_key(|new_values, old_state| ...) [initial(expr)]`: Spark's
//! `updateStateByKey`; `f` returns `Option` of the new state (`None` removes the key) and the
//! whole state is emitted every batch. `initial(expr)` (any `IntoIterator<Item = (K, S)>`)
//! is the state before the first batch.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;
use syn::spanned::Spanned;

use super::{Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, FnArg};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "update_state_by_key",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse,
    },
];

const USAGE: &str =
    "`update_state_by_key(|new_values, old_state| ...)`, optionally followed by `initial(expr)`";

pub struct UpdateStateByKey {
    f: FnArg,
    initial: Option<syn::Expr>,
    span: Span,
}

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (inner, _, rest) = args::paren_group(op, tokens, USAGE)?;
    let inner: Vec<TokenTree> = inner.into_iter().collect();
    let f = args::function(
        op,
        &[TokenTree::Group(proc_macro2::Group::new(
            proc_macro2::Delimiter::Parenthesis,
            inner.into_iter().collect(),
        ))],
        2,
    )?;
    let initial = match rest {
        [] => None,
        [TokenTree::Ident(kw), more @ ..] if kw == "initial" => {
            let mut e = args::exprs(
                kw,
                more,
                1,
                1,
                "`initial(expr)` with `expr` an iterable of `(key, state)` pairs",
            )?;
            Some(e.remove(0))
        }
        [other, ..] => {
            return Err(syn::Error::new(
                other.span(),
                format!("unexpected tokens after `{op}(..)`: write {USAGE}"),
            ));
        }
    };
    Ok(Box::new(UpdateStateByKey {
        f,
        initial,
        span: op.span(),
    }))
}

impl Operator for UpdateStateByKey {

    fn state_var(&self, g: &StageContext) -> Option<Ident> {
        Some(g.var("state"))
    }
    fn setup(&self, g: &StageContext) -> TokenStream {
        let (rt, state) = (g.rt(), g.var("state"));
        match &self.initial {
            Some(e) => {
                quote_spanned!(e.span()=> let mut #state = #rt::ops::update_state_by_key::State::with_initial(#e);)
            }
            None => {
                quote_spanned!(self.span=> let mut #state = #rt::ops::update_state_by_key::State::new();)
            }
        }
    }
    fn fold(&self, g: &StageContext, it: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::group_by_key::fold(#it))
    }
    fn merge(&self, g: &StageContext, a: &Ident, b: &Ident) -> TokenStream {
        let rt = g.rt();
        quote_spanned!(g.span=> #rt::ops::group_by_key::merge(#a, #b))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        let (state, f) = (g.var("state"), self.f.closure(2));
        quote_spanned!(g.span=> #state.update(#acc, #f))
    }
}
