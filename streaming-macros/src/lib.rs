//! `stream_pipeline!`: Spark Streaming's DStream pipelines, checked at compile time and
//! compiled to one fused loop per stage chain.
//!
//! The macro works in layers, each in its own module, data flowing one way:
//! [`parse`] (tokens → [`ast`]), [`props`] (each stage's incoming stream: slide, stamps),
//! [`check`] (whole-program rules), [`plan`] (named streams resolved, stages fused into
//! segments), [`codegen`] (segments → Rust calling
//! `streaming-runtime`). Each operator lives in one file under [`ops`], holding its
//! argument parsing, checks and code writer; [`ops::OPERATORS`] is the table of them.
//! Errors are gathered in a [`ctxt::Ctxt`] and reported together; on error the macro still
//! expands to a value of type `Pipeline`, so the surrounding code keeps type-checking.
//! `ARCHITECTURE.md` at the repository root draws these layers and lists what adding an
//! operator or a source touches.

mod args;
mod ast;
mod check;
mod codegen;
mod ctxt;
mod duration;
#[cfg(test)]
mod fuzz;
mod names;
mod ops;
mod parse;
mod plan;
mod props;
mod record;
mod rewrite;
mod sources;
mod sql;
mod stream;
mod suggest;

use proc_macro::TokenStream;

/// Builds a `streaming::Pipeline` from a pipeline description. See the crate `streaming`.
#[proc_macro]
pub fn stream_pipeline(input: TokenStream) -> TokenStream {
    expand(input.into()).into()
}

/// `#[derive(Record)]`: a struct's named fields as a record's columns. See the crate
/// `streaming`.
#[proc_macro_derive(Record)]
pub fn derive_record(input: TokenStream) -> TokenStream {
    record::derive(input.into()).into()
}

fn expand(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::new();
    let mut program = parse::program(input, &cx);
    if let Some(program) = &mut program {
        props::annotate(program);
        check::program(program, &cx);
    }
    let plan = program.as_ref().and_then(|p| plan::build(p, &cx));
    match (cx.finish(), plan) {
        (Ok(()), Some(plan)) => codegen::pipeline(&plan),
        (Err(errors), _) => codegen::invalid(errors),
        (Ok(()), None) => codegen::invalid(vec![syn::Error::new(
            proc_macro2::Span::call_site(),
            "stream_pipeline!: could not build the pipeline",
        )]),
    }
}
