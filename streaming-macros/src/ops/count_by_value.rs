//! `count_by_value`: each distinct element with its number of occurrences in the batch.

use proc_macro2::TokenTree;
use syn::Ident;

use super::{Operator, RuntimeBarrier};

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    RuntimeBarrier::parse(op, tokens, "count_by_value")
}
