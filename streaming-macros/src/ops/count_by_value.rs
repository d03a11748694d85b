//! `count_by_value`: each distinct element with its number of occurrences in the batch.

use proc_macro2::TokenTree;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, RuntimeBarrier};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "count_by_value",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse,
    },
];

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    RuntimeBarrier::parse(op, tokens, "count_by_value")
}
