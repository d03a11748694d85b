//! `group_by_key`: per batch, each key with all its values as a `CompactBuffer`.

use proc_macro2::TokenTree;
use syn::Ident;

use super::{Flags, OpDef, Operator, Role, RuntimeBarrier};

/// The operators this file defines.
pub const OPERATORS: &[OpDef] = &[
    OpDef {
        name: "group_by_key",
        role: Role::Barrier,
        flags: Flags::NONE,
        parse,
    },
];

pub fn parse(op: &Ident, tokens: &[TokenTree]) -> syn::Result<Box<dyn Operator>> {
    RuntimeBarrier::parse(op, tokens, "group_by_key")
}
