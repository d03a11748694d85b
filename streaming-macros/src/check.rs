//! Whole-program rules that no single stage can check: output operations end pipelines,
//! named streams exist and are defined once, windows fit the slide of the stream they
//! apply to. These run on whatever parsed, so a pipeline with an unknown operator still
//! gets its window errors in the same build.

use std::collections::HashMap;

use crate::ast::{Head, Program};
use crate::ctxt::Ctxt;
use crate::ops::Role;
use crate::suggest;

pub fn program(p: &Program, cx: &Ctxt) {
    slides(p, cx);
    watermarks(p, cx);
    let mut defined: HashMap<String, &syn::Ident> = HashMap::new();
    for s in &p.statements {
        // `let name = ...`, and streams stages define (`late(name)`).
        let names = s
            .binding
            .iter()
            .chain(s.stages.iter().flat_map(|st| st.op.defines_streams()));
        for name in names {
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
        // `global` merges each partition's `sort |> take(n)`.
        for (i, st) in s.stages.iter().enumerate() {
            if st.name != "global" {
                continue;
            }
            let name = |j: Option<usize>| {
                j.and_then(|j| s.stages.get(j))
                    .map(|st| st.name.to_string())
            };
            let take = name(i.checked_sub(1));
            let sort = name(i.checked_sub(2));
            if take.as_deref() != Some("take")
                || !matches!(sort.as_deref(), Some("sort" | "sort_by_key"))
            {
                cx.error(st.name.span(), "`global` merges each partition's first n: put `sort desc |> take(n)` (or `sort_by_key`) right before it, e.g. `|> sort desc |> take(10) |> global |> print`");
            }
        }
        // An output operation must be the last stage.
        let last = s.stages.len().saturating_sub(1);
        for (i, st) in s.stages.iter().enumerate() {
            if st.op.repartition_topic().is_some() {
                if i == last {
                    cx.error(st.name.span(), "`repartition` continues the pipeline from the topic it writes: add the stages that use the re-keyed pairs after it, e.g. `|> repartition(\"words\") |> reduce_by_key(+) |> print`");
                }
                continue;
            }
            if st.def.role == Role::Sink && i != last {
                cx.error(st.name.span(), format!("`{}` is an output operation and must be the last stage; start a new pipeline from a `let` stream to continue", st.name));
            }
        }
        if !s.complete {
            continue;
        }
        let ends_in_sink = s.stages.last().is_some_and(|st| st.def.role == Role::Sink);
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

/// Checks each window against the slide of the stream it applies to (the batch interval,
/// or an earlier window's slide). Stages that did not parse are left out; a stage whose
/// incoming slide is not known (it reads a stream that is not defined, reported above) is
/// skipped.
fn slides(p: &Program, cx: &Ctxt) {
    for st in p.statements.iter().flat_map(|s| &s.stages) {
        if let Some(slide) = &st.input.slide {
            st.op.check_slide(slide, cx);
        }
    }
}

/// Event-time rules: a stage grouping by event time needs a watermark upstream, and a path
/// has at most one (`event_time(f) watermark D`).
fn watermarks(p: &Program, cx: &Ctxt) {
    for st in p.statements.iter().flat_map(|s| &s.stages) {
        if st.def.flags.stamps && st.input.stamped {
            cx.error(st.name.span(), "this path has a watermark already (one `event_time(..) watermark ..` per path, as Spark's one `withWatermark`): remove this one or the one upstream");
        } else if !st.def.flags.stamps && st.def.flags.needs_watermark && !st.input.stamped {
            cx.error(st.name.span(), format!("`{}` works by event time and needs a watermark upstream: add `|> event_time(|x| x.ts) watermark 10m` before it (the function gets the element by reference and returns a `Timestamp`)", st.name));
        }
        if let Some(other) = st.op.reads_stamps_of()
            && p.streams
                .get(&other.to_string())
                .is_some_and(|s| !s.stamped)
        {
            cx.error(other.span(), format!("`{other}` has no event time: stamp it on its path (`|> event_time(|x| x.ts) watermark 10m`), or say where its values keep their time, `{}({other}, ..) time(|w| w.ts)` (for a window's results mapped to pairs `(key, (window, value))`, its end: `time(|(w, _)| w.end)`)", st.name));
        }
    }
}
