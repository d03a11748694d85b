//! `reduce_by_key(f)`: per batch, one `(key, value)` per key; bare elements count as `(x, 1)`.

use proc_macro2::TokenTree;
use syn::Ident;

use super::{Operator, ReducerBarrier};

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    ReducerBarrier::parse(op, tokens, "reduce_by_key")
}
