//! Plan → Rust. The pipeline expression builds the sources and each stage's setup values,
//! then moves them into one batch job: per batch, every source's data is taken, and each
//! flow's segments run through `rt::par::run` (one fused iterator chain per run of the
//! batch, partials merged in order).

use std::cell::RefCell;
use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use crate::ast::Stage;
use crate::duration;
use crate::names::{ident, model_var, parallelism_var, rt, rt_at, stream_var};
use crate::ops::{Role, StageContext};
use crate::plan::{Finish, Flow, Input, Numbered, Plan, PlanSource};

/// The code of a pipeline without errors.
pub fn pipeline(plan: &Plan) -> TokenStream {
    let rt = rt();
    let (ctx, time, builder) = (ident("__ctx"), ident("__time"), ident("__builder"));
    let batch_parallelism = parallelism_var();

    let batch = plan
        .config
        .batch
        .as_ref()
        .map(|d| duration::std_duration(d.to_millis_expr("the batch interval")));
    let parallelism = match &plan.config.parallelism {
        Some((e, span)) => quote_spanned!(*span=> ::core::option::Option::Some(#e)),
        None => quote!(::core::option::Option::None),
    };

    let with_backpressure = match &plan.config.backpressure {
        Some(crate::ast::Backpressure {
            on: true,
            initial_rate: Some(rate),
        }) => quote! {
            .with_backpressure_config(#rt::BackpressureConfig {
                initial_rate: ::core::option::Option::Some(#rate),
                ..::core::default::Default::default()
            })
        },
        Some(b) => {
            let on = b.on;
            quote!(.with_backpressure(#on))
        }
        None => quote!(),
    };

    // Windows chained one after another can each hold back data for a window and a slide:
    // drain their total.
    let windows: Vec<TokenStream> = plan
        .flows
        .iter()
        .flat_map(|f| &f.segments)
        .flat_map(|s| s.end.iter())
        .filter_map(|st| st.op.window_length().zip(st.op.output_slide()))
        .map(|(w, s)| {
            let (w, s) = (
                w.to_millis_expr("a window's length"),
                s.duration.to_millis_expr("a window's slide"),
            );
            quote!((#w + #s))
        })
        .collect();
    let drain = duration::std_duration(quote!(0u64 #(+ #windows)*));

    let mut setup = TokenStream::new();
    let mut take_inputs = TokenStream::new();
    for (i, src) in plan.sources.iter().enumerate() {
        let (s, input) = (source_var(i), input_var(i));
        match src {
            PlanSource::Def(def) => {
                let expr = def.expr();
                setup.extend(quote_spanned! {def.span=>
                    let mut #s = #builder.source(#rt::IntoSource::into_source(#expr));
                });
                take_inputs.extend(quote! {
                    #[allow(unused_mut)]
                    let mut #input = #rt::Source::next_batch(&mut #s, #time)?;
                    #ctx.add_input(#i, #rt::Block::records(&#input));
                });
            }
            // Not counted as input: its records were counted when they came in.
            PlanSource::Repartitioned { upstream, writer } => {
                let (upstream, topic) = (source_var(*upstream), writer.op.repartition_topic());
                let rt = rt_at(writer.name.span());
                setup.extend(quote_spanned! {writer.name.span()=>
                    let mut #s = #builder.repartition_source(#rt::kafka::repartition::read_source(&#upstream, #topic));
                });
                take_inputs.extend(quote! {
                    let #input = #rt::Source::next_batch(&mut #s, #time)?;
                });
            }
        }
    }

    let streams = StreamValues {
        remaining: RefCell::new(plan.uses.clone()),
        windowed: plan
            .flows
            .iter()
            .filter_map(|f| f.output.map(|o| (o.to_string(), f.windowed)))
            .collect(),
    };
    let mut job = JobWriter {
        plan,
        ctx: &ctx,
        time: &time,
        streams: &streams,
        setup,
        end_batch: TokenStream::new(),
        state_vars: Vec::new(),
        writers: HashMap::new(),
        watermarks: HashMap::new(),
    };
    let body: TokenStream = plan
        .flows
        .iter()
        .enumerate()
        .map(|(f, flow)| job.flow(f, flow))
        .collect();
    let JobWriter {
        setup,
        end_batch,
        state_vars,
        ..
    } = job;
    let unused = plan.unused.iter().map(|name| quote!(let #name = ();));
    // Streams stages define (`late(name)`): empty each batch until their stage writes.
    let defined_streams: TokenStream = plan
        .flows
        .iter()
        .flat_map(|f| &f.segments)
        .flat_map(|s| s.adapters.iter().chain(s.end.iter()))
        .flat_map(|st| st.op.defines_streams())
        .map(|name| {
            let var = stream_var(name);
            quote!(#[allow(unused_mut)] let mut #var = ::std::vec::Vec::new();)
        })
        .collect();

    // Named models (`let m = kmeans(..)..;`): built once; what a batch trained becomes
    // current at its end, before its checkpoint (a failed batch's is dropped at the next
    // start), so a batch predicts with the model of its start.
    let models = &plan.config.models;
    let model_vars: Vec<Ident> = models.iter().map(|m| model_var(&m.name)).collect();
    let model_setup: TokenStream = models
        .iter()
        .zip(&model_vars)
        .map(|(m, var)| {
            let (expr, name) = (&m.expr, m.name.to_string());
            quote! {
                let #var = #expr;
                #builder.model(#name, &#var);
            }
        })
        .collect();
    let model_begin = quote!(#(#model_vars.begin_batch();)*);
    let model_commit = quote!(#(#model_vars.commit();)*);

    // Checkpoints: the stateful stages' stores go into the checkpoint of the batches the
    // pipeline asks for, and come back from it on the first batch after a restart.
    // A model's handle is shared with the program, so it is restored in place: decoded
    // into a variable of its own, then handed to the handle.
    let restored: Vec<Ident> = models
        .iter()
        .map(|m| format_ident!("__restored_{}", m.name, span = Span::mixed_site()))
        .collect();
    let model_stages: Vec<String> = models
        .iter()
        .map(|m| format!("the model `{}`", m.name))
        .collect();
    let (with_checkpoint, restore_state, save_state) = match &plan.config.checkpoint {
        None => (TokenStream::new(), TokenStream::new(), TokenStream::new()),
        Some(cp) => {
            let dir = &cp.dir;
            let fingerprint = plan.config.fingerprint;
            let batch_ms = plan
                .config
                .batch
                .as_ref()
                .map(|d| d.to_millis_expr("the batch interval"));
            let every = match &cp.every {
                Some(d) => d.to_millis_expr("the checkpoint interval"),
                None => {
                    let slides = plan
                        .flows
                        .iter()
                        .flat_map(|f| &f.segments)
                        .filter_map(|seg| seg.end.and_then(|e| e.op.output_slide()))
                        .map(|sl| sl.duration.to_millis_expr("a window's slide"));
                    quote!(#rt::checkpoint::default_interval(&[#batch_ms #(, #slides)*]))
                }
            };
            let bytes = ident("__state");
            (
                {
                    let wal = cp.wal.then(|| quote!(.with_write_ahead_log()));
                    quote!(.with_checkpoint(#dir, #every, #fingerprint) #wal)
                },
                {
                    let vars: Vec<&Ident> = state_vars.iter().map(|(v, _)| v).collect();
                    let stages = state_vars.iter().map(|(_, s)| s).chain(&model_stages);
                    let vars_again = vars.iter().copied().chain(&model_vars);
                    quote! {
                        if let ::core::option::Option::Some(#bytes) = #ctx.take_restored_state() {
                            #(let #restored;)*
                            (#(#vars,)* #(#restored,)*) = #rt::checkpoint::decode_state(
                                &#bytes,
                                &[#((#stages, ::core::any::type_name_of_val(&#vars_again))),*],
                            )?;
                            #(#model_vars.restore(#restored);)*
                        }
                    }
                },
                {
                    let vars: Vec<&Ident> = state_vars
                        .iter()
                        .map(|(v, _)| v)
                        .chain(&model_vars)
                        .collect();
                    quote! {
                        if #ctx.checkpoint_requested() {
                            // A sequence (with its length), as `decode_state` reads it.
                            let __types: &[&str] = &[#(::core::any::type_name_of_val(&#vars)),*];
                            #ctx.save_state(&(__types, (#(&#vars,)*)))?;
                        }
                    }
                },
            )
        }
    };

    // `ui "addr";`: the streaming page. The text goes with every pipeline, since
    // `Pipeline::ui` can turn the page on after the macro.
    let text = &plan.config.text;
    // The plan as fused, for the page to draw (a constant: nothing at run time).
    let described = plan.describe();
    let with_ui = match &plan.config.ui {
        Some(addr) => quote!(.with_ui(#addr).with_text(#text).with_plan(#described)),
        None => quote!(.with_text(#text).with_plan(#described)),
    };

    let items = &plan.items;
    quote! {{
        #(#items)*
        // `ui { expr };` is passed on as a block.
        #[allow(unused_braces)]
        let mut #builder = #rt::PipelineBuilder::new(
            #rt::PipelineConfig::new(#batch).with_parallelism(#parallelism).with_drain(#drain)#with_checkpoint #with_ui #with_backpressure,
        );
        #model_setup
        #setup
        #(#unused)*
        #builder.build(move |#ctx: &mut #rt::BatchContext<'_>| -> ::core::result::Result<(), #rt::StreamingError> {
            let #time = #ctx.time();
            #[allow(unused_variables)]
            let #batch_parallelism = #ctx.parallelism();
            #model_begin
            #restore_state
            #take_inputs
            #defined_streams
            #body
            #end_batch
            #model_commit
            #save_state
            ::core::result::Result::Ok(())
        })
    }}
}

fn source_var(i: usize) -> Ident {
    format_ident!("__src{}", i, span = Span::mixed_site())
}

fn input_var(i: usize) -> Ident {
    format_ident!("__in{}", i, span = Span::mixed_site())
}

/// The value of a named stream for each of its uses: the original at its last use, a copy
/// before.
struct StreamValues {
    /// Uses of each materialised stream not yet written.
    remaining: RefCell<HashMap<String, usize>>,
    /// The streams that exist only at some batches (an `Option`).
    windowed: HashMap<String, bool>,
}

impl StreamValues {
    /// Counts one use of `name`; whether it was the last (which may take the value).
    fn take_use(&self, name: &Ident) -> bool {
        let mut rem = self.remaining.borrow_mut();
        let left = rem.entry(name.to_string()).or_insert(1);
        *left = left.saturating_sub(1);
        *left == 0
    }

    /// Whether `name` exists only at some batches (an `Option`).
    fn is_windowed(&self, name: &Ident) -> bool {
        self.windowed
            .get(&name.to_string())
            .copied()
            .unwrap_or(false)
    }

    /// A named stream as a flow's input. A reader other than the last whose first segment
    /// is fused (`fused_first`) reads the shared batch, cloning each element as its loop
    /// reads it (`rt::par::Shared`), rather than a copy of the batch made first; otherwise
    /// as [`StreamValues::value`].
    fn flow_input(&self, name: &Ident, windowed_input: bool, fused_first: bool) -> TokenStream {
        if self.is_windowed(name) || windowed_input || !fused_first {
            return self.value(name, windowed_input);
        }
        let (rt, var) = (rt(), stream_var(name));
        if self.take_use(name) {
            quote!(#var)
        } else {
            quote!(#rt::par::shared(&#var))
        }
    }

    /// A named stream's value for one use. A windowed stream is an `Option` (present at its
    /// slide times); `as_option: false` asks for its elements (empty when absent).
    fn value(&self, name: &Ident, as_option: bool) -> TokenStream {
        let rt = rt();
        let var = stream_var(name);
        let last = self.take_use(name);
        match (self.is_windowed(name), as_option, last) {
            (false, _, true) => quote!(#var),
            (false, _, false) => quote!(#rt::ops::fan_out(&#var)),
            (true, true, true) => quote!(#var),
            (true, true, false) => quote!(#rt::ops::fan_out_windowed(&#var)),
            (true, false, true) => quote!(::core::option::Option::unwrap_or_default(#var)),
            (true, false, false) => {
                quote!(::core::option::Option::unwrap_or_default(#rt::ops::fan_out_windowed(&#var)))
            }
        }
    }
}

/// Writes the job's flows one after another, gathering what their stages add to the
/// pipeline's setup, to the end of every batch and to its checkpoints.
struct JobWriter<'w, 'a> {
    plan: &'w Plan<'a>,
    /// The `BatchContext` variable.
    ctx: &'w Ident,
    /// The batch time variable.
    time: &'w Ident,
    streams: &'w StreamValues,
    /// Statements run once when the pipeline is built.
    setup: TokenStream,
    /// What every batch ends with (watermarks advanced), before its checkpoint.
    end_batch: TokenStream,
    /// Each stateful stage's store, and how an error names the stage.
    state_vars: Vec<(Ident, String)>,
    /// Each added source's `repartition` stage number, once its flow is written.
    writers: HashMap<usize, usize>,
    /// Each named stream's watermarks: those of the `event_time` stages upstream.
    watermarks: HashMap<String, Vec<Ident>>,
}

/// One segment's code: `code` binds `next` (or, for a sink, writes the output).
struct SegmentCode {
    code: TokenStream,
    next: Option<Ident>,
    windowed: bool,
}

impl JobWriter<'_, '_> {
    /// A stage's setup, its end-of-batch statements and its checkpointed store (named for
    /// errors by its flow `f`).
    fn set_up(&mut self, st: &Stage, g: &StageContext, f: usize) {
        self.setup.extend(st.op.setup(g));
        self.end_batch.extend(st.op.end_of_batch(g));
        // The store's size after the batch, read once per batch (`StateSize` answers in
        // O(its tables), never O(rows)).
        if let Some(v) = st.op.state_var(g) {
            let (rt, ctx, label) = (g.rt(), g.ctx, &g.label);
            self.end_batch.extend(quote! {
                #ctx.report_state(#label, #rt::StateSize::state_stats(&mut #v));
            });
        }
        self.state_vars.extend(st.op.state_var(g).map(|v| {
            let stage = format!("the `{}` stage of pipeline statement {}", st.name, f + 1);
            (v, stage)
        }));
    }

    /// The code of flow number `f`.
    fn flow(&mut self, f: usize, flow: &Flow) -> TokenStream {
        let rt = rt();
        let (plan, ctx, time, streams) = (self.plan, self.ctx, self.time, self.streams);
        let fused = plan.config.fused();
        let input = format_ident!("__flow{}_in", f, span = Span::mixed_site());
        let mut current = match &flow.input {
            Input::Source(i) => input_var(*i),
            Input::Stream(_) => input.clone(),
        };
        let input_source = flow.root.map(source_var);
        // The watermarks upstream, from the stream this flow reads.
        let mut watermarks = match &flow.input {
            Input::Stream(n) => self
                .watermarks
                .get(&n.to_string())
                .cloned()
                .unwrap_or_default(),
            Input::Source(_) => Vec::new(),
        };
        // Reading a `repartition`'s topic: its stage decodes and deduplicates the records.
        let mut receive = TokenStream::new();
        if let Input::Source(i) = &flow.input {
            if let (Some(PlanSource::Repartitioned { writer, .. }), Some(&id)) =
                (plan.sources.get(*i), self.writers.get(i))
            {
                let g =
                    StageContext::bare(writer.name.span(), id, ctx, time, &|_| TokenStream::new());
                if let Some(code) = writer.op.receive(&g, &current) {
                    receive = quote!(#[allow(unused_mut)] let mut #current = #code;);
                }
            }
        }
        let (it, chunk, acc, a, b, run_len) = (
            ident("__it"),
            ident("__chunk"),
            ident("__acc"),
            ident("__a"),
            ident("__b"),
            ident("__run_len"),
        );
        let stream_vec = |name: &Ident| streams.value(name, false);
        let at =
            |n: Numbered| StageContext::bare(n.stage.name.span(), n.id, ctx, time, &stream_vec);
        let mut pieces = Vec::new();
        for (s, seg) in flow.segments.iter().enumerate() {
            // `global`: the order and count of the `sort |> take(n)` before it.
            let selected = seg.selection_before.and_then(|sel| {
                let first = sel.first.stage.op.reads_first(&at(sel.first))?;
                sel.order.stage.op.select_first(&at(sel.order), &first)
            });
            let mut gens = Vec::new();
            for (i, st) in seg.adapters.iter().chain(seg.end.iter()).enumerate() {
                let id = seg.first_id + i;
                let feeds = flow
                    .feeds
                    .filter(|_| st.op.repartition_topic().is_some())
                    .inspect(|&j| {
                        self.writers.insert(j, id);
                    })
                    .map(source_var);
                // A stage reading other streams (`union`, `interval_join`) takes on their
                // watermarks too, itself and the stages after it: the slowest input decides.
                for other in st.op.streams_read() {
                    if let Some(marks) = self.watermarks.get(&other.to_string()) {
                        watermarks.extend(marks.iter().cloned());
                    }
                }
                let slide = st.input.slide.as_ref();
                gens.push(StageContext {
                    span: st.name.span(),
                    id,
                    ctx,
                    time,
                    stream: &stream_vec,
                    slide: slide.map_or_else(
                        || quote!(0u64),
                        |sl| sl.duration.to_millis_expr("a stream's slide"),
                    ),
                    slide_is_literal: slide.is_some_and(|sl| sl.duration.millis().is_some()),
                    input_source: input_source.clone(),
                    feeds,
                    selected: selected.clone(),
                    timed: st.input.stamped,
                    watermarks: watermarks.clone(),
                    other_timed: st
                        .op
                        .streams_read()
                        .first()
                        .is_some_and(|s| self.plan.stamped.contains(&s.to_string())),
                    label: format!("{} (pipeline statement {})", st.name, f + 1),
                });
                if st.def.flags.stamps {
                    // The stage just set up: its watermark variable.
                    watermarks.extend(gens.last().map(|g| g.var("watermark")));
                }
            }
            // The iterator variable, located at each stage so that a type error in a stage's
            // call is reported on that stage (mixed-site hygiene is kept).
            let it_at = |span: Span| Ident::new("__it", Span::mixed_site().located_at(span));
            let mut adapt = TokenStream::new();
            // What adapters do once the runs are over (see `Operator::after_runs`).
            let mut after_runs = TokenStream::new();
            // `fusion off`: a lone adapter is a stage of its own over the materialised batch.
            let mut unfused = None;
            let mut skip = 0;
            for (i, (st, g)) in seg.adapters.iter().zip(&gens).enumerate() {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                if fused && !g.timed {
                    if let Some(rw) = crate::rewrite::find(&seg.adapters[i..], g, &it_at(g.span)) {
                        self.setup.extend(rw.setup);
                        let wrapped = rw.adapt;
                        adapt.extend(quote!(let #it = #wrapped;));
                        skip = rw.len - 1;
                        continue;
                    }
                }
                self.set_up(st, g, f);
                after_runs.extend(st.op.after_runs(g));
                if !fused && seg.adapters.len() == 1 && seg.end.is_none() {
                    let batch = ident("__batch");
                    if let Some(stage) = st.op.adapt_unfused(g, &batch) {
                        unfused = Some(quote! {{
                            let #batch = #rt::ops::collect_vec(#it);
                            #stage
                        }});
                        continue;
                    }
                }
                let wrapped = st.op.adapt(g, &it_at(g.span));
                adapt.extend(quote!(let #it = #wrapped;));
            }
            let (fold, merge, finish) = match (seg.end, gens.last(), unfused) {
                (None, _, Some(stage)) => (stage, quote!(#rt::ops::concat(#a, #b)), quote!(#acc)),
                (Some(end), Some(g), _) => {
                    self.set_up(end, g, f);
                    // The plan's choice of how much to finish (`sort |> take(n)`); a stage
                    // that cannot write it finishes everything.
                    let other = |n: Numbered| g.other_stage(n.stage.name.span(), n.id);
                    let finish = match seg.finish {
                        Finish::All => None,
                        Finish::First(next) => next
                            .stage
                            .op
                            .reads_first(&other(next))
                            .and_then(|first| end.op.finish_first(g, &acc, &first)),
                        Finish::Selected(sel) => sel
                            .first
                            .stage
                            .op
                            .reads_first(&other(sel.first))
                            .and_then(|first| {
                                sel.order.stage.op.select_first(&other(sel.order), &first)
                            })
                            .and_then(|select| end.op.finish_selected(g, &acc, &select)),
                    }
                    .unwrap_or_else(|| end.op.finish(g, &acc));
                    (
                        end.op.fold(g, &it_at(g.span)),
                        end.op.merge(g, &a, &b),
                        finish,
                    )
                }
                _ => (
                    quote!(#rt::run_vec::collect_run(#it, #run_len)),
                    quote!(#rt::ops::concat(#a, #b)),
                    quote!(#acc),
                ),
            };
            // `flat_map split` first: the segment reads its input by reference, so the words
            // borrow from it (see `Operator::borrows_input`).
            let input = if seg.adapters.first().is_some_and(|a| a.op.borrows_input()) {
                quote!(&#current)
            } else {
                quote!(&mut #current)
            };
            let run = quote! {
                let #acc = #rt::par::run(
                    #ctx.parallelism(),
                    #input,
                    |#chunk| {
                        let #it = ::core::iter::IntoIterator::into_iter(#chunk);
                        // Read by folds that materialise the run (`StageContext::run_len`).
                        let #run_len = ::core::iter::Iterator::size_hint(&#it).0;
                        #adapt
                        #fold
                    },
                    |#a, #b| { #merge; },
                );
            };
            if seg.end.is_some_and(|e| e.def.role == Role::Sink) {
                pieces.push(SegmentCode {
                    code: quote!({ #run #after_runs #finish }),
                    next: None,
                    windowed: false,
                });
            } else {
                let next = format_ident!("__flow{}_seg{}", f, s, span = Span::mixed_site());
                pieces.push(SegmentCode {
                    code: quote! {
                        #[allow(unused_mut)]
                        let mut #next = { #run #after_runs #finish };
                    },
                    next: Some(next.clone()),
                    windowed: seg.windowed,
                });
                current = next;
            }
        }

        if let Some(o) = flow.output {
            self.watermarks.insert(o.to_string(), watermarks);
        }
        // The flow's output, then each segment from the last: what follows a window runs
        // only when the window emitted.
        let mut code = match flow.output {
            Some(name) if flow.windowed => {
                let var = stream_var(name);
                quote!(#var = ::core::option::Option::Some(#current);)
            }
            Some(name) => {
                let var = stream_var(name);
                quote!(let #var = #current;)
            }
            None => TokenStream::new(),
        };
        for piece in pieces.into_iter().rev() {
            let SegmentCode {
                code: seg,
                next,
                windowed,
            } = piece;
            code = match (windowed, next) {
                (true, Some(next)) => quote! {
                    #seg
                    if let ::core::option::Option::Some(mut #next) = #next {
                        let _ = &mut #next;
                        #code
                    }
                },
                _ => quote!(#seg #code),
            };
        }
        code = quote!(#receive #code);
        if let Input::Stream(name) = &flow.input {
            // The first segment runs its fused loop over the input (`par::run`), which can
            // read a shared batch; `fusion off` materialises a lone adapter's input.
            let fused_first = plan.config.fused() && !flow.segments.is_empty();
            let value = streams.flow_input(name, flow.input_windowed, fused_first);
            code = if flow.input_windowed {
                quote! {
                    if let ::core::option::Option::Some(mut #input) = #value {
                        #code
                    }
                }
            } else {
                quote!(let mut #input = #value; #code)
            };
        }
        match flow.output {
            Some(name) if flow.windowed => {
                let var = stream_var(name);
                quote! {
                    let mut #var = ::core::option::Option::None;
                    #code
                }
            }
            _ => code,
        }
    }
}

/// What the macro expands to when the text has errors: the errors, and a `Pipeline` value
/// so that code using it still type-checks.
pub fn invalid(errors: Vec<syn::Error>) -> TokenStream {
    let rt = rt();
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote! {{
        #(#errors)*
        #rt::Pipeline::invalid("stream_pipeline! reported compile errors")
    }}
}
