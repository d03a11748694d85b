//! `count`: one element per batch, the number of elements (`0` for an empty batch).

use proc_macro2::TokenTree;
use syn::Ident;

use super::{Operator, RuntimeBarrier};

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    RuntimeBarrier::parse(op, tokens, "count")
}
