//! `sort [asc|desc]` (pairs by value, ties by key), `sort_by_key [asc|desc]`,
//! `sort_by |x| key [asc|desc]`. Ascending unless `desc` is given.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{FirstN, Flags, OpDef, Operator, Role, StageContext};
use crate::args::{self, FnArg};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "sort",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_sort,
    },
    OpDef {
        name: "sort_by_key",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_sort_by_key,
    },
    OpDef {
        name: "sort_by",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse: parse_sort_by,
    },
];

enum By {
    Value,
    Key,
    Fn(FnArg),
}

pub struct Sort {
    by: By,
    descending: bool,
}

fn order_only(op: &Ident, tokens: &[TokenTree], by: By) -> syn::Result<Box<dyn Operator>> {
    let (rest, order) = args::order_suffix(tokens);
    args::no_more(op, rest, &format!("`{op} desc` or `{op} asc`"))?;
    Ok(Box::new(Sort {
        by,
        descending: order.unwrap_or(false),
    }))
}

pub fn parse_sort(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    order_only(op, tokens, By::Value)
}

pub fn parse_sort_by_key(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    order_only(op, tokens, By::Key)
}

pub fn parse_sort_by(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    let (rest, order) = args::order_suffix(tokens);
    let f = args::function(op, rest, 1)?;
    Ok(Box::new(Sort {
        by: By::Fn(f),
        descending: order.unwrap_or(false),
    }))
}

impl Sort {
    /// The sorted batch, keeping only `first` elements when given. `None` where that cannot
    /// be done exactly: `sort_by |x| key` keeps equal keys in input order (a stable sort),
    /// and a selection could keep different ones.
    fn sorted(&self, g: &StageContext, acc: &Ident, first: Option<&TokenStream>) -> Option<TokenStream> {
        let (rt, desc) = (g.rt(), self.descending);
        let keep = match first {
            Some(n) => quote_spanned!(g.span=> ::core::option::Option::Some(#n)),
            None => quote_spanned!(g.span=> ::core::option::Option::None),
        };
        let sort = match (&self.by, first) {
            (By::Value, _) => {
                quote_spanned!(g.span=> #rt::ops::sort::by_value(&mut #acc, #desc, #keep))
            }
            (By::Key, _) => {
                quote_spanned!(g.span=> #rt::ops::sort::by_key(&mut #acc, #desc, #keep))
            }
            (By::Fn(_), Some(_)) => return None,
            (By::Fn(f), None) => {
                let f = f.closure(1);
                quote_spanned!(g.span=> #rt::ops::sort::by(&mut #acc, #f, #desc))
            }
        };
        Some(quote_spanned!(g.span=> { let mut #acc = #acc; #sort; #acc }))
    }
}

impl Operator for Sort {
    fn first_n(&self) -> FirstN {
        // `sort_by` keeps equal keys in input order: a selection could keep other ones.
        let exact = !matches!(self.by, By::Fn(_));
        FirstN {
            selects: exact,
            finishes_first: exact,
            ..FirstN::default()
        }
    }
    fn finish_first(&self, g: &StageContext, acc: &Ident, first: &TokenStream) -> Option<TokenStream> {
        self.sorted(g, acc, Some(first))
    }
    fn select_first(&self, g: &StageContext, first: &TokenStream) -> Option<TokenStream> {
        let (rt, desc) = (g.rt(), self.descending);
        let order = match self.by {
            By::Value => quote_spanned!(g.span=> #rt::ops::sort::ByValue),
            By::Key => quote_spanned!(g.span=> #rt::ops::sort::ByKey),
            By::Fn(_) => return None,
        };
        Some(quote_spanned!(g.span=> #rt::ops::sort::Select::new(#order, #desc, #first)))
    }
    fn finish(&self, g: &StageContext, acc: &Ident) -> TokenStream {
        self.sorted(g, acc, None).unwrap_or_default()
    }
}
