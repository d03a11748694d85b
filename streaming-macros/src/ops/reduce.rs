//! `reduce(f)`: one element per batch, `f` applied pairwise (nothing for an empty batch).

use proc_macro2::TokenTree;
use syn::Ident;

use super::{Flags, OpDef, Operator, ReducerBarrier, Role};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "reduce",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse,
    },
];

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    ReducerBarrier::parse(op, tokens, "reduce")
}
