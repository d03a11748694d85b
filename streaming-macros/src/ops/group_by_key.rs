//! `group_by_key`: per batch, each key with all its values as a `CompactBuffer`.

use proc_macro2::TokenTree;
use syn::Ident;

use super::{Operator, RuntimeBarrier};

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    RuntimeBarrier::parse(op, tokens, "group_by_key")
}
