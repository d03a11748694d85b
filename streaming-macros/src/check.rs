//! Whole-program rules that no single stage can check: output operations end pipelines,
//! named streams exist and are defined once.

use std::collections::HashMap;

use crate::ast::{Head, Program};
use crate::ctxt::Ctxt;
use crate::ops::Role;
use crate::suggest;

pub fn program(p: &Program, cx: &Ctxt) {
    let mut defined: HashMap<String, &syn::Ident> = HashMap::new();
    for s in &p.statements {
        if let Some(name) = &s.binding {
            if let Some(first) = defined.insert(name.to_string(), name) {
                let _ = first;
                cx.error(
                    name.span(),
                    format!("stream `{name}` is defined twice; rename one of them"),
                );
            }
        }
    }
    let known = || defined.keys().map(String::as_str);
    let check_ref = |name: &syn::Ident| {
        if !defined.contains_key(&name.to_string()) {
            let fix = match suggest::closest(&name.to_string(), known()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("define it first with `let {name} = source ...;`"),
            };
            cx.error(name.span(), format!("no stream named `{name}`; {fix}"));
        }
    };

    for s in &p.statements {
        if let Head::Stream(name) = &s.head {
            check_ref(name);
        }
        for st in &s.stages {
            for name in st.op.streams_read() {
                check_ref(name);
            }
        }
        // An output operation must be the last stage.
        let last = s.stages.len().saturating_sub(1);
        for (i, st) in s.stages.iter().enumerate() {
            if st.op.role() == Role::Sink && i != last {
                cx.error(st.name.span(), format!("`{}` is an output operation and must be the last stage; start a new pipeline from a `let` stream to continue", st.name));
            }
        }
        if !s.complete {
            continue;
        }
        let ends_in_sink = s.stages.last().is_some_and(|st| st.op.role() == Role::Sink);
        match &s.binding {
            Some(name) if ends_in_sink => cx.error(
                name.span(),
                format!("`let {name}` binds a stream, but this pipeline ends in an output operation; drop the `let {name} =` or move the output to `{name} |> ...;`"),
            ),
            None if !ends_in_sink => {
                let span = s.stages.last().map_or(s.span, |st| st.name.span());
                cx.error(span, "this pipeline has no output operation, so it would never run: end it with `|> print` (or save_as_text_files, foreach_batch, collect), or bind it with `let name = ...;`");
            }
            _ => {}
        }
    }
}
