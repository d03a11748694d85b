//! `sort [asc|desc]` (pairs by value, ties by key), `sort_by_key [asc|desc]`,
//! `sort_by |x| key [asc|desc]`. Ascending unless `desc` is given.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote_spanned;
use syn::Ident;

use super::{Gen, Operator, Role};
use crate::args::{self, FnArg};

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

impl Operator for Sort {
    fn role(&self) -> Role {
        Role::Barrier
    }
    fn finish_first(&self, g: &Gen, acc: &Ident, first: &TokenStream) -> Option<TokenStream> {
        let (rt, desc) = (g.rt(), self.descending);
        // `sort_by |x| key` keeps equal keys in input order (a stable sort): a selection
        // could keep different ones, so it sorts everything.
        let sort = match &self.by {
            By::Value => {
                quote_spanned!(g.span=> #rt::ops::sort::by_value_first(&mut #acc, #desc, Some(#first)))
            }
            By::Key => {
                quote_spanned!(g.span=> #rt::ops::sort::by_key_first(&mut #acc, #desc, Some(#first)))
            }
            By::Fn(_) => return None,
        };
        Some(quote_spanned!(g.span=> { let mut #acc = #acc; #sort; #acc }))
    }
    fn finish(&self, g: &Gen, acc: &Ident) -> TokenStream {
        let (rt, desc) = (g.rt(), self.descending);
        let sort = match &self.by {
            By::Value => quote_spanned!(g.span=> #rt::ops::sort::by_value(&mut #acc, #desc)),
            By::Key => quote_spanned!(g.span=> #rt::ops::sort::by_key(&mut #acc, #desc)),
            By::Fn(f) => {
                let f = f.closure(1);
                quote_spanned!(g.span=> #rt::ops::sort::by(&mut #acc, #f, #desc))
            }
        };
        quote_spanned!(g.span=> { let mut #acc = #acc; #sort; #acc })
    }
}
